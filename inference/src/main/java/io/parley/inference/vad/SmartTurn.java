package io.parley.inference.vad;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * <a href="https://github.com/pipecat-ai/smart-turn">Smart Turn v3</a> (Pipecat's open end-of-turn
 * model, BSD-2) on ONNX Runtime: whether a speaker who paused has finished their turn, from the
 * audio of the turn so far. Several sessions' turns are scored in one run, stacked along the batch.
 *
 * <p>The model takes {@code input_features} f32[N, 80, 800], the {@link WhisperFeatures} of the
 * last 8 s of each turn, and returns {@code logits} f32[N, 1], already through a sigmoid: the
 * probability that the turn is complete. {@link #openFile} checks this signature on the file, so
 * another model is a clear error instead of wrong answers.
 *
 * <p>Thread-safe; {@link #close} waits for runs in progress.
 */
public final class SmartTurn implements AutoCloseable {

  private final OrtEnvironment env;
  private final OrtSession session;
  private final Path file;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private SmartTurn(OrtEnvironment env, OrtSession session, Path file) {
    this.env = env;
    this.session = session;
    this.file = file;
  }

  /**
   * Opens a Smart Turn v3 ONNX file with {@code threads} intra-op threads.
   *
   * @throws ParleyException UNAVAILABLE when the file is missing, not an ONNX model or not Smart
   *     Turn v3's signature; the message names {@code PARLEY_SEMANTIC_VAD_MODEL}
   */
  public static SmartTurn openFile(Path file, int threads) {
    OrtSession session = OrtEnvironments.open(file, threads, Map.of(), s -> checkSignature(s, file),
        (what, cause) -> unavailable(file, what, cause));
    return new SmartTurn(OrtEnvironments.shared(), session, file);
  }

  private static void checkSignature(OrtSession session, Path file) throws OrtException {
    Map<String, NodeInfo> in = session.getInputInfo();
    Map<String, NodeInfo> out = session.getOutputInfo();
    boolean ok = in.size() == 1 && out.size() == 1
        && in.get("input_features") != null && out.get("logits") != null
        && in.get("input_features").getInfo() instanceof TensorInfo features
        && features.type == OnnxJavaType.FLOAT && features.getShape().length == 3
        && features.getShape()[1] == WhisperFeatures.MELS && features.getShape()[2] == WhisperFeatures.FRAMES
        && out.get("logits").getInfo() instanceof TensorInfo logits
        && logits.type == OnnxJavaType.FLOAT && logits.getShape().length == 2;
    if (!ok) {
      throw unavailable(file, "does not have Smart Turn v3's input_features f32[N, 80, 800] -> logits f32[N, 1]"
          + " (inputs " + in.values() + ", outputs " + out.values() + ")", null);
    }
  }

  private static ParleyException unavailable(Path file, String what, Throwable cause) {
    String message = "end-of-turn model " + file + " " + what + ": ./parley models --turn smart-turn-v3 fetches"
        + " Smart Turn v3, or set PARLEY_SEMANTIC_VAD_MODEL to its ONNX file";
    return cause == null
        ? new ParleyException(Reason.UNAVAILABLE, message)
        : new ParleyException(Reason.UNAVAILABLE, message, cause);
  }

  public Path file() {
    return file;
  }

  /** The probability that each turn is complete, for the audio of each turn so far (16 kHz). */
  public float[] complete(List<float[]> turns) {
    int n = turns.size();
    float[] probabilities = new float[n];
    if (n == 0) {
      return probabilities;
    }
    FloatBuffer input = ByteBuffer.allocateDirect(n * WhisperFeatures.SIZE * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (float[] turn : turns) {
      input.put(WhisperFeatures.of(turn));
    }
    input.flip();
    ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("SmartTurn is closed");
      }
      try (OnnxTensor features = OnnxTensor.createTensor(env, input,
               new long[] {n, WhisperFeatures.MELS, WhisperFeatures.FRAMES});
           OrtSession.Result result = session.run(Map.of("input_features", features))) {
        FloatBuffer logits = ((OnnxTensor) result.get(0)).getFloatBuffer();
        for (int i = 0; i < n; i++) {
          probabilities[i] = logits.get(i);
        }
      }
    } catch (OrtException e) {
      throw new ParleyException(Reason.INTERNAL, "Smart Turn run failed (batch of " + n + "): " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
    return probabilities;
  }

  @Override
  public void close() {
    ReentrantReadWriteLock.WriteLock lock = lifecycle.writeLock();
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        session.close();
      }
    } catch (OrtException e) {
      throw new ParleyException(Reason.INTERNAL, "closing the Smart Turn session failed: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }
}
