package io.parley.api.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A sentence of real speech (espeak-ng) as a 48 kHz mono 16-bit WAV, the same bytes every run (sox
 * without dither): what the browser tests play as Chromium's fake microphone.
 */
public final class SpeechWav {

  private SpeechWav() {}

  /** Writes {@code text} spoken, then {@code silenceSeconds} of silence, to {@code dir/speech.wav}. */
  public static Path write(Path dir, String text, double silenceSeconds) throws IOException, InterruptedException {
    Path espeak = NodeScript.requireCommand("espeak-ng", "espeak-ng");
    Path sox = NodeScript.requireCommand("sox", "sox");
    Path raw = dir.resolve("speech-22k.wav");
    Path wav = dir.resolve("speech.wav");
    run(List.of(espeak.toString(), "-v", "en-us", "-s", "150", "-w", raw.toString(), text));
    List<String> convert = new ArrayList<>(List.of(sox.toString(), "-D", raw.toString(), "-r", "48000", "-c", "1",
        "-b", "16", wav.toString()));
    if (silenceSeconds > 0) {
      convert.addAll(List.of("pad", "0", Double.toString(silenceSeconds)));
    }
    run(convert);
    assertThat(Files.size(wav)).as("speech WAV").isGreaterThan(48_000 * 2); // over a second of audio
    return wav;
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " failed: " + out);
    }
  }
}
