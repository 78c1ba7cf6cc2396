package io.parley.inference.vad;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * <a href="https://github.com/snakers4/silero-vad">Silero VAD v5</a> on ONNX Runtime: one session
 * shared by every stream, each stream's recurrent state in a {@link State} of its own, and the
 * frames of many streams scored in one run by stacking them along the batch dimension.
 *
 * <p>The model ({@code models/vad/silero_vad_v5.onnx}, fetched by {@code ./parley models}) takes
 * {@code input} f32[N, 64 + 512] (the last {@value #CONTEXT_SAMPLES} samples of the stream's
 * previous frame, then the 512 new ones, as silero-vad's own {@code OnnxWrapper} feeds it),
 * {@code state} f32[2, N, 128] and {@code sr} int64 scalar 16000; it returns {@code output} f32[N, 1]
 * (speech probability) and {@code stateN} (the next state). {@link #open} checks this signature on
 * the file itself, so a different model is a clear error instead of wrong probabilities.
 *
 * <p><b>Energy gate.</b> Frames the {@link EnergyGate} proves silent are not sent to the model:
 * their probability is 0, the stream's recurrent state is <em>kept</em> as it was, and its context
 * is updated to the silent frame's last 64 samples (so the next frame the model sees is preceded by
 * the audio that really preceded it). Keeping the state means that after a stretch of digital
 * silence the model resumes where it stood before it. Measured against scoring every frame
 * (SileroVadSpeechTest, espeak-ng sentences and LibriVox clips joined by digital silence): the same
 * segments, ends at most one frame sooner, starts never later and at most 256 ms sooner (the kept
 * state fired on the first frame of a clip's room noise after 1.5 s of zeros; the pre-roll covers
 * such audio anyway). Resetting the state on gated frames was tried and is worse (a segment cut
 * 224 ms short at a quiet frame inside speech, onsets 64 ms late); the state does not settle on
 * zeros (its cell state keeps drifting), so no fixed "silence state" exists to substitute.
 *
 * <p>Thread-safe: any number of threads may call {@link #probabilities} at once (ONNX Runtime runs
 * are concurrent), as long as each {@link State} is used by one call at a time, which is the case
 * when a stream's frames are scored in order. {@link #close} waits for runs in progress.
 */
public final class SileroVad implements VoiceActivityModel {

  /** Where the model lives under {@code PARLEY_MODELS}. */
  public static final String MODEL_FILE = "vad/silero_vad_v5.onnx";
  /** Samples of the previous frame prepended to each frame. */
  public static final int CONTEXT_SAMPLES = 64;
  /** Samples per row of {@code input}. */
  static final int INPUT_SAMPLES = CONTEXT_SAMPLES + FRAME_SAMPLES;
  /** Recurrent state: 2 x 128 floats per stream. */
  static final int STATE_LAYERS = 2;
  static final int STATE_WIDTH = 128;
  static final int STATE_FLOATS = STATE_LAYERS * STATE_WIDTH;

  /**
   * Settings of the model.
   *
   * @param intraOpThreads ONNX Runtime threads inside one run (default 1: throughput comes from
   *     batching and from running several workers, not from splitting a tiny model)
   * @param gate the energy gate ({@link EnergyGate#OFF} to score every frame)
   */
  public record Settings(int intraOpThreads, EnergyGate gate) {
    public static final Settings DEFAULTS = new Settings(1, new EnergyGate(EnergyGate.DEFAULT_FLOOR_DBFS));

    public Settings {
      if (intraOpThreads < 1 || intraOpThreads > 64) {
        throw new IllegalArgumentException("intraOpThreads must be 1..64, got " + intraOpThreads);
      }
      if (gate == null) {
        throw new IllegalArgumentException("gate is required (EnergyGate.OFF for none)");
      }
    }

    public Settings withGate(EnergyGate gate) {
      return new Settings(intraOpThreads, gate);
    }
  }

  private final OrtEnvironment env;
  private final OrtSession session;
  private final OnnxTensor sampleRate;
  private final EnergyGate gate;
  private final Path file;
  /** Scratch buffers, one set per concurrent run. */
  private final ConcurrentLinkedQueue<Scratch> scratch = new ConcurrentLinkedQueue<>();
  /** Marks states already seen in the current call (a state twice in one batch is a bug). */
  private final AtomicLong calls = new AtomicLong();
  /** Runs hold the read lock; close takes the write lock so no run touches a closed session. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private SileroVad(OrtEnvironment env, OrtSession session, OnnxTensor sampleRate, EnergyGate gate, Path file) {
    this.env = env;
    this.session = session;
    this.sampleRate = sampleRate;
    this.gate = gate;
    this.file = file;
  }

  /** Opens {@link #MODEL_FILE} under the models directory ({@code PARLEY_MODELS}). */
  public static SileroVad open(Path modelsDir, Settings settings) {
    return openFile(modelsDir.resolve(MODEL_FILE), settings);
  }

  /**
   * Opens a Silero VAD v5 ONNX file.
   *
   * @throws ParleyException UNAVAILABLE when the file is missing, unreadable, not an ONNX model or
   *     not Silero v5's signature; the message names {@code PARLEY_MODELS} and {@code ./parley models}
   */
  public static SileroVad openFile(Path file, Settings settings) {
    // Recurrent state decaying through long silences would otherwise crawl through denormals.
    OrtSession session = OrtEnvironments.open(file, settings.intraOpThreads(),
        Map.of("session.set_denormal_as_zero", "1"), s -> checkSignature(s, file),
        (what, cause) -> unavailable(file, what, cause));
    OrtEnvironment env = OrtEnvironments.shared();
    try {
      OnnxTensor sr = OnnxTensor.createTensor(env, (long) SAMPLE_RATE);
      return new SileroVad(env, session, sr, settings.gate(), file);
    } catch (OrtException e) {
      try {
        session.close();
      } catch (OrtException ignored) {
        // failing with the clearer error below
      }
      throw unavailable(file, "could not be set up (" + e.getMessage() + ")", e);
    }
  }

  private static void checkSignature(OrtSession session, Path file) throws OrtException {
    Map<String, NodeInfo> in = session.getInputInfo();
    Map<String, NodeInfo> out = session.getOutputInfo();
    boolean ok = in.size() == 3 && out.size() == 2
        && tensor(in.get("input"), OnnxJavaType.FLOAT, 2)
        && tensor(in.get("state"), OnnxJavaType.FLOAT, 3)
        && tensor(in.get("sr"), OnnxJavaType.INT64, 0)
        && tensor(out.get("output"), OnnxJavaType.FLOAT, 2)
        && tensor(out.get("stateN"), OnnxJavaType.FLOAT, 3);
    if (ok) {
      long[] state = ((TensorInfo) in.get("state").getInfo()).getShape();
      ok = state[0] == STATE_LAYERS && state[2] == STATE_WIDTH;
    }
    if (!ok) {
      throw unavailable(file, "does not have Silero VAD v5's inputs and outputs (inputs " + in.values()
          + ", outputs " + out.values() + ")", null);
    }
  }

  private static boolean tensor(NodeInfo node, OnnxJavaType type, int rank) {
    return node != null
        && node.getInfo() instanceof TensorInfo t
        && t.type == type
        && t.getShape().length == rank;
  }

  private static ParleyException unavailable(Path file, String what, Throwable cause) {
    String message = "Silero VAD model " + file + " " + what
        + ": run ./parley models to fetch it into PARLEY_MODELS (default ./models), or point PARLEY_MODELS"
        + " at the directory that holds " + MODEL_FILE;
    return cause == null
        ? new ParleyException(Reason.UNAVAILABLE, message)
        : new ParleyException(Reason.UNAVAILABLE, message, cause);
  }

  /** The model file this instance runs. */
  public Path file() {
    return file;
  }

  public EnergyGate gate() {
    return gate;
  }

  @Override
  public State newState() {
    return new StreamState(this);
  }

  @Override
  public float[] probabilities(List<State> states, List<float[]> frames) {
    int n = states.size();
    if (frames.size() != n) {
      throw new IllegalArgumentException(n + " states but " + frames.size() + " frames");
    }
    float[] probabilities = new float[n];
    if (n == 0) {
      return probabilities;
    }
    long call = calls.incrementAndGet();
    StreamState[] streams = new StreamState[n];
    int[] scored = new int[n];
    int batch = 0;
    for (int i = 0; i < n; i++) {
      StreamState s = own(states.get(i));
      float[] frame = frames.get(i);
      if (frame.length != FRAME_SAMPLES) {
        throw new IllegalArgumentException("frame " + i + " has " + frame.length + " samples, not " + FRAME_SAMPLES);
      }
      if (s.call == call) {
        throw new IllegalArgumentException("state " + i + " appears twice in one batch");
      }
      s.call = call;
      streams[i] = s;
      if (gate.silent(frame)) {
        s.advanceContext(frame); // probability stays 0, recurrent state is kept
      } else {
        scored[batch++] = i;
      }
    }
    if (batch > 0) {
      run(streams, frames, scored, batch, probabilities);
    }
    return probabilities;
  }

  private StreamState own(State state) {
    if (state instanceof StreamState s && s.owner == this) {
      return s;
    }
    throw new IllegalArgumentException("state was not created by this SileroVad: " + state);
  }

  private void run(StreamState[] streams, List<float[]> frames, int[] scored, int batch, float[] probabilities) {
    ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
    lock.lock();
    Scratch buf = null;
    try {
      if (closed) {
        throw new IllegalStateException("SileroVad is closed");
      }
      buf = scratch.poll();
      if (buf == null) {
        buf = new Scratch();
      }
      buf.ensure(batch);
      FloatBuffer input = buf.input.clear();
      FloatBuffer state = buf.state.clear();
      for (int b = 0; b < batch; b++) {
        StreamState s = streams[scored[b]];
        input.put(s.context).put(frames.get(scored[b]));
        for (int layer = 0; layer < STATE_LAYERS; layer++) {
          state.put((layer * batch + b) * STATE_WIDTH, s.state, layer * STATE_WIDTH, STATE_WIDTH);
        }
      }
      input.flip();
      state.position(0).limit(STATE_FLOATS * batch);
      try (OnnxTensor inputTensor = OnnxTensor.createTensor(env, input, new long[] {batch, INPUT_SAMPLES});
           OnnxTensor stateTensor = OnnxTensor.createTensor(env, state, new long[] {STATE_LAYERS, batch, STATE_WIDTH});
           OrtSession.Result result = session.run(Map.of("input", inputTensor, "state", stateTensor, "sr", sampleRate))) {
        FloatBuffer output = floats(result, "output");
        FloatBuffer next = floats(result, "stateN");
        for (int b = 0; b < batch; b++) {
          StreamState s = streams[scored[b]];
          probabilities[scored[b]] = output.get(b);
          for (int layer = 0; layer < STATE_LAYERS; layer++) {
            next.get((layer * batch + b) * STATE_WIDTH, s.state, layer * STATE_WIDTH, STATE_WIDTH);
          }
          s.advanceContext(frames.get(scored[b]));
        }
      }
    } catch (OrtException e) {
      throw new ParleyException(Reason.INTERNAL, "Silero VAD run failed (batch of " + batch + "): " + e.getMessage(), e);
    } finally {
      if (buf != null) {
        scratch.offer(buf);
      }
      lock.unlock();
    }
  }

  private static FloatBuffer floats(OrtSession.Result result, String name) throws OrtException {
    OnnxValue value = result.get(name).orElseThrow(() -> new OrtException("no output " + name));
    return ((OnnxTensor) value).getFloatBuffer();
  }

  @Override
  public void close() {
    ReentrantReadWriteLock.WriteLock lock = lifecycle.writeLock();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      sampleRate.close();
      session.close();
      scratch.clear();
    } catch (OrtException e) {
      throw new ParleyException(Reason.INTERNAL, "closing the Silero VAD session failed: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  /** Direct buffers ONNX Runtime reads in place (a heap buffer would be copied on every run). */
  private static final class Scratch {
    FloatBuffer input;
    FloatBuffer state;
    int capacity;

    void ensure(int batch) {
      if (batch > capacity) {
        capacity = Math.max(batch, Math.max(8, capacity * 2));
        input = direct(capacity * INPUT_SAMPLES);
        state = direct(capacity * STATE_FLOATS);
      }
    }

    private static FloatBuffer direct(int floats) {
      return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
  }

  /** One stream's recurrent state and the last samples of its previous frame. */
  private static final class StreamState implements State {
    final SileroVad owner;
    final float[] state = new float[STATE_FLOATS];
    final float[] context = new float[CONTEXT_SAMPLES];
    long call;

    StreamState(SileroVad owner) {
      this.owner = owner;
    }

    void advanceContext(float[] frame) {
      System.arraycopy(frame, FRAME_SAMPLES - CONTEXT_SAMPLES, context, 0, CONTEXT_SAMPLES);
    }

    @Override
    public void reset() {
      Arrays.fill(state, 0f);
      Arrays.fill(context, 0f);
    }
  }
}
