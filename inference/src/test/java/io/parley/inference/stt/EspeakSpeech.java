package io.parley.inference.stt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real speech for tests: espeak-ng (Debian {@code espeak-ng}) speaks a sentence, sox (Debian
 * {@code sox}) resamples it to 16 kHz mono without dither ({@code -D}), so the samples are the same
 * on every run. A missing tool fails the test with the package to install; it never skips.
 */
public final class EspeakSpeech {

  public static final int SAMPLE_RATE = 16_000;

  private EspeakSpeech() {}

  /** {@code text} spoken in American English, then padded with silence or cut to exactly {@code seconds}. */
  public static float[] speak(String text, double seconds, Path dir) {
    return speak("en-us", text, seconds, dir);
  }

  /** {@code text} spoken by espeak-ng's {@code voice} (a language: es, fr, de, hi, ...), as above. */
  public static float[] speak(String voice, String text, double seconds, Path dir) {
    try {
      Path wav = Files.createTempFile(dir, "espeak", ".wav");
      Path raw = Files.createTempFile(dir, "speech", ".raw");
      run(List.of("espeak-ng", "-v", voice, "-s", "150", "-w", wav.toString(), text), "espeak-ng");
      run(List.of("sox", "-D", wav.toString(), "-t", "raw", "-r", String.valueOf(SAMPLE_RATE), "-c", "1",
          "-b", "16", "-e", "signed-integer", "-L", raw.toString(),
          "pad", "0", String.valueOf(seconds), "trim", "0", String.valueOf(seconds)), "sox");
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(raw)).order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[b.remaining() / 2];
      for (int i = 0; i < out.length; i++) {
        out[i] = b.getShort() / 32768f;
      }
      Files.deleteIfExists(wav);
      Files.deleteIfExists(raw);
      if (out.length != Math.round(seconds * SAMPLE_RATE)) {
        throw new IllegalStateException("sox produced " + out.length + " samples, want " + seconds + " s");
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("cannot write speech under " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void run(List<String> command, String debianPackage) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException(command.get(0) + " is required for this test and is missing: apt-get install "
          + debianPackage + " (./parley test installs it)", e);
    }
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " failed: " + new String(output));
    }
  }
}
