package io.parley.inference.vad;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.parley.core.ParleyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The process's one ONNX Runtime environment. ONNX Runtime allows a single environment per process,
 * and DJL's ONNX Runtime engine (used for operator-supplied YOLO exports) insists on creating it
 * itself, with its thread-pool options: created anywhere else first, DJL's engine fails to start. So
 * every direct user (Silero VAD) asks DJL's engine to start first and then shares its environment.
 */
public final class OrtEnvironments {

  private OrtEnvironments() {}

  /** The shared environment, created through DJL's ONNX Runtime engine on first use. */
  public static synchronized OrtEnvironment shared() {
    Engine.getEngine("OnnxRuntime");
    return OrtEnvironment.getEnvironment();
  }

  /** Checks that a session has the inputs and outputs its model should have. */
  interface SignatureCheck {
    void check(OrtSession session) throws OrtException;
  }

  /** The error a model that cannot be opened is refused with: {@code what} is wrong with the file. */
  interface Unavailable {
    ParleyException because(String what, Throwable cause);
  }

  /**
   * Opens the model {@code file} ({@link #session}) and checks its signature; a missing file, one
   * that is not ONNX or has another signature fails with {@code unavailable}'s error, and no
   * session is left open.
   */
  static OrtSession open(Path file, int threads, Map<String, String> config, SignatureCheck check,
                         Unavailable unavailable) {
    if (!Files.isRegularFile(file)) {
      throw unavailable.because("is missing", null);
    }
    OrtSession session = null;
    try {
      session = session(file, threads, config);
      check.check(session);
      return session;
    } catch (OrtException e) {
      closeQuietly(session);
      throw unavailable.because("is not a valid ONNX model (" + e.getMessage() + ")", e);
    } catch (RuntimeException e) {
      closeQuietly(session);
      throw e;
    }
  }

  /**
   * A session on the model {@code file} as Parley's small models run: sequential, one inter-op
   * thread, {@code threads} intra-op threads that do not spin (spinning threads would burn the cores
   * other engines and streams share), every graph optimisation; {@code config}: more session
   * configuration entries.
   */
  private static OrtSession session(Path file, int threads, Map<String, String> config) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      for (Map.Entry<String, String> e : config.entrySet()) {
        options.addConfigEntry(e.getKey(), e.getValue());
      }
      return shared().createSession(file.toString(), options);
    }
  }

  /** Closes {@code c} (if any) while already failing with a clearer error. */
  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // the caller reports the error that matters
      }
    }
  }
}
