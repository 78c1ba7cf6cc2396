package io.parley.api.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Deterministic speech for end-to-end tests: espeak-ng renders the text, sox converts it to PCM16
 * mono at the wanted rate without dither (so the file is the same on every run).
 */
public final class Speech {

  private Speech() {}

  public static Path wav(String text, int rate, Path dir, String name) {
    return wav("en-us", text, rate, dir, name);
  }

  /** {@code text} spoken by espeak-ng's {@code voice} (a language: es, de, fr, hi, ...). */
  public static Path wav(String voice, String text, int rate, Path dir, String name) {
    Path raw = dir.resolve(name + ".espeak.wav");
    Path out = dir.resolve(name + ".wav");
    run(List.of("espeak-ng", "-v", voice, "-s", "150", "-w", raw.toString(), text), "espeak-ng");
    run(List.of("sox", "-D", raw.toString(), "-r", Integer.toString(rate), "-c", "1", "-b", "16", out.toString()), "sox");
    return out;
  }

  /**
   * {@code text} as headerless G.711 mu-law at 8 kHz ({@code audio/pcmu}, what telephony carries),
   * encoded by sox: an encoder independent of Parley's.
   */
  public static Path mulaw(String text, Path dir, String name) {
    Path wav = wav(text, 8_000, dir, name + ".8k");
    Path out = dir.resolve(name + ".ul");
    run(List.of("sox", "-D", wav.toString(), "-t", "raw", "-e", "u-law", "-b", "8", out.toString()), "sox");
    return out;
  }

  private static void run(List<String> cmd, String pkg) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError(cmd.getFirst() + " failed: " + out);
      }
    } catch (IOException e) {
      throw new AssertionError(cmd.getFirst() + " is missing (Debian package " + pkg + "; ./parley test installs it): "
          + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public static long bytes(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
