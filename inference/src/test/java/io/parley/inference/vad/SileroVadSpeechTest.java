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

    List<VadHarness.Result> results = new ArrayList<>();
    for (SileroVad vad : List.of(gated, ungated)) {
      VadHarness.Result result = VadHarness.run(vad, SETTINGS, audio, CHUNK_BYTES);
      results.add(result);
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
    assertGateChangesNothing(results.get(0), results.get(1));
  }

  /**
   * What the energy gate may change, measured: the same segments, each ending at most one frame
   * sooner (on digital silence the gated probability drops to 0 at once, where the model's decays
   * over a frame) and starting no later, at most a pre-roll sooner (after digital silence the kept
   * state can fire on the first frame of noise before the speech; the pre-roll would have covered
   * that audio anyway). The gate never loses speech.
   */
  private static void assertGateChangesNothing(VadHarness.Result withGate, VadHarness.Result without) {
    List<VadEvent.SpeechStopped> a = withGate.segments();
    List<VadEvent.SpeechStopped> b = without.segments();
    assertThat(a).as("segments with and without the gate").hasSameSizeAs(b);
    long preRoll = VadSegmenter.samples(SETTINGS.preRoll());
    for (int i = 0; i < a.size(); i++) {
      System.out.printf("gate moved segment %d: start %+.3f s, end %+.3f s%n", i,
          (a.get(i).startSample() - b.get(i).startSample()) / (double) RATE,
          (a.get(i).endSample() - b.get(i).endSample()) / (double) RATE);
      assertThat(a.get(i).startSample()).as("start of segment %d", i)
          .isBetween(b.get(i).startSample() - preRoll, b.get(i).startSample());
      assertThat(a.get(i).endSample()).as("end of segment %d", i)
          .isBetween(b.get(i).endSample() - VoiceActivityModel.FRAME_SAMPLES, b.get(i).endSample());
    }
  }

  private static int countZero(float[] p) {
    int n = 0;
    for (float x : p) {
      n += x == 0f ? 1 : 0;
    }
    return n;
  }

  @Test
  void librivoxReadingsJoinedBySilenceAreFoundWithTheSameSegmentsWithOrWithoutTheGate() throws IOException {
    List<float[]> parts = new ArrayList<>();
    List<long[]> clips = new ArrayList<>();
    long at = 0;
    for (Path clip : Tools.librivoxClips()) {
      float[] audio = Pcm16Wav.read(clip);
      System.out.printf("%s: %.2f s, quietest frame %.1f dBFS%n", clip.getFileName(), audio.length / (double) RATE,
          quietestFrameDbfs(audio));
      float[] gap = new float[3 * RATE / 2];
      parts.add(gap);
      parts.add(audio);
      clips.add(new long[] {at + gap.length, at + gap.length + audio.length});
      at += gap.length + audio.length;
    }
    parts.add(new float[RATE]);
    float[] audio = Tools.concat(parts);

    VadHarness.Result withGate = VadHarness.run(gated, SETTINGS, audio, CHUNK_BYTES);
    VadHarness.Result without = VadHarness.run(ungated, SETTINGS, audio, CHUNK_BYTES);
    System.out.printf("clips %s%n  gated   %s%n  ungated %s%n  frames skipped by the gate: %d of %d%n", describe(clips),
        describeSegments(withGate.segments()), describeSegments(without.segments()),
        countZero(withGate.probabilities()), withGate.probabilities().length);

    long preRoll = VadSegmenter.samples(SETTINGS.preRoll());
    for (long[] clip : clips) {
      long speech = withGate.segments().stream()
          .mapToLong(s -> Math.min(s.endSample(), clip[1]) - Math.max(s.startSample() + preRoll, clip[0]))
          .filter(overlap -> overlap > 0).sum();
      assertThat(speech).as("speech found in the clip at %s", describe(List.of(clip)))
          .isGreaterThan((clip[1] - clip[0]) * 3 / 4);
    }
    assertGateChangesNothing(withGate, without);
  }

  /**
   * Silero hears speech at any level (it is trained gain-invariant), so the gate is a policy, not
   * a proof: a frame below the floor is silence. This measures both sides of that choice on real
   * speech scaled so its loudest frame sits at the floor.
   */
  @Test
  void speechBelowTheGateFloorIsSilenceByPolicyThoughTheModelAloneHearsIt() throws IOException {
    float[] audio = Pcm16Wav.read(Tools.librivoxClips().get(0));
    int frame = VoiceActivityModel.FRAME_SAMPLES;
    double loudest = Double.NEGATIVE_INFINITY;
    for (int i = 0; i + frame <= audio.length; i += frame) {
      loudest = Math.max(loudest, EnergyGate.levelDbfs(Arrays.copyOfRange(audio, i, i + frame)));
    }
    float gain = (float) Math.pow(10, (EnergyGate.DEFAULT_FLOOR_DBFS - 0.5 - loudest) / 20);
    float[] quiet = new float[audio.length];
    for (int i = 0; i < audio.length; i++) {
      quiet[i] = audio[i] * gain;
    }
    // Floats, not PCM16: at this level quantisation would turn the speech into a few steps.
    float[] maxProbability = new float[2];
    List<SileroVad> models = List.of(gated, ungated);
    for (int m = 0; m < 2; m++) {
      VoiceActivityModel.State state = models.get(m).newState();
      for (int i = 0; i + frame <= quiet.length; i += frame) {
        maxProbability[m] = Math.max(maxProbability[m],
            models.get(m).probability(state, Arrays.copyOfRange(quiet, i, i + frame)));
      }
    }
    System.out.printf("speech with its loudest frame at %.1f dBFS: max probability %.3f with the gate, %.3f without%n",
        EnergyGate.DEFAULT_FLOOR_DBFS - 0.5, maxProbability[0], maxProbability[1]);
    assertThat(maxProbability[0]).isZero();
    assertThat(maxProbability[1]).isGreaterThan((float) SETTINGS.startThreshold());
  }

  @Test
  void silenceAndWhiteNoiseAreNoSpeech() {
    Random random = new Random(20_240_605L);
    float[] silence = new float[10 * RATE];
    float[] loudNoise = new float[10 * RATE];
    float[] faintNoise = new float[10 * RATE];
    for (int i = 0; i < loudNoise.length; i++) {
      loudNoise[i] = (float) Math.max(-1, Math.min(1, random.nextGaussian() * 0.1)); // -20 dBFS
      faintNoise[i] = (float) (random.nextGaussian() * 0.0003); // -70 dBFS: below the gate
    }
    for (SileroVad vad : List.of(gated, ungated)) {
      for (float[] audio : List.of(silence, loudNoise, faintNoise)) {
        VadHarness.Result result = VadHarness.run(vad, SETTINGS, audio, CHUNK_BYTES);
        float max = 0;
        for (float p : result.probabilities()) {
          max = Math.max(max, p);
        }
        System.out.printf("%s: max probability %.4f%n", vad.gate(), max);
        assertThat(result.events()).isEmpty();
      }
    }
  }

  private static double quietestFrameDbfs(float[] audio) {
    double min = Double.POSITIVE_INFINITY;
    for (int i = 0; i + VoiceActivityModel.FRAME_SAMPLES <= audio.length; i += VoiceActivityModel.FRAME_SAMPLES) {
      min = Math.min(min, EnergyGate.levelDbfs(Arrays.copyOfRange(audio, i, i + VoiceActivityModel.FRAME_SAMPLES)));
    }
    return min;
  }

  private static String describe(List<long[]> ranges) {
    return ranges.stream().map(r -> String.format("[%.3f, %.3f]", r[0] / (double) RATE, r[1] / (double) RATE)).toList()
        .toString();
  }

  private static String describeSegments(List<VadEvent.SpeechStopped> s) {
    return describe(s.stream().map(x -> new long[] {x.startSample(), x.endSample()}).toList());
  }
}
