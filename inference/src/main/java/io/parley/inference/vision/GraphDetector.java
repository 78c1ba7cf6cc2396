package io.parley.inference.vision;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import ai.djl.translate.TranslateException;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bundled detector ({@link GraphModel}: NanoDet-m or the CenterNet, COCO's 80 classes) on DJL's
 * PyTorch engine: the TensorFlow.js graph from its folder under the models directory read by
 * {@link GraphExecutor} and, on the CPU, compiled to one TorchScript module ({@link CompiledGraph};
 * {@code compiled=false} or a GPU runs it op by op instead), as the block of a DJL model whose
 * predictor's translator ({@link GraphTranslator}) letterboxes the photos and decodes the boxes.
 *
 * <p><b>Threads.</b> {@code workers} platform threads ({@code parley-vision-N}), each with its own
 * model, graph and predictor (one predictor per worker thread); PyTorch's intra-op pool has
 * {@code threads} threads ({@code ai.djl.pytorch.num_threads}, fixed when the engine first loads).
 * Nothing runs on the caller's thread: {@link #detect} queues and returns; the result completes on
 * the caller's Vert.x context.
 *
 * <p>Each worker warms its executor with {@link #WARMUP_PASSES} blank passes before taking requests.
 *
 * <p><b>Dynamic batching.</b> A worker takes the first waiting image, then waits up to
 * {@code batchWindow} for more, up to {@code maxBatch}, and runs them as one batch. A window of 0
 * batches only what is already waiting. A worker collects no more than its share of the photos in
 * the detector across all workers, and stops waiting once it has them
 * ({@link DetectorQueue#nextBatch}). At most {@link #MAX_QUEUED} images wait; beyond that
 * {@link #detect} fails with {@code LIMITED} at once (bounded memory).
 */
public final class GraphDetector implements ObjectDetector {

  private static final Logger LOG = LoggerFactory.getLogger(GraphDetector.class);

  public static final int MAX_QUEUED = DetectorQueue.MAX_QUEUED;

  /**
   * @param modelDir holds model.json and its weights
   * @param device {@code auto} (a GPU when PyTorch sees one, else the CPU), {@code cpu} or {@code gpu}
   * @param compiled on the CPU, run the graph as one compiled TorchScript module (fused, prepacked
   *     convolutions) rather than op by op
   */
  public record Settings(Path modelDir, int workers, int threads, Duration batchWindow, int maxBatch,
                         float scoreThreshold, float iouThreshold, String device, boolean compiled) {
    public Settings {
      Objects.requireNonNull(modelDir, "modelDir");
      if (workers < 1 || workers > 64 || threads < 1 || threads > 256) {
        throw new IllegalArgumentException("workers must be 1..64 and threads 1..256");
      }
      if (batchWindow.isNegative() || batchWindow.toMillis() > 1000 || maxBatch < 1 || maxBatch > 64) {
        throw new IllegalArgumentException("batch window must be 0..1000 ms and max batch 1..64");
      }
      if (!(scoreThreshold > 0 && scoreThreshold < 1) || !(iouThreshold > 0 && iouThreshold < 1)) {
        throw new IllegalArgumentException("score and IoU thresholds must be in (0, 1)");
      }
      if (!List.of("auto", "cpu", "gpu").contains(device)) {
        throw new IllegalArgumentException("device must be auto, cpu or gpu, got " + device);
      }
    }

    /** Compiled (the default). */
    public Settings(Path modelDir, int workers, int threads, Duration batchWindow, int maxBatch, float scoreThreshold,
                    float iouThreshold, String device) {
      this(modelDir, workers, threads, batchWindow, maxBatch, scoreThreshold, iouThreshold, device, true);
    }

    /** As Parley's configuration defaults: one single-threaded worker per core, batches of up to 8 within 5 ms. */
    public static Settings defaults(Path modelDir) {
      return new Settings(modelDir, Math.min(64, Math.max(1, Runtime.getRuntime().availableProcessors())), 1,
          Duration.ofMillis(5), 8, 0.35f, 0.5f, "auto");
    }
  }

  private final GraphModel model;
  private final Settings settings;
  private final TfjsGraph graph;
  private final Device device;
  private final String version;
  private final DetectorQueue queue = new DetectorQueue();
  /** Whether the workers compile the graph: asked for, on the CPU, and the probe compiled it. */
  private final boolean compiled;

  private GraphDetector(GraphModel model, Settings settings, TfjsGraph graph, Device device, String version,
                        boolean compiled) {
    this.model = model;
    this.settings = settings;
    this.graph = graph;
    this.device = device;
    this.version = version;
    this.compiled = compiled;
  }

  /**
   * Loads {@code model} from {@code settings.modelDir()} and starts the workers; a missing or bad
   * model is {@code UNAVAILABLE}.
   */
  public static GraphDetector open(GraphModel model, Settings settings) {
    TfjsGraph graph = TfjsGraph.read(settings.modelDir().resolve("model.json"));
    Engine engine = pytorch(settings.threads());
    Device device = switch (settings.device()) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (engine.getGpuCount() == 0) {
          throw new ParleyException(Reason.CONFIG, "PARLEY_VISION_DEVICE=gpu, but PyTorch sees no GPU");
        }
        yield Device.gpu();
      }
      default -> engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    };
    // Build one executor (and compile it) first on this thread so that an unsupported graph fails
    // open(), not a worker; a graph that does not compile runs op by op, with a warning.
    boolean compiled = settings.compiled() && device.equals(Device.cpu());
    try (NDManager probe = NDManager.newBaseManager(device, "PyTorch")) {
      GraphExecutor e = new GraphExecutor(graph, model.outputs(), probe);
      if (compiled) {
        try {
          CompiledGraph.compile(e, probe, new Shape(1, 3, model.side(), model.side())).close();
        } catch (ParleyException failed) {
          LOG.warn("vision: running the graph op by op: {}", failed.getMessage());
          compiled = false;
        }
      }
      e.close();
    }
    GraphDetector d = new GraphDetector(model, settings, graph, device, weightsVersion(settings.modelDir()), compiled);
    d.queue.start(settings.workers(), d::work);
    LOG.info("vision: {} {} on {}, {} ({} workers, {} threads, batches up to {} within {} ms)", model.modelName(),
        d.version, device,
        compiled ? "compiled to TorchScript" : "op by op", settings.workers(), settings.threads(), settings.maxBatch(),
        settings.batchWindow().toMillis());
    return d;
  }

  /**
   * The PyTorch engine, offline, with its thread counts set before it first loads.
   */
  static synchronized Engine pytorch(int threads) {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("PYTORCH_FLAVOR", "cpu");
    setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
    setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    passiveOpenMpWaits();
    setEnvIfAbsent("TORCH_CPP_LOG_LEVEL", "ERROR");
    Engine engine;
    try {
      engine = Engine.getEngine("PyTorch");
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new ParleyException(Reason.UNAVAILABLE, "the PyTorch engine (DJL) could not load: " + e.getMessage()
          + " (it unpacks libtorch under DJL_CACHE_DIR, ~450 MB)", e);
    }
    // NNPACK stays as libtorch has it: switching it off (at::globalContext().setUserEnabledNNPACK,
    // to silence libtorch's "Could not initialize NNPACK" lines on CPUs it does not support) made the
    // TorchScript convolution after a pad return garbage (-1.2e25 for -0.40) in one run of two,
    // which CompiledGraph's check caught (GraphExecutorTest after CenterNetPhotosTest). Its lines are
    // quieted instead: they are c10 warnings, and c10 logs warnings only at the level below.
    quietNativeWarnings();
    return engine;
  }

  /** The mangled name of {@code c10::initLogging()}, which reads {@code TORCH_CPP_LOG_LEVEL}. */
  private static final String C10_INIT_LOGGING = "_ZN3c1011initLoggingEv";

  /** The level c10 logs from (0 info, 1 warning, 2 error, 3 fatal): its {@code FLAGS_caffe2_log_level}. */
  static final String C10_LOG_LEVEL = "FLAGS_caffe2_log_level";

  /**
   * libtorch's own warnings (c10's {@code LOG(WARNING)}: "Could not initialize NNPACK! Reason:
   * Unsupported hardware", about thirty lines on a CPU without AVX2, around Parley's banner) are not
   * printed: {@code TORCH_CPP_LOG_LEVEL} defaults to {@code ERROR} (set above unless the environment
   * has it; an operator who wants them sets {@code TORCH_CPP_LOG_LEVEL=WARNING}). A Python process
   * applies the variable as torch is imported; libtorch loaded by DJL never does, so this calls
   * {@code c10::initLogging()} itself, in the libc10 the engine loaded. Errors are still printed.
   */
  private static void quietNativeWarnings() {
    try {
      c10().getFunction(C10_INIT_LOGGING).invokeVoid(new Object[0]);
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      LOG.debug("vision: could not apply TORCH_CPP_LOG_LEVEL to libtorch ({})", e.toString());
    }
  }

  /** The level libtorch's c10 logs from now, read from the loaded library (for tests and diagnostics). */
  static int nativeLogLevel() {
    return c10().getGlobalVariableAddress(C10_LOG_LEVEL).getInt(0);
  }

  /** The libc10 this process has loaded (DJL loads libtorch from its cache; dlopen of the same path is the same library). */
  private static com.sun.jna.NativeLibrary c10() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps"))) {
        int slash = line.indexOf('/');
        if (slash >= 0 && line.endsWith("/libc10.so")) {
          return com.sun.jna.NativeLibrary.getInstance(line.substring(slash));
        }
      }
    } catch (java.io.IOException e) {
      throw new UnsatisfiedLinkError("cannot read /proc/self/maps: " + e.getMessage());
    }
    throw new UnsatisfiedLinkError("libc10.so is not loaded");
  }

  /** The C library's {@code setenv}, for the one variable OpenMP reads only from the environment. */
  private interface LibC extends com.sun.jna.Library {
    int setenv(String name, String value, int overwrite);
  }

  /**
   * {@code OMP_WAIT_POLICY=PASSIVE} unless the environment says otherwise, set before libtorch (and
   * its libgomp, which reads the variable once as it loads) is loaded. With two or more intra-op
   * threads, libgomp's default spins at every barrier between operators; on a machine whose cores
   * are shared, a spinning thread burns the time slice its descheduled partner needs, and a pass took
   * 300-950 ms instead of ~50 ms at two threads here (load ~10 on 2 cores; see docs/BENCHMARKS.md).
   * Passive threads sleep on a futex instead, at a price on a quiet machine (~32 ms a two-thread
   * pass where spinning takes ~23-26): on dedicated cores {@code OMP_WAIT_POLICY=ACTIVE} keeps the
   * spinning. With one intra-op thread (the default) there are no barriers and nothing changes. Called while no other thread reads the environment natively (the engine is loaded
   * once, at startup).
   */
  private static void passiveOpenMpWaits() {
    if (!setEnvIfAbsent("OMP_WAIT_POLICY", "PASSIVE")) {
      LOG.warn("vision: could not set OMP_WAIT_POLICY=PASSIVE; with several intra-op threads on a busy"
          + " machine, set it in the environment");
    }
  }

  /**
   * Sets a variable in the process's native environment unless it is already there (native libraries
   * read it, not Java's copy). False when the C library could not be called.
   */
  private static boolean setEnvIfAbsent(String name, String value) {
    if (System.getenv(name) != null) {
      return true;
    }
    try {
      return com.sun.jna.Native.load("c", LibC.class).setenv(name, value, 0) == 0;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.debug("vision: setenv {} failed ({})", name, e.toString());
      return false;
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null && System.getenv(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** The first 12 hex digits of the weights' sha256: changes whenever the weights do. */
  private static String weightsVersion(Path dir) {
    try (var files = Files.list(dir)) {
      return sha256Prefix(files.filter(f -> f.toString().endsWith(".bin")).sorted().toList(), dir);
    } catch (IOException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "vision weights unreadable in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The first 12 hex digits of the sha256 of {@code files} read one after another ({@code where} names them in errors). */
  static String sha256Prefix(List<Path> files, Path where) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path p : files) {
        try (InputStream in = Files.newInputStream(p)) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) > 0; ) {
            sha.update(buf, 0, n);
          }
        }
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "vision weights unreadable in " + where + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Future<Detections> detect(RgbImage image) {
    return queue.submit(image);
  }

  @Override
  public String model() {
    return model.modelName();
  }

  @Override
  public String modelVersion() {
    return version;
  }

  public Device device() {
    return device;
  }

  /** Whether passes run as one compiled TorchScript module (else op by op). */
  public boolean compiled() {
    return compiled;
  }

  private GraphRunner runner(NDManager manager) {
    GraphExecutor executor = new GraphExecutor(graph, model.outputs(), manager);
    if (!compiled) {
      return executor;
    }
    try {
      return CompiledGraph.compile(executor, manager, new Shape(1, 3, model.side(), model.side()));
    } catch (ParleyException e) { // the probe in open() compiled it: not expected
      LOG.warn("vision: this worker runs the graph op by op: {}", e.getMessage());
      return executor;
    }
  }

  private void work() {
    // One DJL model and predictor per worker: the model's block is this worker's graph (compiled or
    // op by op, its weights in the model's manager), the translator does the letterbox and decoding.
    try (Model djl = Model.newInstance(model.modelName(), device, "PyTorch");
         GraphRunner runner = runner(djl.getNDManager())) {
      djl.setBlock(new LambdaBlock(in -> runner.forward(in.singletonOrThrow()), model.modelName()));
      try (Predictor<List<RgbImage>, GraphTranslator.Output> predictor =
               djl.newPredictor(new GraphTranslator(model, settings.scoreThreshold(), settings.iouThreshold()))) {
        warm(predictor);
        List<DetectorQueue.Request> batch = new ArrayList<>();
        while (!queue.closed()) {
          batch.clear();
          queue.nextBatch(batch, settings.maxBatch(), settings.batchWindow().toNanos(), 200);
          if (!batch.isEmpty()) {
            runBatch(predictor, batch);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("vision worker stopped", e);
    }
  }

  /**
   * Passes on a blank image before the first request: PyTorch's oneDNN kernels are several times
   * slower for their first passes (measured here: ~50 ms median over the first 30, ~36 ms after).
   * Requests that arrive meanwhile wait in the queue.
   */
  static final int WARMUP_PASSES = 12;

  private void warm(Predictor<List<RgbImage>, GraphTranslator.Output> predictor) {
    long t0 = System.nanoTime();
    byte[] grey = new byte[model.side() * model.side() * 3];
    java.util.Arrays.fill(grey, (byte) 128);
    List<RgbImage> blank = List.of(new RgbImage(model.side(), model.side(), grey));
    for (int i = 0; i < WARMUP_PASSES && !queue.closed(); i++) {
      try {
        predictor.predict(blank);
      } catch (TranslateException e) {
        throw new ParleyException(Reason.INTERNAL, "vision warm-up failed: " + e.getMessage(), e);
      }
    }
    LOG.debug("vision: worker warmed in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /** Runs {@code batch} as one prediction and completes its requests. */
  private void runBatch(Predictor<List<RgbImage>, GraphTranslator.Output> predictor,
                        List<DetectorQueue.Request> batch) {
    long started = System.nanoTime();
    int n = batch.size();
    try {
      List<RgbImage> images = new ArrayList<>(n);
      batch.forEach(r -> images.add(r.image()));
      GraphTranslator.Output out = predictor.predict(images);
      for (int i = 0; i < n; i++) {
        DetectorQueue.Request r = batch.get(i);
        Detections d = new Detections(out.objects().get(i), r.image().width(), r.image().height(), model.modelName(),
            version,
            new Detections.Timings((started - r.queuedAt()) / 1000, out.prepareNanos() / 1000 / n,
                out.inferNanos() / 1000, out.decodeNanos()[i] / 1000, n));
        DetectorQueue.complete(r, d, null);
      }
    } catch (TranslateException | RuntimeException e) {
      Throwable cause = e instanceof TranslateException && e.getCause() != null ? e.getCause() : e;
      ParleyException error = cause instanceof ParleyException pe ? pe
          : new ParleyException(Reason.INTERNAL, "object detection failed: " + cause.getMessage(), cause);
      batch.forEach(r -> DetectorQueue.complete(r, null, error));
    }
  }

  @Override
  public void close() {
    queue.close();
  }
}
