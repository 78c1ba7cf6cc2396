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
 * every direct user (Silero VAD) asks DJL's engine to start first and then shares its environment. A
 * process without DJL on its classpath (the vision benchmark's ONNX Runtime side) creates it itself.
 *
 * <p>The environment is created on a thread of its own with a stack sized to the process's command
 * line. ONNX Runtime's Linux build carries a telemetry client that, as the environment is created,
 * reads {@code /proc/self/cmdline} and matches it against a {@code std::regex}; libstdc++'s regex
 * matcher recurses once per character, so a command line of about 3,900 bytes overflowed the 1 MiB
 * stack of the calling Java thread and the JVM died with {@code Segmentation fault} and no error
 * file. That was the crash that seemed to depend on the classpath order: a benchmark started with
 * {@code java -cp <every jar>} crossed the length, {@code java -jar} and surefire's manifest jar never
 * did. {@code OrtStartupTest} starts both engines, in either order, under a long command line.
 */
public final class OrtEnvironments {

  /** Stack bytes per command-line byte for the regex's recursion (1 MiB held ~3,900 bytes; doubled). */
  static final long STACK_PER_COMMAND_LINE_BYTE = 512;

  /** Stack besides the recursion: the environment's own start-up. */
  static final long BASE_STACK = 16L << 20;

  private static OrtEnvironment environment;

  private OrtEnvironments() {}

  /** The shared environment, created through DJL's ONNX Runtime engine on first use. */
  public static synchronized OrtEnvironment shared() {
    if (environment == null) {
      environment = createOnLargeStack();
    }
    return environment;
  }

  private static OrtEnvironment createOnLargeStack() {
    OrtEnvironment[] created = new OrtEnvironment[1];
    Throwable[] failed = new Throwable[1];
    Thread starter = new Thread(null, () -> {
      try {
        if (djlPresent()) {
          Engine.getEngine("OnnxRuntime");
        }
        created[0] = OrtEnvironment.getEnvironment();
      } catch (Throwable t) {
        failed[0] = t;
      }
    }, "onnxruntime-start", stackFor(commandLineBytes()));
    starter.start();
    try {
      starter.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ParleyException(ParleyException.Reason.UNAVAILABLE, "interrupted while ONNX Runtime started", e);
    }
    if (failed[0] instanceof RuntimeException r) {
      throw r;
    }
    if (failed[0] instanceof Error err) {
      throw err;
    }
    if (failed[0] != null) {
      throw new ParleyException(ParleyException.Reason.UNAVAILABLE, "ONNX Runtime could not start: " + failed[0], failed[0]);
    }
    return created[0];
  }

  private static boolean djlPresent() {
    try {
      Class.forName("ai.djl.engine.Engine", false, OrtEnvironments.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** The stack the environment's creation needs with a command line of {@code bytes}. */
  static long stackFor(long bytes) {
    return BASE_STACK + STACK_PER_COMMAND_LINE_BYTE * bytes;
  }

  /** The length of this process's command line as the kernel reports it (0 where it cannot be read). */
  static long commandLineBytes() {
    try {
      return Files.readAllBytes(Path.of("/proc/self/cmdline")).length;
    } catch (java.io.IOException e) { // no /proc (not Linux): no telemetry regex over it either
      return 0;
    }
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
