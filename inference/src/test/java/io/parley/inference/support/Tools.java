package io.parley.inference.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real programs and files the tests drive. A missing one FAILS the test with the fix
 * ({@code ./parley test} installs them); nothing is skipped.
 */
public final class Tools {

  /** LibriVox clips with transcripts: Debian {@code pocketsphinx-testdata}. */
  public static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");

  private static final long TIMEOUT_S = 60;

  private Tools() {}

  /** The Silero VAD model under PARLEY_MODELS (default: the repository's models/). */
  public static Path modelsDir() {
    String env = System.getenv("PARLEY_MODELS");
    Path dir = env != null && !env.isBlank() ? Path.of(env) : repoRoot().resolve("models");
    return dir.toAbsolutePath();
  }

  /** The clips of pocketsphinx-testdata's librivox folder, sorted by name. */
  public static List<Path> librivoxClips() throws IOException {
    if (!Files.isDirectory(LIBRIVOX)) {
      throw new AssertionError(LIBRIVOX + " is missing: install Debian package pocketsphinx-testdata"
          + " (./parley test installs it)");
    }
    try (var files = Files.list(LIBRIVOX)) {
      List<Path> wavs = files.filter(p -> p.toString().endsWith(".wav")).sorted().toList();
      if (wavs.isEmpty()) {
        throw new AssertionError("no .wav in " + LIBRIVOX + ": reinstall pocketsphinx-testdata");
      }
      return wavs;
    }
  }

  /**
   * Speaks {@code text} with espeak-ng and converts it with sox to 16 kHz mono PCM16, without
   * dither ({@code sox -D}), so the same text always gives the same samples.
   */
  public static float[] espeak(String text, Path workDir) throws IOException {
    Path raw = Files.createTempFile(workDir, "espeak", ".wav");
    Path wav = Files.createTempFile(workDir, "speech", ".wav");
    run(List.of("espeak-ng", "-v", "en-us", "-w", raw.toString(), text), "espeak-ng");
    run(List.of("sox", "-D", raw.toString(), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer",
        wav.toString()), "sox");
    return Pcm16Wav.read(wav);
  }

  private static void run(List<String> command, String debianPackage) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("'" + command.get(0) + "' not found: install Debian package " + debianPackage
          + " (./parley test installs it)", e);
    }
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command + " did not finish in " + TIMEOUT_S + " s");
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(command + " failed (" + p.exitValue() + "): " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("parley")) && Files.isDirectory(d.resolve("models"))) {
        return d;
      }
    }
    return dir;
  }

  /** Indexes of the first and last samples whose magnitude reaches {@code level}. */
  public static int[] voicedRange(float[] samples, float level) {
    int first = -1;
    int last = -1;
    for (int i = 0; i < samples.length; i++) {
      if (Math.abs(samples[i]) >= level) {
        if (first < 0) {
          first = i;
        }
        last = i;
      }
    }
    if (first < 0) {
      throw new AssertionError("no sample reaches " + level);
    }
    return new int[] {first, last};
  }

  /** Concatenation of arrays. */
  public static float[] concat(List<float[]> parts) {
    int n = parts.stream().mapToInt(a -> a.length).sum();
    float[] all = new float[n];
    int at = 0;
    for (float[] a : parts) {
      System.arraycopy(a, 0, all, at, a.length);
      at += a.length;
    }
    return all;
  }
}
