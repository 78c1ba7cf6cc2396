package io.parley.inference.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.inference.support.Pcm16Wav;
import io.parley.inference.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model wrapper: opening, batching, per-stream state. Real model, real audio. */
class SileroVadTest {

  private static final int FRAME = VoiceActivityModel.FRAME_SAMPLES;
  private static final float BATCH_TOLERANCE = 1e-5f;

  private static SileroVad vad;
  private static List<float[][]> streams;

  @BeforeAll
  static void open() throws IOException {
    // Gate off: every frame goes through the model, so batching is compared on all of them.
    vad = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS.withGate(EnergyGate.OFF));
    streams = new ArrayList<>();
    for (Path clip : Tools.librivoxClips()) {
      streams.add(frames(Pcm16Wav.read(clip), 90)); // ~2.9 s each, speech and pauses
    }
  }

  @AfterAll
  static void close() {
    vad.close();
  }

  @Test
  void aMissingModelIsUnavailableNamingTheFix(@TempDir Path empty) {
    assertThatThrownBy(() -> SileroVad.open(empty, SileroVad.Settings.DEFAULTS))
        .isInstanceOfSatisfying(ParleyException.class, e -> {
          assertThat(e.reason()).isEqualTo(ParleyException.Reason.UNAVAILABLE);
          assertThat(e.getMessage()).contains(empty.resolve(SileroVad.MODEL_FILE).toString(), "is missing",
              "PARLEY_MODELS", "./parley models");
        });
  }

  @Test
  void aMalformedModelIsUnavailableNamingTheFix(@TempDir Path dir) throws IOException {
    Path file = dir.resolve(SileroVad.MODEL_FILE);
    Files.createDirectories(file.getParent());
    byte[] real = Files.readAllBytes(Tools.modelsDir().resolve(SileroVad.MODEL_FILE));
    Files.write(file, Arrays.copyOf(real, real.length / 3)); // a truncated download
    assertThatThrownBy(() -> SileroVad.open(dir, SileroVad.Settings.DEFAULTS))
        .isInstanceOfSatisfying(ParleyException.class, e -> {
          assertThat(e.reason()).isEqualTo(ParleyException.Reason.UNAVAILABLE);
          assertThat(e.getMessage()).contains("is not a valid ONNX model", "PARLEY_MODELS", "./parley models");
        });
  }

  @Test
  void theModelFileHasTheSignatureThisCodeFeeds() throws Exception {
    // The shapes SileroVad relies on, read from the file itself.
    var env = OrtEnvironments.shared(); // shared: never closed here
    try (var session = env.createSession(Tools.modelsDir().resolve(SileroVad.MODEL_FILE).toString())) {
      assertThat(session.getInputInfo().keySet()).containsExactlyInAnyOrder("input", "state", "sr");
      assertThat(shape(session.getInputInfo().get("input"))).containsExactly(-1, -1);
      assertThat(shape(session.getInputInfo().get("state"))).containsExactly(2, -1, 128);
      assertThat(shape(session.getInputInfo().get("sr"))).isEmpty();
      assertThat(shape(session.getOutputInfo().get("output"))).containsExactly(-1, 1);
    }
  }

  @Test
  void aBatchGivesEveryStreamTheSameProbabilitiesAsScoringItAlone() {
    int n = streams.size();
    int frames = streams.get(0).length;
    float[][] alone = new float[n][frames];
    for (int s = 0; s < n; s++) {
      VoiceActivityModel.State state = vad.newState();
      for (int f = 0; f < frames; f++) {
        alone[s][f] = vad.probability(state, streams.get(s)[f]);
      }
    }
    List<VoiceActivityModel.State> states = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      states.add(vad.newState());
    }
    float maxDiff = 0;
    float maxProbability = 0;
    for (int f = 0; f < frames; f++) {
      List<float[]> batch = new ArrayList<>();
      for (int s = 0; s < n; s++) {
        batch.add(streams.get(s)[f]);
      }
      float[] p = vad.probabilities(states, batch);
      for (int s = 0; s < n; s++) {
        maxDiff = Math.max(maxDiff, Math.abs(p[s] - alone[s][f]));
        maxProbability = Math.max(maxProbability, p[s]);
      }
    }
    System.out.printf("batch of %d vs alone: max difference %.2e%n", n, maxDiff);
    assertThat(maxProbability).as("there is speech in the clips").isGreaterThan(0.9f);
    assertThat(maxDiff).isLessThanOrEqualTo(BATCH_TOLERANCE);
  }

  @Test
  void streamsDoNotShareStateAndResetStartsAfresh() {
    float[][] a = streams.get(0);
    float[][] b = streams.get(1);
    float[] alone = run(vad.newState(), a);

    // Interleaved with another stream, in batches of changing composition and order.
    VoiceActivityModel.State sa = vad.newState();
    VoiceActivityModel.State sb = vad.newState();
    float[] interleaved = new float[a.length];
    for (int f = 0; f < a.length; f++) {
      if (f % 3 == 0) {
        interleaved[f] = vad.probabilities(List.of(sb, sa), List.of(b[f], a[f]))[1];
      } else if (f % 3 == 1) {
        vad.probability(sb, b[f]);
        interleaved[f] = vad.probability(sa, a[f]);
      } else {
        interleaved[f] = vad.probabilities(List.of(sa, sb), List.of(a[f], b[f]))[0];
      }
    }
    assertThat(maxDifference(interleaved, alone)).isLessThanOrEqualTo(BATCH_TOLERANCE);

    // A state that heard another stream, reset, behaves like a new one.
    VoiceActivityModel.State used = vad.newState();
    run(used, b);
    used.reset();
    assertThat(maxDifference(run(used, a), alone)).isLessThanOrEqualTo(BATCH_TOLERANCE);
  }

  @Test
  void threadsScoringTheirOwnStreamsAtOnceGetTheSameResults() throws Exception {
    float[][] expected = new float[streams.size()][];
    for (int s = 0; s < streams.size(); s++) {
      expected[s] = run(vad.newState(), streams.get(s));
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int s = 0; s < streams.size(); s++) {
        float[][] stream = streams.get(s);
        results.add(pool.submit(() -> run(vad.newState(), stream)));
      }
      for (int s = 0; s < streams.size(); s++) {
        assertThat(maxDifference(results.get(s).get(), expected[s])).isLessThanOrEqualTo(BATCH_TOLERANCE);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void misuseIsRefusedClearly() {
    VoiceActivityModel.State s = vad.newState();
    float[] frame = new float[FRAME];
    assertThatThrownBy(() -> vad.probability(s, new float[FRAME - 1])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("511 samples");
    assertThatThrownBy(() -> vad.probabilities(List.of(s, s), List.of(frame, frame)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
    assertThatThrownBy(() -> vad.probabilities(List.of(s), List.of(frame, frame)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> vad.probability(() -> {}, frame)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not created by this SileroVad");
  }

  @Test
  void aClosedModelRefusesWorkAndTheGateSkipsTheModelEntirely() {
    SileroVad other = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS);
    VoiceActivityModel.State s = other.newState();
    other.close();
    other.close();
    // Silent frames never reach the (closed) session.
    assertThat(other.probability(s, new float[FRAME])).isZero();
    assertThatThrownBy(() -> other.probability(s, streams.get(0)[40])).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  private static float[] run(VoiceActivityModel.State state, float[][] frames) {
    float[] p = new float[frames.length];
    for (int f = 0; f < frames.length; f++) {
      p[f] = vad.probability(state, frames[f]);
    }
    return p;
  }

  private static float[][] frames(float[] audio, int count) {
    float[][] frames = new float[count][];
    for (int f = 0; f < count; f++) {
      frames[f] = Arrays.copyOfRange(audio, f * FRAME, (f + 1) * FRAME);
    }
    return frames;
  }

  private static float maxDifference(float[] a, float[] b) {
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static long[] shape(ai.onnxruntime.NodeInfo node) {
    return ((ai.onnxruntime.TensorInfo) node.getInfo()).getShape();
  }
}
