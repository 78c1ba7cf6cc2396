package io.parley.api.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Load generator of {@code ./parley bench signal} (bench/signal.sh); not a test (no JUnit, and its
 * name matches no Surefire pattern). It drives two servers that the script started, each its own
 * JVM with the same heap flags: Parley's signalling WebSocket and {@link SignalEcho}, the ceiling.
 *
 * <ol>
 *   <li>Seeds PostgreSQL (the server's embedded one) with one user, one expert, one accepted
 *       appointment and one open call per call needed, and mints HS256 access tokens itself with the
 *       server's {@code PARLEY_JWT_SECRET}.
 *   <li>Opens {@code --pairs} relay pairs on Parley (bearer header, both parties joined, the peer
 *       present) and as many socket pairs on the echo server. Both sockets of a pair share one
 *       event loop of this generator.
 *   <li>Saturated rounds: every pair runs a signalling cycle ping-pong, one message in flight per
 *       pair: offer (user to expert), answer, then {@link #CANDIDATES_PER_SIDE} trickled candidates
 *       each way, alternating, then the next offer (renegotiation). On Parley a message goes in on
 *       one socket and comes out on the other (parsed, validated, re-encoded with {@code from} and
 *       {@code seq}); on the echo server it comes back unchanged on the socket it was sent on, and
 *       the pair's other socket sends the next message, so both servers see the same frames, the
 *       same sockets taking turns and the same number in flight. Rounds alternate which server goes
 *       first. Latency: the time from write to the receiving party's handler; with one message in
 *       flight per pair the pair's own send timestamp identifies it exactly.
 *   <li>Paced rounds: the same cycle at {@code --paced-rate} messages per second per pair (the
 *       next message leaves one period after the previous one was sent, never before it arrived):
 *       latency at a moderate load rather than at saturation, where it is queueing.
 *   <li>Idle: closes the active sockets, forces a GC in the server ({@code jcmd PID GC.run}) and
 *       reads its heap, opens {@code --idle} connections (Parley: authenticated and joined, in
 *       pairs, every call with both parties present), holds them {@code --hold} seconds, checks
 *       that none closed (and Parley's own {@code parley_signal_connections} gauge), forces a GC
 *       and reads the heap again. The same against the echo server (plain open sockets).
 * </ol>
 * Prints one line per round and {@code RESULT key value} lines with the medians for the script.
 */
public final class SignalLoad {

  static {
    // Before anything touches Vert.x: logback's unconfigured default is DEBUG (Netty, per handshake).
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
  }

  static final String PATH = "/api/v1/signal";
  static final int CANDIDATES_PER_SIDE = 4;
  /** The cycle: frame to send, side that sends it (0 user, 1 expert), prefix the receiver checks. */
  static final String[] FRAMES;
  static final int[] FROM;
  static final String[] PREFIX;

  static {
    List<String> frames = new ArrayList<>();
    List<Integer> from = new ArrayList<>();
    frames.add(new JsonObject().put("type", "offer").put("sdp", sdp("offer")).encode());
    from.add(0);
    frames.add(new JsonObject().put("type", "answer").put("sdp", sdp("answer")).encode());
    from.add(1);
    for (int i = 0; i < 2 * CANDIDATES_PER_SIDE; i++) {
      int side = i % 2;
      frames.add(new JsonObject().put("type", "candidate").put("candidate", candidate(side, i / 2)).encode());
      from.add(side);
    }
    FRAMES = frames.toArray(String[]::new);
    FROM = from.stream().mapToInt(Integer::intValue).toArray();
    PREFIX = new String[FRAMES.length];
    for (int i = 0; i < FRAMES.length; i++) {
      PREFIX[i] = FRAMES[i].substring(1, FRAMES[i].indexOf('"', 9) + 1);   // "type":"offer"
    }
  }

  // --- options -------------------------------------------------------------------------------

  final Map<String, String> opt = new HashMap<>();

  String s(String k) {
    String v = opt.get(k);
    if (v == null) {
      throw new IllegalArgumentException("--" + k + " is required");
    }
    return v;
  }

  int i(String k, int dflt) {
    return opt.containsKey(k) ? Integer.parseInt(opt.get(k)) : dflt;
  }

  double d(String k, double dflt) {
    return opt.containsKey(k) ? Double.parseDouble(opt.get(k)) : dflt;
  }

  // --- state ---------------------------------------------------------------------------------

  Vertx vertx;
  /** One client per source address (127.0.0.2, .3, ...), used in turn: each has its own ephemeral ports. */
  WebSocketClient[] clients;
  final AtomicInteger nextClient = new AtomicInteger();
  byte[] jwtKey;
  String issuer;

  /** One socket. Setup messages are parsed; measured ones only checked by prefix. */
  final class Conn {
    final Pair pair;
    final int side;
    WebSocket ws;
    final Set<String> seen = new HashSet<>();
    final Map<String, Promise<Void>> waiting = new HashMap<>();
    volatile boolean closing;

    Conn(Pair pair, int side) {
      this.pair = pair;
      this.side = side;
    }

    /** Completes when a message of this type has arrived (before or after this call). */
    Future<Void> expect(String type) {
      if (seen.contains(type)) {
        return Future.succeededFuture();
      }
      Promise<Void> p = Promise.promise();
      waiting.put(type, p);
      return p.future();
    }

    void onText(String text) {
      Phase ph = pair.phase;
      if (ph != null) {
        pair.onMeasured(ph, side, text);
        return;
      }
      String type;
      try {
        type = new JsonObject(text).getString("type", "?");
      } catch (RuntimeException e) {
        type = "?";
      }
      if (type.equals("error")) {
        say("error during setup: %s", abbreviate(text));
        strays.increment();
        List<Promise<Void>> all = new ArrayList<>(waiting.values());
        waiting.clear();
        all.forEach(p -> p.tryFail("server error: " + text));
        return;
      }
      seen.add(type);
      Promise<Void> p = waiting.remove(type);
      if (p != null) {
        p.complete();
      } else if (!closing && !type.equals("ready") && !type.equals("joined") && !type.equals("peer-joined")) {
        strays.increment();
        if (firstStray.get() == null) {
          firstStray.compareAndSet(null, abbreviate(text));
          say("unexpected message outside a measurement: %s", abbreviate(text));
        }
      }
    }
  }

  /** A phase of measurement over all pairs of one target. */
  static final class Phase {
    final String name;
    final boolean echo;
    final long periodNanos;   // 0: saturated ping-pong
    volatile boolean running = true;
    volatile long stopAt = Long.MAX_VALUE;
    final LongAdder received = new LongAdder();
    final LongAdder errors = new LongAdder();
    final AtomicInteger inFlight = new AtomicInteger();
    final Recorder latencyMicros = new Recorder(3);
    final AtomicReference<String> firstError = new AtomicReference<>();

    Phase(String name, boolean echo, long periodNanos) {
      this.name = name;
      this.echo = echo;
      this.periodNanos = periodNanos;
    }
  }

  /** Two sockets on one event loop: a call's two parties (Parley) or two echo sockets. */
  final class Pair {
    final Context ctx;
    final Conn[] conns = {new Conn(this, 0), new Conn(this, 1)};
    volatile Phase phase;
    int step;
    long sentAt;
    boolean inFlight;

    Pair(Context ctx) {
      this.ctx = ctx;
    }

    void send(Phase ph) {
      inFlight = true;
      ph.inFlight.incrementAndGet();
      sentAt = System.nanoTime();
      conns[FROM[step]].ws.writeTextMessage(FRAMES[step]);
    }

    void onMeasured(Phase ph, int side, String text) {
      int expected = ph.echo ? FROM[step] : 1 - FROM[step];
      // The relay puts seq and from in front of the client's fields; the echo returns them as sent.
      int at = text.indexOf(PREFIX[step]);
      if (!inFlight || side != expected || at < 0 || at > 48) {
        ph.errors.increment();
        ph.firstError.compareAndSet(null, "step " + step + " side " + side + ": " + abbreviate(text));
        return;
      }
      long now = System.nanoTime();
      inFlight = false;
      ph.inFlight.decrementAndGet();
      if (now <= ph.stopAt) {
        ph.received.increment();
        ph.latencyMicros.recordValue(Math.max(0, (now - sentAt) / 1000));
      }
      step = (step + 1) % FRAMES.length;
      if (!ph.running) {
        return;
      }
      long delay = ph.periodNanos == 0 ? 0 : sentAt + ph.periodNanos - now;
      if (delay < 1_000_000) {
        send(ph);
      } else {
        vertx.setTimer(delay / 1_000_000, id -> {
          if (ph.running) {
            send(ph);
          }
        });
      }
    }
  }

  final LongAdder strays = new LongAdder();
  final AtomicReference<String> firstStray = new AtomicReference<>();
  final AtomicInteger unexpectedCloses = new AtomicInteger();

  // --- main ----------------------------------------------------------------------------------

  public static void main(String[] args) throws Exception {
    SignalLoad load = new SignalLoad();
    for (int k = 0; k + 1 < args.length; k += 2) {
      if (!args[k].startsWith("--")) {
        throw new IllegalArgumentException("expected --option value, got " + args[k]);
      }
      load.opt.put(args[k].substring(2), args[k + 1]);
    }
    int rc;
    try {
      rc = load.run();
    } catch (Exception | Error e) {
      System.out.println("FAILED " + e);
      e.printStackTrace(System.out);
      rc = 1;
    }
    System.out.flush();
    Runtime.getRuntime().halt(rc);
  }

  int run() throws Exception {
    int parleyPort = Integer.parseInt(s("parley-port"));
    int echoPort = Integer.parseInt(s("echo-port"));
    long parleyPid = Long.parseLong(s("parley-pid"));
    long echoPid = Long.parseLong(s("echo-pid"));
    int pairs = i("pairs", 1000);
    int idle = i("idle", 10000) / 2 * 2;
    int rounds = i("rounds", 5);
    double seconds = d("seconds", 5);
    double pacedSeconds = d("paced-seconds", 3);
    double pacedRate = d("paced-rate", 5);
    double warmup = d("warmup", 5);
    int hold = i("hold", 10);
    int setupConcurrency = i("setup-concurrency", 64);
    jwtKey = s("jwt-secret").getBytes(StandardCharsets.UTF_8);
    issuer = opt.getOrDefault("issuer", "parley");

    int loops = i("loops", Runtime.getRuntime().availableProcessors());
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    // A socket bound to one local address takes one of its ~28,000 ephemeral ports, whatever the
    // destination: 50,000 sockets need several addresses (all of 127/8 is loopback).
    int sources = i("sources", 1);
    if (sources < 1 || sources > 250) {
      throw new IllegalArgumentException("--sources must be 1..250, got " + sources);
    }
    clients = new WebSocketClient[sources];
    for (int k = 0; k < sources; k++) {
      clients[k] = vertx.createWebSocketClient(new WebSocketClientOptions()
          .setLocalAddress("127.0.0." + (2 + k))
          // Browsers offer permessage-deflate on every WebSocket; --deflate true does as they do.
          .setTryUsePerMessageCompression(Boolean.parseBoolean(opt.getOrDefault("deflate", "false")))
          .setMaxConnections(100_000)
          .setConnectTimeout(30_000)
          .setMaxFrameSize(1024 * 1024)
          .setMaxMessageSize(1024 * 1024));
    }
    say("%d source address(es): 127.0.0.2 to 127.0.0.%d", sources, sources + 1);

    say("frames per cycle: %d (offer %d B, answer %d B, candidate ~%d B)", FRAMES.length, FRAMES[0].length(),
        FRAMES[1].length(), FRAMES[2].length());

    // Calls: the relay pairs first, then the idle ones.
    long t0 = System.nanoTime();
    List<String[]> calls = seed(Integer.parseInt(s("pg-port")), pairs + idle / 2);
    say("seeded %d calls in PostgreSQL in %.1f s", calls.size(), secs(t0));

    t0 = System.nanoTime();
    List<Pair> relay = openPairs(parleyPort, calls.subList(0, pairs), setupConcurrency, "relay");
    say("relay: %d pairs joined on Parley in %.1f s", relay.size(), secs(t0));
    t0 = System.nanoTime();
    List<Pair> echo = openPairs(echoPort, null, setupConcurrency, "echo");
    fillEcho(echo, pairs);
    say("echo: %d pairs open in %.1f s", echo.size(), secs(t0));

    // Warm-up (JIT, buffers), not counted.
    measure(relay, new Phase("warm-up relay", false, 0), warmup, parleyPid);
    measure(echo, new Phase("warm-up echo", true, 0), warmup, echoPid);

    long period = (long) (1e9 / pacedRate);
    List<double[]> rows = new ArrayList<>();   // per round: relay msgs/s, echo msgs/s, ratio, ...
    for (int r = 1; r <= rounds; r++) {
      boolean relayFirst = r % 2 == 1;
      Result rs;
      Result es;
      if (relayFirst) {
        rs = measure(relay, new Phase("relay", false, 0), seconds, parleyPid);
        es = measure(echo, new Phase("echo", true, 0), seconds, echoPid);
      } else {
        es = measure(echo, new Phase("echo", true, 0), seconds, echoPid);
        rs = measure(relay, new Phase("relay", false, 0), seconds, parleyPid);
      }
      Result rp;
      Result ep;
      if (relayFirst) {
        rp = measure(relay, new Phase("paced relay", false, period), pacedSeconds, parleyPid);
        ep = measure(echo, new Phase("paced echo", true, period), pacedSeconds, echoPid);
      } else {
        ep = measure(echo, new Phase("paced echo", true, period), pacedSeconds, echoPid);
        rp = measure(relay, new Phase("paced relay", false, period), pacedSeconds, parleyPid);
      }
      double ratio = rs.rate / es.rate;
      rows.add(new double[] {rs.rate, es.rate, ratio, rs.p50, rs.p99, es.p50, es.p99, rp.p50, rp.p99, ep.p50,
          ep.p99, rs.cpuMicrosPerMsg, es.cpuMicrosPerMsg, rp.rate, ep.rate});
      say("round %d/%d: relay %.0f msgs/s (p50 %.2f p99 %.2f ms, server %.1f us CPU/msg) | echo %.0f msgs/s "
              + "(p50 %.2f p99 %.2f ms, %.1f us CPU/msg) | ratio %.3f | paced %.0f msgs/s: relay p50 %.2f p99 %.2f ms, "
              + "echo p50 %.2f p99 %.2f ms",
          r, rounds, rs.rate, rs.p50, rs.p99, rs.cpuMicrosPerMsg, es.rate, es.p50, es.p99, es.cpuMicrosPerMsg, ratio,
          rp.rate, rp.p50, rp.p99, ep.p50, ep.p99);
    }
    closeAll(relay);
    closeAll(echo);

    // Idle connections: heap per connection on each server.
    long parleyBase = heapKb(parleyPid);
    long parleyRssBase = ProcessProbe.rssKb(parleyPid);
    t0 = System.nanoTime();
    List<Pair> idleParley = openPairs(parleyPort, calls.subList(pairs, calls.size()), setupConcurrency, "idle");
    double idleOpenS = secs(t0);
    say("idle: %d connections authenticated and joined on Parley in %.1f s; holding %d s", 2 * idleParley.size(),
        idleOpenS, hold);
    Thread.sleep(hold * 1000L);
    int parleyHeld = heldCount(idleParley);
    long gauge = parleyGauge(parleyPort);
    long parleyLoaded = heapKb(parleyPid);
    long parleyRssLoaded = ProcessProbe.rssKb(parleyPid);
    if (opt.containsKey("histogram")) {
      // What the connections are made of: the classes on the heap with them open (after the GC above).
      Files.writeString(Path.of(s("histogram")), ProcessProbe.exec(s("jcmd"), Long.toString(parleyPid), "GC.class_histogram"));
    }
    closeAll(idleParley);
    double parleyKbPerConn = (parleyLoaded - parleyBase) / (double) idle;
    double parleyRssKbPerConn = (parleyRssLoaded - parleyRssBase) / (double) idle;
    say("idle: Parley held %d of %d (its gauge: %d); heap after GC %.1f MB -> %.1f MB: %.2f KB per connection; "
            + "resident %.1f MB -> %.1f MB: %.2f KB per connection", parleyHeld, idle, gauge, parleyBase / 1024.0,
        parleyLoaded / 1024.0, parleyKbPerConn, parleyRssBase / 1024.0, parleyRssLoaded / 1024.0, parleyRssKbPerConn);

    long echoBase = heapKb(echoPid);
    List<Pair> idleEcho = openPairs(echoPort, null, setupConcurrency, "idle echo");
    fillEcho(idleEcho, idle / 2);
    Thread.sleep(hold * 1000L);
    int echoHeld = heldCount(idleEcho);
    long echoLoaded = heapKb(echoPid);
    closeAll(idleEcho);
    double echoKbPerConn = (echoLoaded - echoBase) / (double) idle;
    say("idle: echo held %d of %d; heap after GC %.1f MB -> %.1f MB: %.2f KB per connection", echoHeld, idle,
        echoBase / 1024.0, echoLoaded / 1024.0, echoKbPerConn);

    System.out.printf(Locale.ROOT, "RESULT pairs %d%n", pairs);
    System.out.printf(Locale.ROOT, "RESULT rounds %d%n", rounds);
    String[] names = {"relay_rate", "echo_rate", "ratio", "relay_p50", "relay_p99", "echo_p50", "echo_p99",
        "paced_relay_p50", "paced_relay_p99", "paced_echo_p50", "paced_echo_p99", "relay_cpu_us", "echo_cpu_us",
        "paced_relay_rate", "paced_echo_rate"};
    for (int k = 0; k < names.length; k++) {
      double[] v = new double[rows.size()];
      for (int r = 0; r < rows.size(); r++) {
        v[r] = rows.get(r)[k];
      }
      System.out.printf(Locale.ROOT, "RESULT %s %.3f%n", names[k], median(v));
    }
    System.out.printf(Locale.ROOT, "RESULT idle %d%n", idle);
    System.out.printf(Locale.ROOT, "RESULT idle_held %d%n", parleyHeld);
    System.out.printf(Locale.ROOT, "RESULT idle_gauge %d%n", gauge);
    System.out.printf(Locale.ROOT, "RESULT idle_open_s %.1f%n", idleOpenS);
    System.out.printf(Locale.ROOT, "RESULT heap_base_mb %.1f%n", parleyBase / 1024.0);
    System.out.printf(Locale.ROOT, "RESULT heap_idle_mb %.1f%n", parleyLoaded / 1024.0);
    System.out.printf(Locale.ROOT, "RESULT heap_kb_per_conn %.2f%n", parleyKbPerConn);
    System.out.printf(Locale.ROOT, "RESULT rss_kb_per_conn %.2f%n", parleyRssKbPerConn);
    System.out.printf(Locale.ROOT, "RESULT echo_idle_held %d%n", echoHeld);
    System.out.printf(Locale.ROOT, "RESULT echo_heap_kb_per_conn %.2f%n", echoKbPerConn);
    System.out.printf(Locale.ROOT, "RESULT strays %d%n", strays.sum());
    System.out.printf(Locale.ROOT, "RESULT unexpected_closes %d%n", unexpectedCloses.get());
    boolean ok = parleyHeld == idle && echoHeld == idle && gauge == idle;
    return ok ? 0 : 3;
  }

  record Result(double rate, double p50, double p99, double cpuMicrosPerMsg) {}

  /** Runs one phase over all pairs for {@code seconds}; fails on any unexpected message. */
  Result measure(List<Pair> pairs, Phase ph, double seconds, long serverPid) throws Exception {
    ph.latencyMicros.reset();
    double cpu0 = cpuSeconds(serverPid);
    long start = System.nanoTime();
    for (Pair p : pairs) {
      p.ctx.runOnContext(v -> {
        p.phase = ph;
        if (ph.periodNanos == 0) {
          p.send(ph);
        } else {
          long offset = ThreadLocalRandom.current().nextLong(ph.periodNanos) / 1_000_000;
          vertx.setTimer(Math.max(1, offset), id -> {
            if (ph.running) {
              p.send(ph);
            }
          });
        }
      });
    }
    long durationNanos = (long) (seconds * 1e9);
    ph.stopAt = start + durationNanos;
    Thread.sleep(durationNanos / 1_000_000);
    double cpu1 = cpuSeconds(serverPid);
    ph.running = false;
    long end = System.nanoTime();
    long deadline = end + TimeUnit.SECONDS.toNanos(20);
    while (ph.inFlight.get() > 0 && System.nanoTime() < deadline && ph.errors.sum() == 0) {
      Thread.sleep(10);
    }
    if (ph.errors.sum() > 0) {
      throw new IllegalStateException(ph.name + ": " + ph.errors.sum() + " unexpected messages, first: "
          + ph.firstError.get());
    }
    if (ph.inFlight.get() > 0) {
      throw new IllegalStateException(ph.name + ": " + ph.inFlight.get() + " messages never arrived");
    }
    Thread.sleep(200);   // late paced timers see running == false
    for (Pair p : pairs) {
      p.phase = null;
    }
    Histogram h = ph.latencyMicros.getIntervalHistogram();
    long n = ph.received.sum();
    double rate = n / ((ph.stopAt - start) / 1e9);
    double cpuPerMsg = n == 0 ? 0 : (cpu1 - cpu0) * 1e6 / n;
    return new Result(rate, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, cpuPerMsg);
  }

  // --- connections ---------------------------------------------------------------------------

  /**
   * Opens pairs: with {@code calls} (id, user, expert per call) both parties on Parley with a bearer
   * token, the user joins, then the expert; without, {@link #fillEcho} opens plain sockets later.
   */
  List<Pair> openPairs(int port, List<String[]> calls, int concurrency, String what) throws Exception {
    if (calls == null) {
      return new ArrayList<>();
    }
    List<Pair> out = new ArrayList<>(calls.size());
    Semaphore slots = new Semaphore(concurrency);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (String[] call : calls) {
      if (failure.get() != null) {
        break;
      }
      if (!slots.tryAcquire(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(what + ": setup stalled");
      }
      Pair p = new Pair(vertx.getOrCreateContext());
      out.add(p);
      p.ctx.runOnContext(v -> joinPair(port, p, call).onComplete(ar -> {
        if (ar.failed()) {
          failure.compareAndSet(null, ar.cause());
        }
        slots.release();
      }));
    }
    if (!slots.tryAcquire(concurrency, 120, TimeUnit.SECONDS)) {
      throw new IllegalStateException(what + ": setup did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException(what + ": setup failed: " + failure.get().getMessage(), failure.get());
    }
    return out;
  }

  Future<Void> joinPair(int port, Pair p, String[] call) {
    String callId = call[0];
    Conn user = p.conns[0];
    Conn expert = p.conns[1];
    return connect(port, user, token(call[1], "user"))
        .compose(v -> connect(port, expert, token(call[2], "expert")))
        .compose(v -> Future.all(user.expect("ready"), expert.expect("ready")))
        .compose(v -> {
          Future<Void> joined = user.expect("joined");
          user.ws.writeTextMessage(new JsonObject().put("type", "join").put("call_id", callId).encode());
          return joined;
        })
        .compose(v -> {
          Future<Void> joined = expert.expect("joined");
          Future<Void> peer = user.expect("peer-joined");
          expert.ws.writeTextMessage(new JsonObject().put("type", "join").put("call_id", callId).encode());
          return Future.all(joined, peer);
        })
        .timeout(60, TimeUnit.SECONDS)
        .mapEmpty();
  }

  /** Adds {@code n} pairs of plain sockets to the echo server to {@code out}. */
  void fillEcho(List<Pair> out, int n) throws Exception {
    int port = Integer.parseInt(s("echo-port"));
    int concurrency = i("setup-concurrency", 64);
    Semaphore slots = new Semaphore(concurrency);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int k = 0; k < n && failure.get() == null; k++) {
      if (!slots.tryAcquire(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("echo setup stalled");
      }
      Pair p = new Pair(vertx.getOrCreateContext());
      out.add(p);
      p.ctx.runOnContext(v -> connect(port, p.conns[0], null).compose(x -> connect(port, p.conns[1], null))
          .onComplete(ar -> {
            if (ar.failed()) {
              failure.compareAndSet(null, ar.cause());
            }
            slots.release();
          }));
    }
    if (!slots.tryAcquire(concurrency, 120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("echo setup did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("echo setup failed: " + failure.get().getMessage(), failure.get());
    }
  }

  Future<Void> connect(int port, Conn c, String token) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(PATH);
    if (token != null) {
      o.addHeader("Authorization", "Bearer " + token);
    }
    WebSocketClient client = clients[Math.floorMod(nextClient.getAndIncrement(), clients.length)];
    return client.connect(o).map(ws -> {
      c.ws = ws;
      ws.textMessageHandler(c::onText);
      ws.closeHandler(v -> {
        if (!c.closing) {
          unexpectedCloses.incrementAndGet();
          c.pair.phase = null;
        }
      });
      return null;
    });
  }

  int heldCount(List<Pair> pairs) {
    int held = 0;
    for (Pair p : pairs) {
      for (Conn c : p.conns) {
        if (c.ws != null && !c.ws.isClosed()) {
          held++;
        }
      }
    }
    return held;
  }

  void closeAll(List<Pair> pairs) throws Exception {
    List<Future<Void>> closes = new ArrayList<>();
    for (Pair p : pairs) {
      for (Conn c : p.conns) {
        c.closing = true;
        if (c.ws != null && !c.ws.isClosed()) {
          Promise<Void> done = Promise.promise();
          p.ctx.runOnContext(v -> c.ws.close().onComplete(ar -> done.tryComplete()));
          closes.add(done.future());
        }
      }
    }
    Future.join(closes).await(60, TimeUnit.SECONDS);
  }

  // --- server side figures -------------------------------------------------------------------

  /** Heap in use (KB) after a full GC, read with jcmd. */
  long heapKb(long pid) throws Exception {
    return ProcessProbe.heapKbAfterGc(s("jcmd"), pid);
  }

  /** utime + stime of a process, all threads, in seconds. */
  double cpuSeconds(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) i("clk-tck", 100);
  }

  static long parleyGauge(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    for (String line : r.body().split("\n")) {
      if (line.startsWith("parley_signal_connections ") || line.startsWith("parley_signal_connections{")) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }

  // --- PostgreSQL and tokens -----------------------------------------------------------------

  /** Inserts {@code n} open calls, each with its own user and expert; returns (call, user, expert) ids. */
  static List<String[]> seed(int pgPort, int n) throws SQLException {
    UUID[] users = new UUID[n];
    UUID[] experts = new UUID[n];
    UUID[] appointments = new UUID[n];
    UUID[] callIds = new UUID[n];
    for (int k = 0; k < n; k++) {
      users[k] = UUID.randomUUID();
      experts[k] = UUID.randomUUID();
      appointments[k] = UUID.randomUUID();
      callIds[k] = UUID.randomUUID();
    }
    try (Connection db = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres",
        "postgres", "")) {
      db.setAutoCommit(false);
      // The addresses are lower-case ASCII, so each is its own e-mail key.
      update(db, "INSERT INTO users (id, email, email_key, password_hash, name, role) "
          + "SELECT id, 'bench-' || id || '@bench.invalid', 'bench-' || id || '@bench.invalid', '-', 'Bench user', "
          + "'user' FROM unnest(?::uuid[]) AS t(id)", db.createArrayOf("uuid", users));
      update(db, "INSERT INTO users (id, email, email_key, password_hash, name, role) "
          + "SELECT id, 'bench-' || id || '@bench.invalid', 'bench-' || id || '@bench.invalid', '-', 'Bench expert', "
          + "'expert' FROM unnest(?::uuid[]) AS t(id)", db.createArrayOf("uuid", experts));
      update(db, "INSERT INTO experts (user_id, display_name, specialization) "
          + "SELECT id, 'Bench expert', 'bench' FROM unnest(?::uuid[]) AS t(id)", db.createArrayOf("uuid", experts));
      update(db, "INSERT INTO appointments (id, user_id, expert_id, type, status, scheduled_at, duration_minutes, "
              + "ends_at) SELECT a, u, e, 'video', 'accepted', now() - interval '5 minutes', 180, "
              + "now() + interval '175 minutes' FROM unnest(?::uuid[], ?::uuid[], ?::uuid[]) AS t(a, u, e)",
          db.createArrayOf("uuid", appointments), db.createArrayOf("uuid", users), db.createArrayOf("uuid", experts));
      update(db, "INSERT INTO call_sessions (id, appointment_id, started_at, ends_at, started_by, limit_seconds) "
              + "SELECT c, a, now(), now() + interval '2 hours', u, 7200 "
              + "FROM unnest(?::uuid[], ?::uuid[], ?::uuid[]) AS t(c, a, u)",
          db.createArrayOf("uuid", callIds), db.createArrayOf("uuid", appointments), db.createArrayOf("uuid", users));
      db.commit();
    }
    List<String[]> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      out.add(new String[] {callIds[k].toString(), users[k].toString(), experts[k].toString()});
    }
    return out;
  }

  private static void update(Connection db, String sql, java.sql.Array... arrays) throws SQLException {
    try (PreparedStatement st = db.prepareStatement(sql)) {
      for (int k = 0; k < arrays.length; k++) {
        st.setArray(k + 1, arrays[k]);
      }
      st.executeUpdate();
    }
  }

  /** An HS256 access token with the claims the server issues (sub, role, iss, iat, exp, jti). */
  String token(String sub, String role) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long now = Instant.now().getEpochSecond();
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String claims = b64.encodeToString(new JsonObject().put("sub", sub).put("role", role).put("iss", issuer)
        .put("iat", now).put("exp", now + 7200).put("jti", UUID.randomUUID().toString()).encode()
        .getBytes(StandardCharsets.UTF_8));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(jwtKey, "HmacSHA256"));
      String input = header + "." + claims;
      return input + "." + b64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- messages ------------------------------------------------------------------------------

  /** A browser-like SDP for an audio+video call (about 3 KB as JSON), shaped like Chrome's. */
  static String sdp(String kind) {
    StringBuilder b = new StringBuilder();
    b.append("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
        .append("a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS stream\r\n");
    String[][] media = {
        {"audio", "111 63 9 0 8 13 110 126", "opus/48000/2"},
        {"video", "96 97 98 99 100 101 45 46", "VP8/90000"}};
    for (int m = 0; m < media.length; m++) {
      b.append("m=").append(media[m][0]).append(" 9 UDP/TLS/RTP/SAVPF ").append(media[m][1]).append("\r\n")
          .append("c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n")
          .append("a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=ice-options:trickle\r\n")
          .append("a=fingerprint:sha-256 ")
          .append("DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09:DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF")
          .append("\r\na=setup:").append(kind.equals("offer") ? "actpass" : "active").append("\r\n")
          .append("a=mid:").append(m).append("\r\n")
          .append("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n")
          .append("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n")
          .append("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n")
          .append("a=sendrecv\r\na=msid:stream track-").append(media[m][0]).append("\r\na=rtcp-mux\r\n");
      for (String pt : media[m][1].split(" ")) {
        b.append("a=rtpmap:").append(pt).append(' ').append(media[m][2]).append("\r\n")
            .append("a=rtcp-fb:").append(pt).append(" transport-cc\r\n")
            .append("a=fmtp:").append(pt).append(" minptime=10;useinbandfec=1\r\n");
      }
      b.append("a=ssrc:").append(1000 + m).append(" cname:bench").append("\r\n");
    }
    return b.toString();
  }

  static JsonObject candidate(int side, int k) {
    String[] kinds = {"host", "srflx", "relay", "host"};
    String kind = kinds[k % kinds.length];
    String c = "candidate:" + (842163049 + 17 * k + side) + " 1 udp " + (2122260223 - k * 1000) + " "
        + (kind.equals("host") ? "192.168.1." + (10 + side) : "203.0.113." + (7 + side)) + " " + (46154 + k)
        + " typ " + kind + (kind.equals("host") ? "" : " raddr 192.168.1.10 rport " + (46154 + k))
        + " generation 0 ufrag EsAw network-id 1 network-cost 10";
    return new JsonObject().put("candidate", c).put("sdpMid", "0").put("sdpMLineIndex", 0)
        .put("usernameFragment", "EsAw");
  }

  // --- helpers -------------------------------------------------------------------------------

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  static void say(String fmt, Object... args) {
    System.out.println(String.format(Locale.ROOT, fmt, args));
    System.out.flush();
  }
}
