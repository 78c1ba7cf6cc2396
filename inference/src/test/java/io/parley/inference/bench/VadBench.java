package io.parley.inference.bench;

import io.parley.inference.support.Pcm16Wav;
import io.parley.inference.support.Tools;
import io.parley.inference.vad.EnergyGate;
import io.parley.inference.vad.SileroVad;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.vad.VoiceActivityModel;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Silero VAD throughput, run by {@code bench/voice.sh} (not a unit test). One thread, ONNX Runtime
 * with one intra-op thread, so thread CPU time is the cost on one core; wall time is printed
 * beside it (on a shared machine it also counts other people's work).
 *
 * <ul>
 *   <li>{@code single}: µs per 32 ms frame, one stream per model call (gate off, speech);</li>
 *   <li>{@code batch64}: µs per frame, frames of 64 streams stacked into one call (gate off);</li>
 *   <li>{@code silent}: always-on streams one core keeps in real time when streams are mostly
 *       silent ({@value #SPEECH_PERCENT}% speech, the rest faint noise at -70 dBFS, below the energy
 *       gate), gate on, 64 streams per call, the segmenter included;</li>
 *   <li>{@code speech}: the same with continuous speech (LibriVox, looped).</li>
 * </ul>
 *
 * <p>Prints one line per round and a final {@code RESULT} line of medians for the script.
 * Arguments: {@code rounds seconds-of-audio-per-stream}.
 */
public final class VadBench {

  static final int F = VoiceActivityModel.FRAME_SAMPLES;
  static final int STREAMS = 64;
  static final int SPEECH_PERCENT = 10;
  /** Speech and silence alternate in cycles this long, each stream at its own phase. */
  static final int CYCLE_FRAMES = 10 * VoiceActivityModel.SAMPLE_RATE / F; // ~10 s
  static final int SINGLE_FRAMES = 1_500;
  static final int BATCH_CALLS = 40;
  static final int WARMUP_FRAMES = 2_000;

  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  private VadBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Locale.setDefault(Locale.ROOT);
    float[][] speech = speechFrames();
    int steps = seconds * VoiceActivityModel.SAMPLE_RATE / F;
    float[][][] silentStreams = streams(speech, steps, SPEECH_PERCENT);
    float[][][] speechStreams = streams(speech, steps, 100);

    try (SileroVad ungated = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS.withGate(EnergyGate.OFF));
         SileroVad gated = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS)) {
      // Warm-up: JIT, ONNX Runtime's allocations for both batch sizes.
      single(ungated, speech, WARMUP_FRAMES / 4);
      batched(ungated, speech, WARMUP_FRAMES / STREAMS);
      streamsPerCore(gated, silentStreams, Math.min(steps, 60));

      double[][] r = new double[6][rounds];
      for (int i = 0; i < rounds; i++) {
        double[] single = single(ungated, speech, SINGLE_FRAMES);
        double[] batch = batched(ungated, speech, BATCH_CALLS);
        double[] silent = streamsPerCore(gated, silentStreams, steps);
        double[] talk = streamsPerCore(gated, speechStreams, steps);
        r[0][i] = single[0];
        r[1][i] = batch[0];
        r[2][i] = silent[0];
        r[3][i] = talk[0];
        r[4][i] = silent[2];
        r[5][i] = single[0] / batch[0];
        System.out.printf("round %d/%d: single %.1f us/frame (wall %.1f) | batch64 %.1f us/frame (wall %.1f) | "
                + "mostly silent %.0f streams/core (wall %.0f, %.1f%% of frames scored) | speech %.0f streams/core"
                + " (wall %.0f)%n", i + 1, rounds, single[0], single[1], batch[0], batch[1], silent[0], silent[1],
            silent[2], talk[0], talk[1]);
      }
      System.out.printf("RESULT single_us=%.1f batch64_us=%.1f silent_streams=%.0f speech_streams=%.0f"
              + " silent_scored_pct=%.1f speedup=%.2f%n", median(r[0]), median(r[1]), median(r[2]), median(r[3]), median(r[4]),
          median(r[5]));
    }
  }

  /** µs per frame (cpu, wall), one stream per call. */
  static double[] single(SileroVad vad, float[][] speech, int frames) {
    VoiceActivityModel.State state = vad.newState();
    long cpu = CPU.getCurrentThreadCpuTime();
    long wall = System.nanoTime();
    float sink = 0;
    for (int f = 0; f < frames; f++) {
      sink += vad.probability(state, speech[f % speech.length]);
    }
    return perFrame(cpu, wall, frames, sink);
  }

  /** µs per frame (cpu, wall), 64 streams per call. */
  static double[] batched(SileroVad vad, float[][] speech, int calls) {
    List<VoiceActivityModel.State> states = new ArrayList<>();
    for (int s = 0; s < STREAMS; s++) {
      states.add(vad.newState());
    }
    long cpu = CPU.getCurrentThreadCpuTime();
    long wall = System.nanoTime();
    float sink = 0;
    for (int c = 0; c < calls; c++) {
      List<float[]> frames = new ArrayList<>(STREAMS);
      for (int s = 0; s < STREAMS; s++) {
        frames.add(speech[(c + s * 7) % speech.length]);
      }
      sink += vad.probabilities(states, frames)[0];
    }
    return perFrame(cpu, wall, calls * STREAMS, sink);
  }

  /**
   * Streams kept in real time by one core (cpu, wall), and the percentage of frames the model
   * scored: every stream's frames go through the model (64 per call) and its segmenter.
   */
  static double[] streamsPerCore(SileroVad vad, float[][][] streams, int steps) {
    List<VoiceActivityModel.State> states = new ArrayList<>();
    List<VadSegmenter> segmenters = new ArrayList<>();
    for (int s = 0; s < streams.length; s++) {
      states.add(vad.newState());
      segmenters.add(new VadSegmenter(VadSegmenter.Settings.DEFAULTS));
    }
    long scored = 0;
    long cpu = CPU.getCurrentThreadCpuTime();
    long wall = System.nanoTime();
    for (int step = 0; step < steps; step++) {
      List<float[]> frames = new ArrayList<>(streams.length);
      for (float[][] stream : streams) {
        frames.add(stream[step]);
      }
      float[] p = vad.probabilities(states, frames);
      for (int s = 0; s < streams.length; s++) {
        scored += p[s] != 0f ? 1 : 0;
        segmenters.get(s).accept(frames.get(s), p[s]);
      }
    }
    double cpuS = (CPU.getCurrentThreadCpuTime() - cpu) / 1e9;
    double wallS = (System.nanoTime() - wall) / 1e9;
    double audioS = (double) streams.length * steps * F / VoiceActivityModel.SAMPLE_RATE;
    return new double[] {audioS / cpuS, audioS / wallS, 100.0 * scored / ((long) streams.length * steps)};
  }

  private static double[] perFrame(long cpu, long wall, int frames, float sink) {
    double cpuUs = (CPU.getCurrentThreadCpuTime() - cpu) / 1e3 / frames;
    double wallUs = (System.nanoTime() - wall) / 1e3 / frames;
    if (Float.isNaN(sink)) {
      throw new AssertionError("NaN probability");
    }
    return new double[] {cpuUs, wallUs};
  }

  /** The LibriVox clips of pocketsphinx-testdata, as one list of frames. */
  static float[][] speechFrames() throws Exception {
    List<float[]> frames = new ArrayList<>();
    for (Path clip : Tools.librivoxClips()) {
      float[] audio = Pcm16Wav.read(clip);
      for (int i = 0; i + F <= audio.length; i += F) {
        frames.add(Arrays.copyOfRange(audio, i, i + F));
      }
    }
    return frames.toArray(new float[0][]);
  }

  /**
   * 64 streams of {@code steps} frames: speech {@code speechPercent} of each ~10 s cycle, faint
   * noise (-70 dBFS, seeded) the rest; phases and clip offsets differ per stream.
   */
  static float[][][] streams(float[][] speech, int steps, int speechPercent) {
    Random random = new Random(42);
    float[][] noise = new float[64][F];
    for (float[] frame : noise) {
      for (int i = 0; i < F; i++) {
        frame[i] = (float) (random.nextGaussian() * 0.0003);
      }
    }
    int speechFrames = CYCLE_FRAMES * speechPercent / 100;
    float[][][] streams = new float[STREAMS][steps][];
    for (int s = 0; s < STREAMS; s++) {
      int phase = s * CYCLE_FRAMES / STREAMS;
      for (int f = 0; f < steps; f++) {
        boolean talking = (f + phase) % CYCLE_FRAMES < speechFrames;
        streams[s][f] = talking ? speech[(f + s * 13) % speech.length] : noise[(f + s) % noise.length];
      }
    }
    return streams;
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
