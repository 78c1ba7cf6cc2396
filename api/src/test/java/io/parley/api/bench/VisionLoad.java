package io.parley.api.bench;

import io.parley.api.support.TestNode;
import io.parley.api.meals.ImageInput;
import io.parley.inference.vision.Detections;
import io.parley.inference.vision.GraphDetector;
import io.parley.inference.vision.GraphModel;
import io.parley.inference.vision.ObjectDetector;
import io.parley.inference.vision.Photos;
import io.parley.inference.vision.RgbImage;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load behind {@code ./parley bench vision}, in one JVM: a Parley node (embedded PostgreSQL and
 * Redis, the real NanoDet-m detector with the node's defaults or {@code VISION_WORKERS} workers of
 * {@code VISION_THREADS} threads, the Redis cache off so every request runs the model) and,
 * in the same run, alternating:
 *
 * <ul>
 *   <li><b>http</b>: {@code clients} concurrent clients posting a real photo to
 *       {@code /api/v1/vision/analyze} (upload, sniff, decode, detect, JSON) for {@code seconds};</li>
 *   <li><b>bare</b>: the same node's detector called directly by as many callers with the photo
 *       already decoded (the predictor alone: the ceiling of the HTTP path);</li>
 *   <li><b>batch on / off</b>: two more detectors in this JVM, one worker with a thread per core
 *       each, one batching (5 ms, up to 8), one not (window 0, batch 1), each driven by
 *       {@code 2 x clients} callers.</li>
 * </ul>
 *
 * Images/s and p50/p99 per mode; medians of {@code rounds}. Prints {@code RESULT key value} lines.
 * Not a test: {@code java -cp <api test classpath> io.parley.api.bench.VisionLoad ROUNDS SECONDS CLIENTS}.
 */
public final class VisionLoad {

  private VisionLoad() {}

  private record Run(double perSecond, double p50, double p99) {}

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[0]);
    int seconds = Integer.parseInt(args[1]);
    int clients = Integer.parseInt(args[2]);
    if (LoggerHolder.root() instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    byte[] photo = Files.readAllBytes(Photos.darknet("dog.jpg"));
    RgbImage decoded = new ImageInput(64 << 20, 100_000_000).decode(photo).image();
    // No voice engines: the photo path alone is measured.
    // NanoDet-m, as in every row so far (the detectors side by side: the bench's accuracy section).
    TestNode node = TestNode.start(Map.of("PARLEY_VISION_ENABLED", "true", "PARLEY_VISION_MODEL", "nanodet",
        "PARLEY_PHOTO_CACHE_TTL", "0",
        "PARLEY_VOICE_ENABLED", "false", "PARLEY_VISION_WORKERS", String.valueOf(workers()),
        "PARLEY_VISION_THREADS", String.valueOf(threads()),
        "PARLEY_RATE_LIMIT_VISION_PER_MINUTE", "10000000"));
    int exit = 0;
    // Batching on against off with one worker whose pass uses every core: a batch shares one pass's
    // threads among its photos. With one single-threaded worker per core (the node's default) each
    // core already runs its own pass and batching gains next to nothing.
    int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
    try (GraphDetector batching = GraphDetector.open(GraphModel.NANODET, new GraphDetector.Settings(
            TestNode.modelsDir().resolve("nanodet"), 1, cores, Duration.ofMillis(5), 8, 0.35f, 0.5f, "cpu"));
         GraphDetector single = GraphDetector.open(GraphModel.NANODET, new GraphDetector.Settings(
             TestNode.modelsDir().resolve("nanodet"), 1, cores, Duration.ZERO, 1, 0.35f, 0.5f, "cpu"))) {
      ObjectDetector nodeDetector = node.server().vision().detector().orElseThrow();
      String token = node.api().newUser().getString("access_token");
      // The clients share the cores with the server: a Vert.x client on one event loop of its own
      // (the JDK's HttpClient spent twice the CPU per request, a selector thread and a pool).
      io.vertx.core.Vertx clientVertx = io.vertx.core.Vertx.vertx(new io.vertx.core.VertxOptions().setEventLoopPoolSize(1));
      java.util.concurrent.CompletableFuture<Long> loop = new java.util.concurrent.CompletableFuture<>();
      clientVertx.runOnContext(v -> loop.complete(Thread.currentThread().threadId()));
      CPU.clientLoop = loop.get(10, java.util.concurrent.TimeUnit.SECONDS);
      HttpClient client = clientVertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(true),
          new io.vertx.core.http.PoolOptions().setHttp1MaxSize(clients));
      // Warm-up: JIT, libtorch's allocator, the HTTP connections. The HTTP path has far more code to
      // compile, on cores the detector keeps busy, so the compiler threads get little CPU: after a
      // fixed 40 s the C2 compiler still took 2-7 ms of CPU per analysed photo in the measured HTTP
      // runs (per-thread CPU from /proc), which the bare runs did not pay. Both modes run in turn
      // until the JIT is settled: under 2% of the wall time compiling over a whole cycle.
      warmUp(() -> {
        http(node, client, token, photo, clients, 6);
        direct(nodeDetector, decoded, clients, 2);
      });
      direct(batching, decoded, 2 * clients, 2);
      direct(single, decoded, 2 * clients, 2);
      List<Run> https = new ArrayList<>();
      List<Run> bares = new ArrayList<>();
      List<Run> ons = new ArrayList<>();
      List<Run> offs = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        Run h;
        Run b;
        if (r % 2 == 0) {
          h = http(node, client, token, photo, clients, seconds);
          b = direct(nodeDetector, decoded, clients, seconds);
        } else {
          b = direct(nodeDetector, decoded, clients, seconds);
          h = http(node, client, token, photo, clients, seconds);
        }
        Run on = direct(batching, decoded, 2 * clients, seconds);
        Run off = direct(single, decoded, 2 * clients, seconds);
        https.add(h);
        bares.add(b);
        ons.add(on);
        offs.add(off);
        System.out.printf(Locale.ROOT, "round %d/%d: http %.2f img/s (p50 %.0f p99 %.0f ms) | bare %.2f img/s (p50 %.0f"
                + " p99 %.0f ms) | ratio %.3f | batching on %.2f img/s, off %.2f img/s, ratio %.3f%n", r + 1, rounds,
            h.perSecond(), h.p50(), h.p99(), b.perSecond(), b.p50(), b.p99(), h.perSecond() / b.perSecond(),
            on.perSecond(), off.perSecond(), on.perSecond() / off.perSecond());
      }
      result("http_rate", median(https.stream().map(Run::perSecond).toList()));
      result("http_p50", median(https.stream().map(Run::p50).toList()));
      result("http_p99", median(https.stream().map(Run::p99).toList()));
      result("bare_rate", median(bares.stream().map(Run::perSecond).toList()));
      result("bare_p50", median(bares.stream().map(Run::p50).toList()));
      result("bare_p99", median(bares.stream().map(Run::p99).toList()));
      List<Double> ratios = new ArrayList<>();
      List<Double> batchRatios = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        ratios.add(https.get(i).perSecond() / bares.get(i).perSecond());
        batchRatios.add(ons.get(i).perSecond() / offs.get(i).perSecond());
      }
      result("ratio", median(ratios));
      result("batch_on_rate", median(ons.stream().map(Run::perSecond).toList()));
      result("batch_off_rate", median(offs.stream().map(Run::perSecond).toList()));
      result("batch_ratio", median(batchRatios));
      result("threads", threads());
      result("workers", workers());
      result("clients", clients);
    } catch (Exception e) {
      e.printStackTrace(System.out);
      exit = 1;
    } finally {
      node.close();
    }
    System.out.flush();
    Runtime.getRuntime().halt(exit);
  }

  private static final class LoggerHolder {
    static Object root() {
      return org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
  }

  /** The node's intra-op threads per pass: {@code VISION_THREADS}, else 1 (the node's default). */
  private static int threads() {
    String v = System.getenv("VISION_THREADS");
    return v != null ? Integer.parseInt(v) : 1;
  }

  /** The node's detector workers: {@code VISION_WORKERS}, else one per core (the node's default). */
  private static int workers() {
    String v = System.getenv("VISION_WORKERS");
    return v != null ? Integer.parseInt(v) : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  private interface Cycle {
    void run() throws Exception;
  }

  /** Runs {@code cycle} until the JIT compiled for under 2% of a cycle's wall time (at least 3, at most 20 cycles). */
  private static void warmUp(Cycle cycle) throws Exception {
    java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
    for (int i = 1; i <= 20; i++) {
      long compiled = jit.getTotalCompilationTime();
      long started = System.nanoTime();
      cycle.run();
      double wallMs = (System.nanoTime() - started) / 1e6;
      double jitMs = jit.getTotalCompilationTime() - compiled;
      System.out.printf(Locale.ROOT, "warm-up cycle %d: JIT compiled %.0f ms in %.0f ms%n", i, jitMs, wallMs);
      if (i >= 3 && jitMs < 0.02 * wallMs) {
        return;
      }
    }
    System.out.println("warm-up: the JIT did not settle in 20 cycles; measuring anyway");
  }

  private static void result(String key, double value) {
    System.out.printf(Locale.ROOT, "RESULT %s %.3f%n", key, value);
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static Run summarize(List<Long> latenciesNanos, long count, double seconds) {
    List<Long> l = new ArrayList<>(latenciesNanos);
    Collections.sort(l);
    double p50 = l.isEmpty() ? 0 : l.get(l.size() / 2) / 1e6;
    double p99 = l.isEmpty() ? 0 : l.get(Math.min(l.size() - 1, (int) Math.ceil(l.size() * 0.99) - 1)) / 1e6;
    return new Run(count / seconds, p50, p99);
  }

  /** One request, start to answer; throws when the answer is wrong. */
  private interface Request {
    void run() throws Exception;
  }

  /**
   * CPU milliseconds by thread group (the thread name without its trailing number) since the last
   * call, plus "native (PyTorch pool)": the process's CPU that no Java thread accounts for (libtorch's
   * own intra-op threads).
   */
  private static final class CpuLedger {
    private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private Map<Long, Long> lastThreads = new java.util.HashMap<>();
    private long lastProcess;
    /** The load generator's event loop: named like the server's, told apart by its id. */
    private volatile long clientLoop = -1;

    CpuLedger() {
      since();
    }

    /** Per group, CPU ms since the previous call, largest first. */
    Map<String, Double> since() {
      Map<Long, Long> now = new java.util.HashMap<>();
      Map<String, Double> groups = new java.util.TreeMap<>();
      double javaMs = 0;
      for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (t == null) {
          continue;
        }
        long cpu = threads.getThreadCpuTime(t.getThreadId());
        if (cpu < 0) {
          continue;
        }
        now.put(t.getThreadId(), cpu);
        double ms = (cpu - lastThreads.getOrDefault(t.getThreadId(), 0L)) / 1e6;
        if (ms > 0) {
          String group = t.getThreadId() == clientLoop ? "client (its vert.x event loop)"
              : t.getThreadName().replaceAll("[-#]?\\d+$", "");
          groups.merge(group, ms, Double::sum);
          javaMs += ms;
        }
      }
      long process = os.getProcessCpuTime();
      double processMs = (process - lastProcess) / 1e6;
      groups.put("native (PyTorch pool, GC)", Math.max(0, processMs - javaMs));
      lastThreads = now;
      lastProcess = process;
      return groups;
    }
  }

  private static final CpuLedger CPU = new CpuLedger();
  /** Images per forward pass, summed over the run's answers (their timings.batch_size). */
  private static final AtomicLong BATCHED = new AtomicLong();

  /** Prints the CPU per completed request by thread group for the run just ended. */
  private static void printCpu(String mode, Map<String, Double> groups, long count) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "cpu %s, ms per image:", mode));
    groups.entrySet().stream().filter(e -> e.getValue() / Math.max(1, count) >= 0.2)
        .sorted((x, y) -> Double.compare(y.getValue(), x.getValue()))
        .forEach(e -> b.append(String.format(Locale.ROOT, " %s %.1f;", e.getKey(), e.getValue() / Math.max(1, count))));
    b.append(String.format(Locale.ROOT, " total %.1f",
        groups.values().stream().mapToDouble(Double::doubleValue).sum() / Math.max(1, count)));
    System.out.println(b);
  }

  /** {@code callers} loops, each with one request in flight, for {@code seconds}. */
  private static Run drive(String mode, int callers, int seconds, Request request) throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong done = new AtomicLong();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch finished = new CountDownLatch(callers);
    long start = System.nanoTime();
    for (int c = 0; c < callers; c++) {
      Thread.ofPlatform().start(() -> {
        try {
          while (running.get()) {
            long t0 = System.nanoTime();
            request.run();
            if (running.get()) {
              latencies.add(System.nanoTime() - t0);
              done.incrementAndGet();
            }
          }
        } catch (Exception e) {
          e.printStackTrace(System.out);
        } finally {
          finished.countDown();
        }
      });
    }
    CPU.since();
    long batchedBefore = BATCHED.get();
    long doneBefore = done.get();
    Thread.sleep(seconds * 1000L);
    Map<String, Double> cpu = CPU.since();
    long counted = done.get();
    System.out.printf(Locale.ROOT, "batch %s: %.2f images per pass on average%n", mode,
        (double) (BATCHED.get() - batchedBefore) / Math.max(1, counted - doneBefore));
    running.set(false);
    double elapsed = (System.nanoTime() - start) / 1e9;
    finished.await(120, TimeUnit.SECONDS);
    Run run = summarize(latencies, done.get(), elapsed);
    printCpu(mode, cpu, counted);
    return run;
  }

  private static Run direct(ObjectDetector d, RgbImage image, int callers, int seconds) throws Exception {
    return drive("direct, " + callers + " callers", callers, seconds, () -> {
      Detections r = d.detect(image).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      BATCHED.addAndGet(r.timings().batchSize());
      if (r.objects().isEmpty()) {
        throw new IllegalStateException("nothing detected");
      }
    });
  }

  private static Run http(TestNode node, HttpClient client, String token, byte[] photo, int clients, int seconds)
      throws Exception {
    String boundary = "parley-bench-boundary";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"dog.jpg\"\r\n"
        + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(photo);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    io.vertx.core.buffer.Buffer payload = io.vertx.core.buffer.Buffer.buffer(body.toByteArray());
    URI uri = URI.create(node.baseUrl());
    io.vertx.core.http.RequestOptions options = new io.vertx.core.http.RequestOptions()
        .setMethod(io.vertx.core.http.HttpMethod.POST).setHost(uri.getHost()).setPort(uri.getPort())
        .setURI("/api/v1/vision/analyze").setTimeout(120_000)
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "multipart/form-data; boundary=" + boundary);
    return drive("http, " + clients + " clients", clients, seconds, () -> {
      io.vertx.core.http.HttpClientResponse[] response = new io.vertx.core.http.HttpClientResponse[1];
      io.vertx.core.buffer.Buffer answer = client.request(options)
          .compose(req -> req.send(payload))
          .compose(res -> {
            response[0] = res;
            return res.body();
          })
          .await(120, TimeUnit.SECONDS);
      JsonObject r = response[0].statusCode() == 200 ? new JsonObject(answer) : null;
      if (r == null || r.getJsonArray("objects").isEmpty()) {
        throw new IllegalStateException("analyze answered " + response[0].statusCode() + ": " + answer);
      }
      BATCHED.addAndGet(r.getJsonObject("timings").getInteger("batch_size"));
    });
  }
}
