package io.parley.inference.vad;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.support.Pcm16Wav;
import io.parley.inference.support.Tools;
import io.parley.inference.support.VadHarness;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Silero VAD on real speech, end to end through the accumulator and the segmenter. */
class SileroVadSpeechTest {

  private static final int RATE = VoiceActivityModel.SAMPLE_RATE;
  /** Where a detected boundary may lie from the truth. */
  private static final long TOLERANCE = RATE / 10;
  /** A client's chunk size: odd, so samples straddle chunks and frames. */
  private static final int CHUNK_BYTES = 1_111;
  /** Speech level that counts as the start and end of an utterance (about -46 dBFS). */
  private static final float VOICED_LEVEL = 0.005f;

  private static final VadSegmenter.Settings SETTINGS = VadSegmenter.Settings.DEFAULTS;

  private static SileroVad gated;
  private static SileroVad ungated;

  @BeforeAll
  static void open() {
    gated = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS);
    ungated = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS.withGate(EnergyGate.OFF));
  }

  @AfterAll
  static void close() {
    gated.close();
    ungated.close();
  }

  @Test
  void threeEspeakSentencesJoinedBySilencesAreThreeSegmentsAtTheirTrueBoundaries(@TempDir Path tmp) throws IOException {
    String[] sentences = {
        "Good morning. I would like to talk about what I ate for breakfast today.",
        "My coach says that I should drink more water between meals.",
        "Remind me to book another call with the nutritionist next week."};
    double[] gapsBefore = {0.5, 1.0, 1.5};
    List<float[]> parts = new ArrayList<>();
    List<long[]> truth = new ArrayList<>();
    long at = 0;
    for (int i = 0; i < sentences.length; i++) {
      float[] speech = Tools.espeak(sentences[i], tmp);
      int[] voiced = Tools.voicedRange(speech, VOICED_LEVEL);
      float[] gap = new float[(int) Math.round(gapsBefore[i] * RATE)];
      parts.add(gap);
      at += gap.length;
      // espeak's own leading and trailing silence stays in: the truth is the voiced part.
      truth.add(new long[] {at + voiced[0], at + voiced[1] + 1});
      parts.add(speech);
      at += speech.length;
    }
    parts.add(new float[RATE]);
    float[] audio = Tools.concat(parts);

    for (SileroVad vad : List.of(gated, ungated)) {
      VadHarness.Result result = VadHarness.run(vad, SETTINGS, audio, CHUNK_BYTES);
      List<VadEvent.SpeechStopped> segments = result.segments();
      System.out.printf("%s: truth %s detected %s%n", vad.gate(), describe(truth), describeSegments(segments));
      assertThat(segments).as("segments with %s", vad.gate()).hasSize(3);
      long preRoll = VadSegmenter.samples(SETTINGS.preRoll());
      for (int i = 0; i < 3; i++) {
        VadEvent.SpeechStopped s = segments.get(i);
        assertThat(s.startSample() + preRoll).as("onset of sentence %d", i + 1)
            .isBetween(truth.get(i)[0] - TOLERANCE, truth.get(i)[0] + TOLERANCE);
        assertThat(s.endSample()).as("end of sentence %d", i + 1)
            .isBetween(truth.get(i)[1] - TOLERANCE, truth.get(i)[1] + TOLERANCE);
        assertThat(s.audio()).hasSize((int) (s.endSample() - s.startSample()));
        assertThat(s.audio()).isEqualTo(Arrays.copyOfRange(audio, (int) s.startSample(), (int) s.endSample()));
      }
    }
  }

  private static String describe(List<long[]> ranges) {
    return ranges.stream().map(r -> String.format("[%.3f, %.3f]", r[0] / (double) RATE, r[1] / (double) RATE)).toList()
        .toString();
  }

  private static String describeSegments(List<VadEvent.SpeechStopped> s) {
    return describe(s.stream().map(x -> new long[] {x.startSample(), x.endSample()}).toList());
  }
}
