package io.parley.api.engines;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.api.assistant.VoiceOptions;
import io.parley.api.assistant.VoiceServices.Slot;
import io.parley.api.meals.VisionOptions;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigKey;
import io.parley.core.config.ConfigSource;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.LlmOptions;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.vision.ObjectDetector;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The native engines of a node in supervised worker processes ({@code PARLEY_ENGINE_ISOLATION=process},
 * the default): one process per {@link EngineGroup} this node needs (speech when voice is on, chat
 * when llama.cpp is the chat model, vision when photos are on), started at once and in parallel,
 * each restarted by its {@link WorkerProcess} when it dies. The engines here are proxies with the
 * interfaces the pipeline uses; a group whose worker could not start is a missing slot naming why.
 */
public final class EngineWorkers implements NativeEngines {

  /** libgomp's spin count in the workers, as the in-process engines had it (see {@link #launch}). */
  static final String GOMP_SPINCOUNT = "100";
  /**
   * The vision worker's: libtorch's two intra-op threads meet at a barrier per layer, and a sleeping
   * thread's wake-up at each cost DJL a quarter of its speed at 2 threads (0.73 of ONNX Runtime's on a
   * quiet machine, PASSIVE); 10,000 rounds of spinning first gave 0.91 quiet and 1.06 beside two
   * CPU-bound processes, side by side (docs/BENCHMARKS.md, vision/engines).
   */
  static final String VISION_GOMP_SPINCOUNT = "10000";

  /** The worker's main class. */
  static final String MAIN = EngineWorker.class.getName();

  private final Map<EngineGroup, WorkerProcess> workers = new EnumMap<>(EngineGroup.class);
  private final Map<EngineGroup, JsonObject> hellos = new EnumMap<>(EngineGroup.class);
  private final Map<EngineGroup, String> failures = new EnumMap<>(EngineGroup.class);
  private final Path sockets;

  private EngineWorkers(Path sockets) {
    this.sockets = sockets;
  }

  /** The engine groups a node with these options runs. */
  static List<EngineGroup> groups(VoiceOptions voice, VisionOptions vision) {
    List<EngineGroup> groups = new ArrayList<>();
    if (voice.enabled()) {
      groups.add(EngineGroup.SPEECH);
      if (voice.llm().effectiveEngine() == LlmOptions.LlmEngine.LLAMA) {
        groups.add(EngineGroup.CHAT);
      }
    }
    if (vision.enabled()) {
      groups.add(EngineGroup.VISION);
    }
    return groups;
  }

  /**
   * Where this node's engines run, as {@code options} say: worker processes started now (blocking
   * until each has loaded its models or failed), or this JVM. {@code config}: the settings the workers
   * get.
   */
  public static NativeEngines start(EngineOptions options, ConfigSource config, VoiceOptions voice,
                                    VisionOptions vision, Path models, MeterRegistry registry) {
    if (!options.isolated()) {
      return new LocalEngines(voice, vision, models);
    }
    WorkerProcess.Launch launch = launch(options, config);
    EngineWorkers engines;
    try {
      Path dir = Files.createTempDirectory("parley-engines-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      dir.toFile().deleteOnExit();
      engines = new EngineWorkers(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the engine workers' socket directory", e);
    }
    List<Thread> starting = new ArrayList<>();
    for (EngineGroup group : groups(voice, vision)) {
      WorkerProcess worker = new WorkerProcess(group, launch, engines.sockets);
      engines.workers.put(group, worker);
      starting.add(Thread.ofPlatform().name("parley-engine-start-" + group.label()).start(() -> {
        try {
          JsonObject hello = worker.start();
          synchronized (engines) {
            engines.hellos.put(group, hello);
          }
        } catch (ParleyException e) {
          synchronized (engines) {
            engines.failures.put(group, e.getMessage());
          }
        }
      }));
    }
    for (Thread t : starting) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        engines.close();
        throw new ParleyException(Reason.UNAVAILABLE, "interrupted while the engine workers started", e);
      }
    }
    engines.register(registry);
    return engines;
  }

  /** The worker's command line (the classpath goes through the environment) and environment. */
  static WorkerProcess.Launch launch(EngineOptions options, ConfigSource config) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-XX:+ExitOnOutOfMemoryError");
    // The node's logging configuration, where it names one, so that a worker's libraries are as quiet.
    String logging = System.getProperty("logback.configurationFile");
    if (logging != null) {
      command.add("-Dlogback.configurationFile=" + logging);
    }
    command.addAll(options.javaOpts());
    command.add(MAIN);
    Map<String, String> env = new HashMap<>(config.values());
    env.remove(ConfigKey.PARLEY_CONFIG.name());
    env.put("CLASSPATH", System.getProperty("java.class.path"));
    // whisper.cpp and llama.cpp wait at each step on GNU OpenMP, whose threads spin 300,000 rounds
    // there unless the process has more OpenMP threads than cores (then 100). The node's JVM, holding
    // every engine, got 100 by itself; a worker with one engine spins, and on a busy machine its
    // transcripts took 17 s instead of 0.8 s (docs/BENCHMARKS.md, voice/pipeline). An operator's own
    // setting (in the node's environment, which the worker inherits) wins.
    if (System.getenv("GOMP_SPINCOUNT") == null && System.getenv("OMP_WAIT_POLICY") == null) {
      env.put("GOMP_SPINCOUNT", GOMP_SPINCOUNT);
    }
    return new WorkerProcess.Launch(command, env, options.startTimeout(), options.answerTimeout(),
        options.queueBytes());
  }

  private void register(MeterRegistry registry) {
    workers.forEach((group, worker) -> {
      FunctionCounter.builder("parley.engine.worker.restarts", worker, WorkerProcess::restarts)
          .tag("worker", group.label())
          .description("Engine worker processes started again after one died").register(registry);
      Gauge.builder("parley.engine.worker.up", worker, w -> w.up() ? 1 : 0).tag("worker", group.label())
          .description("1 while the engine worker process is up and connected").register(registry);
      Gauge.builder("parley.engine.worker.calls", worker, WorkerProcess::inFlight).tag("worker", group.label())
          .description("Calls in the engine worker process not yet answered").register(registry);
      Gauge.builder("parley.engine.worker.queued.bytes", worker, WorkerProcess::queuedBytes)
          .tag("worker", group.label()).baseUnit("bytes")
          .description("Bytes of calls queued for the engine worker process and not yet written to it").register(registry);
      FunctionCounter.builder("parley.engine.worker.hung", worker, WorkerProcess::hung)
          .tag("worker", group.label())
          .description("Engine worker processes killed for not answering within PARLEY_ENGINE_ANSWER_TIMEOUT")
          .register(registry);
    });
  }

  /** The worker process of {@code group}, when this node runs one (tests kill it; the soak reads it). */
  public Optional<Long> pid(EngineGroup group) {
    return Optional.ofNullable(workers.get(group)).flatMap(WorkerProcess::pid);
  }

  /**
   * Each worker's state for {@code /health/ready}: {@code up}, {@code restarting} after it died, or
   * why it could not start.
   */
  public JsonObject states() {
    JsonObject out = new JsonObject();
    workers.forEach((group, worker) -> {
      String failed;
      synchronized (this) {
        failed = failures.get(group);
      }
      out.put(group.label(), failed != null ? "not started: " + failed : worker.up() ? "up" : "restarting");
    });
    return out;
  }

  /** The worker process of {@code group}, when this node runs one (an {@code ECHO} frame's round trip). */
  Optional<WorkerProcess> worker(EngineGroup group) {
    return Optional.ofNullable(workers.get(group));
  }

  /** Calls in the worker of {@code group} not yet answered. */
  public int inFlight(EngineGroup group) {
    return Optional.ofNullable(workers.get(group)).map(WorkerProcess::inFlight).orElse(0);
  }

  /** Workers of {@code group} started again after one died. */
  public long restarts(EngineGroup group) {
    return Optional.ofNullable(workers.get(group)).map(WorkerProcess::restarts).orElse(0L);
  }

  private synchronized <T> Slot<T> slot(EngineGroup group, String engine, Function<JsonObject, T> remote) {
    String failed = failures.get(group);
    if (failed != null) {
      return Slot.missing(failed);
    }
    JsonObject hello = hellos.get(group);
    if (hello == null) {
      return Slot.missing("this node runs no " + group.label() + " engine worker");
    }
    JsonObject h = hello.getJsonObject(engine);
    return h.containsKey("missing") ? Slot.missing(h.getString("missing")) : Slot.of(remote.apply(h));
  }

  @Override
  public Slot<SpeechToText> speechToText() {
    return slot(EngineGroup.SPEECH, "stt", h -> new RemoteSpeechToText(workers.get(EngineGroup.SPEECH), h));
  }

  @Override
  public Slot<ChatModel> llama() {
    return slot(EngineGroup.CHAT, "chat", h -> new RemoteChatModel(workers.get(EngineGroup.CHAT), h));
  }

  @Override
  public Slot<TextToSpeech> textToSpeech() {
    return slot(EngineGroup.SPEECH, "tts", h -> new RemoteTextToSpeech(workers.get(EngineGroup.SPEECH), h));
  }

  @Override
  public Slot<ObjectDetector> detector() {
    return slot(EngineGroup.VISION, "vision", h -> new RemoteDetector(workers.get(EngineGroup.VISION), h));
  }

  @Override
  public void close() {
    workers.values().forEach(WorkerProcess::close);
    try (var files = Files.list(sockets)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(sockets);
    } catch (IOException ignored) {
      // a temporary directory left behind
    }
  }
}
