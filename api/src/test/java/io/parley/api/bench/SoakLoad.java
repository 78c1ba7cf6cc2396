package io.parley.api.bench;

import io.parley.api.support.Api;
import io.parley.api.support.Multipart;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.Speech;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.vision.Photos;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak's load generator and recorder (a plain main, run by bench/soak.sh; not a unit test).
 *
 * <p>{@code plot CSV PNG TITLE} draws the plot of a run again from its samples.
 *
 * <p>{@code prepare DIR} writes the fixtures the node and the sessions need: the tiny random-weight
 * Whisper and chat models the realtime tests use, and a spoken sentence (espeak-ng, 24 kHz PCM16).
 *
 * <p>{@code run --port P --turn-port T --pid PID --home DIR --jcmd JCMD --minutes M --fraction F
 * --fixtures DIR --out DIR --log FILE} drives one node in another process:
 * <ol>
 *   <li>Capacity: photos/s (closed loop, 2 clients posting darknet's dog.jpg) and REST requests/s
 *       (closed loop, 8 clients, the soak's REST mix), {@value #CALIBRATE_S} s each.</li>
 *   <li>Load for M minutes, open loop (paced: a request is sent on time whatever came back; at most
 *       {@value #MAX_IN_FLIGHT} in flight per kind, more are counted as shed): photos and REST each
 *       at F/2 of their measured capacity, {@value #SESSIONS} realtime sessions speaking the sentence
 *       in real time with pauses, every other turn talking over the answer (barge-in), and
 *       {@value #CALLS} expert calls booked, accepted and started over REST whose media (50 packets/s
 *       of 170 bytes each way, an audio call) coturn's turnutils_uclient relays through the node's
 *       TURN with the call's REST credentials from ice-servers.</li>
 *   <li>Every minute (and at minute 0): the node's heap after a forced GC (the lowest of
 *       {@value #HEAP_READINGS_PER_MINUTE} readings over the minute: its live heap without the
 *       buffers of the requests in flight at one instant), native memory committed
 *       (NMT), RSS and PSS of the node and of each of its processes (descendants, each engine worker
 *       named by its group, and the embedded PostgreSQL started from its home), its open files and
 *       threads,
 *       event-loop lag p99 over the minute (parley_event_loop_lag_seconds), and errors: failed client
 *       requests, 5xx answers the node counted, ERROR lines in its log.</li>
 * </ol>
 * At the end it writes soak.csv and soak.png into the out directory, prints each resource's
 * least-squares slope over the judged window ({@link SoakSeries}) and RESULT lines for the script,
 * and exits 0 (judged by the script from the RESULT lines) unless it could not run.
 */
public final class SoakLoad {

  static final int CALIBRATE_S = 15;
  static final int MAX_IN_FLIGHT = 256;
  static final int SESSIONS = 4;
  static final int CALLS = 2;
  static final int REST_USERS = 4;
  static final int TURNS_PER_SESSION = 8;        // then the session closes and a new one opens
  static final Duration TURN_GAP = Duration.ofSeconds(4);
  static final Duration ANSWER_WAIT = Duration.ofSeconds(90);
  static final int CALL_PACKETS = 3_000;         // per client and call: 60 s at 50 packets/s
  static final String SENTENCE = "Two apples and a glass of milk. How many calories is that?";

  /**
   * Resource columns judged by their slope, with the RSS of each JVM (the node, each engine worker) and
   * of Redis; the rest (rates, lag, errors) are shown. PostgreSQL is judged by its processes' summed
   * USS, the memory each holds alone (catalog and plan caches, sorts): a leak there is PostgreSQL's.
   * Its shared buffers are a cache of fixed size (shared_buffers) whose pages become resident as
   * they are first touched: the backends' RSS and the processes' PSS grow with them until the
   * buffers are full (the 2026-12-05 40-minute run: PostgreSQL's PSS +6.7%/10 min at 88 MB), bounded
   * by construction; shown, not judged, as is the summed RSS of every process
   * (which counts a shared page once per process).
   */
  static final Set<String> JUDGED = Set.of("heap_mb", "pss_total_mb", "uss_postgres_mb", "nmt_committed_mb", "fds",
      "threads");

  /** Heap readings after a forced GC per minute: the minute's lowest is its live heap without requests in flight. */
  static final int HEAP_READINGS_PER_MINUTE = 3;

  /** Whether column {@code c} is judged by its slope. */
  static boolean judged(String c) {
    return JUDGED.contains(c) || c.startsWith("rss_mb java") || c.startsWith("rss_mb redis");
  }

  private final Map<String, String> a;
  private final String base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final Api api;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, AtomicLong> counts = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final ConcurrentLinkedQueue<String> errorLog = new ConcurrentLinkedQueue<>();
  private final AtomicLong slots = new AtomicLong();
  private final AtomicLong farSlots = new AtomicLong();
  private final Instant slotBase = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.DAYS);
  private final AtomicLong lastBooking = new AtomicLong();

  private byte[] dog;
  private byte[] fruits;
  private byte[] speechPcm;
  private List<Account> restAccounts;
  private List<String> restIds;
  private Account expert;
  private String expertId;
  private Account caller;
  private Account voice;

  private SoakLoad(Map<String, String> args) {
    this.a = args;
    this.base = "http://127.0.0.1:" + args.get("port");
    this.api = new Api(base);
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("prepare")) {
      prepare(Path.of(args[1]));
      return;
    }
    if (args.length == 4 && args[0].equals("plot")) {
      SoakSeries s = SoakSeries.readCsv(Path.of(args[1]));
      s.writePng(Path.of(args[2]), args[3], panels(s));
      return;
    }
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      map.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    for (String k : List.of("port", "turn-port", "pid", "home", "jcmd", "minutes", "fraction", "fixtures", "out",
        "log")) {
      if (!map.containsKey(k)) {
        throw new IllegalArgumentException("missing --" + k);
      }
    }
    new SoakLoad(map).run();
    System.exit(0);
  }

  static void prepare(Path dir) throws IOException {
    Files.createDirectories(dir);
    TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    TinyGguf.write(dir.resolve("tiny-llama.gguf"));
    Speech.wav(SENTENCE, 24_000, dir, "speech");
    System.out.println("fixtures written to " + dir);
  }

  // --- run ---------------------------------------------------------------------------------------

  private void run() throws Exception {
    dog = Files.readAllBytes(Photos.darknet("dog.jpg"));
    fruits = Files.readAllBytes(Photos.opencv("fruits.jpg"));
    byte[] wav = Files.readAllBytes(Path.of(a.get("fixtures")).resolve("speech.wav"));
    speechPcm = Arrays.copyOfRange(wav, 44, wav.length);
    setUpAccounts();

    double fraction = Double.parseDouble(a.get("fraction"));
    double photoCap = closedLoop("photos", 2, this::photo);
    double restCap = closedLoop("rest", 8, this::rest);
    double photoRate = photoCap * fraction / 2;
    double restRate = restCap * fraction / 2;
    System.out.printf(Locale.ROOT, "capacity: %.1f photos/s, %.0f REST requests/s; soak load: %.2f photos/s, "
        + "%.1f REST/s, %d realtime sessions, %d calls%n", photoCap, restCap, photoRate, restRate, SESSIONS, CALLS);
    counts.clear();
    errorLog.clear();

    double minutes = Double.parseDouble(a.get("minutes"));
    long start = System.nanoTime();
    long end = start + (long) (minutes * 60e9);
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    // Access tokens live 15 minutes by default: rotate every account's every 5.
    pacer.scheduleAtFixedRate(() -> threads.submit(this::refreshAll), 5, 5, TimeUnit.MINUTES);
    paced(pacer, "photos", photoRate, this::photo);
    paced(pacer, "rest", restRate, this::rest);
    CountDownLatch loops = new CountDownLatch(SESSIONS + CALLS);
    for (int i = 0; i < SESSIONS; i++) {
      int n = i;
      threads.submit(() -> loop(loops, () -> realtimeSession(n)));
    }
    for (int i = 0; i < CALLS; i++) {
      threads.submit(() -> loop(loops, this::call));
    }

    SoakSeries series = new SoakSeries();
    Recorder recorder = new Recorder();
    long heapEvery = TimeUnit.MINUTES.toMillis(1) / HEAP_READINGS_PER_MINUTE;
    pacer.scheduleAtFixedRate(() -> threads.submit(recorder::readHeap), heapEvery, heapEvery, TimeUnit.MILLISECONDS);
    Path out = Path.of(a.get("out"));
    Files.createDirectories(out);
    for (int minute = 0; ; minute++) {
      long due = start + TimeUnit.MINUTES.toNanos(minute);
      awaitUntil(due);
      series.add(minute, recorder.sample());
      series.writeCsv(out.resolve("soak.csv"));
      printMinute(series, minute);
      if (due >= end - TimeUnit.SECONDS.toNanos(1)) {
        break;
      }
    }
    stop.set(true);
    pacer.shutdownNow();
    loops.await(3, TimeUnit.MINUTES);
    report(series, out, photoCap, restCap, photoRate, restRate, minutes);
  }

  /** Waits until System.nanoTime() reaches {@code due}, on a latch nobody counts down (no sleep). */
  private static void awaitUntil(long due) throws InterruptedException {
    long left = due - System.nanoTime();
    if (left > 0) {
      new CountDownLatch(1).await(left, TimeUnit.NANOSECONDS);
    }
  }

  private void loop(CountDownLatch done, Runnable body) {
    try {
      while (!stop.get()) {
        body.run();
      }
    } finally {
      done.countDown();
    }
  }

  private void setUpAccounts() {
    restAccounts = new ArrayList<>();
    restIds = new ArrayList<>();
    for (int i = 0; i < REST_USERS; i++) {
      Account a = new Account(api.newUser());
      restAccounts.add(a);
      restIds.add(api.get("/api/v1/users/me", a.token()).json().getString("id"));
    }
    JsonObject signedUp = api.newUser();
    expectStatus("become an expert", api.put("/api/v1/experts/me", signedUp.getString("access_token"),
        new JsonObject().put("display_name", "Dr Soak").put("specialization", "nutrition")), 200);
    // Roles live in the token: log in again so that the expert's token says so.
    expert = new Account(api.login(signedUp.getString("email"), signedUp.getString("password")));
    expertId = api.get("/api/v1/users/me", expert.token()).json().getString("id");
    caller = new Account(api.newUser());
    voice = new Account(api.newUser());
  }

  /** Every account's tokens rotated, as a client does before its access token expires. */
  private void refreshAll() {
    List<Account> all = new ArrayList<>(restAccounts);
    all.addAll(List.of(expert, caller, voice));
    for (Account a : all) {
      try {
        a.refresh();
        succeeded("refreshes");
      } catch (RuntimeException e) {
        failed("auth", "refresh: " + e.getMessage());
      }
    }
  }

  /** An account's access token, rotated with its refresh token (POST /api/v1/auth/refresh). */
  private final class Account {
    private final AtomicReference<JsonObject> tokens;

    Account(JsonObject tokens) {
      this.tokens = new AtomicReference<>(tokens);
    }

    String token() {
      return tokens.get().getString("access_token");
    }

    void refresh() {
      Api.Res r = api.post("/api/v1/auth/refresh", null,
          new JsonObject().put("refresh_token", tokens.get().getString("refresh_token")));
      tokens.set(expectStatus("refresh", r, 200).json());
    }
  }

  private static Api.Res expectStatus(String what, Api.Res r, int... ok) {
    for (int s : ok) {
      if (r.status() == s) {
        return r;
      }
    }
    throw new IllegalStateException(what + ": " + r.status() + " " + r.body());
  }

  // --- capacity and pacing -----------------------------------------------------------------------

  /** Successful operations per second of {@code clients} running {@code op} back to back. */
  private double closedLoop(String kind, int clients, IntPredicate op) throws InterruptedException {
    System.out.println("capacity: " + kind + ", " + clients + " clients, " + CALIBRATE_S + " s (after 3 s of warm-up)");
    AtomicLong ok = new AtomicLong();
    AtomicBoolean counting = new AtomicBoolean();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3 + CALIBRATE_S);
    CountDownLatch done = new CountDownLatch(clients);
    AtomicLong seq = new AtomicLong();
    for (int c = 0; c < clients; c++) {
      threads.submit(() -> {
        try {
          while (System.nanoTime() < end) {
            if (op.test((int) seq.getAndIncrement()) && counting.get()) {
              ok.incrementAndGet();
            }
          }
        } finally {
          done.countDown();
        }
      });
    }
    awaitUntil(end - TimeUnit.SECONDS.toNanos(CALIBRATE_S));
    counting.set(true);
    done.await(2, TimeUnit.MINUTES);
    long failed = count(kind + "_errors").get();
    if (failed > 0) {
      throw new IllegalStateException(failed + " " + kind + " failed while measuring capacity: " + errorLog);
    }
    return ok.get() / (double) CALIBRATE_S;
  }

  /** Starts {@code op} {@code perSecond} times a second (20 ms ticks), each on a virtual thread. */
  private void paced(ScheduledExecutorService pacer, String kind, double perSecond, IntPredicate op) {
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    AtomicLong seq = new AtomicLong();
    double[] credit = {0};
    pacer.scheduleAtFixedRate(() -> {
      credit[0] += perSecond * 0.02;
      while (credit[0] >= 1 && !stop.get()) {
        credit[0] -= 1;
        if (!inFlight.tryAcquire()) {
          count(kind + "_shed").incrementAndGet();
          continue;
        }
        int n = (int) seq.getAndIncrement();
        threads.submit(() -> {
          try {
            op.test(n);
          } finally {
            inFlight.release();
          }
        });
      }
    }, 20, 20, TimeUnit.MILLISECONDS);
  }

  private AtomicLong count(String name) {
    return counts.computeIfAbsent(name, k -> new AtomicLong());
  }

  private boolean failed(String kind, String what) {
    count(kind + "_errors").incrementAndGet();
    if (errorLog.size() < 50) {
      errorLog.add(Instant.now() + " " + kind + ": " + what);
    }
    System.out.println("ERROR " + kind + ": " + what);
    return false;
  }

  private boolean succeeded(String kind) {
    count(kind).incrementAndGet();
    return true;
  }

  // --- photos and REST ---------------------------------------------------------------------------

  /** Even: analyse dog.jpg; odd: log fruits.jpg as a meal, read its photo back, delete it. */
  private boolean photo(int n) {
    String token = restAccounts.get(n % REST_USERS).token();
    try {
      if (n % 2 == 0) {
        Api.Res r = Multipart.post(base + "/api/v1/vision/analyze", token, "image", dog, "dog.jpg", Map.of());
        return r.status() == 200 ? succeeded("photos") : failed("photos", "analyze " + r.status() + " " + r.body());
      }
      Api.Res meal = Multipart.post(base + "/api/v1/meals", token, "image", fruits, "fruits.jpg",
          Map.of("store_image", "true"));
      if (meal.status() != 201) {
        return failed("photos", "meal " + meal.status() + " " + meal.body());
      }
      String id = meal.json().getString("id");
      int image = send("GET", "/api/v1/meals/" + id + "/image", token, null);
      int deleted = send("DELETE", "/api/v1/meals/" + id, token, null);
      return image == 200 && deleted == 204 ? succeeded("photos")
          : failed("photos", "meal image " + image + ", delete " + deleted);
    } catch (Exception e) {
      return failed("photos", e.toString());
    }
  }

  /** The REST mix: reads, a profile write, and at most one booking a second (booked, then cancelled). */
  private boolean rest(int n) {
    int u = n % REST_USERS;
    String token = restAccounts.get(u).token();
    try {
      int op = (n / REST_USERS) % 10;
      int status;
      switch (op) {
        case 0, 5, 9 -> status = send("GET", "/api/v1/users/me", token, null);
        case 1 -> status = send("GET", "/api/v1/meals", token, null);
        case 2 -> status = send("GET", "/api/v1/appointments?limit=20", token, null);
        case 3 -> status = send("GET", "/api/v1/experts", token, null);
        case 4 -> status = send("PUT", "/api/v1/users/me/profile", token, new JsonObject()
            .put("goals", new JsonArray().add("soak " + n % 7)).put("height_cm", 170 + n % 10)
            .put("weight_kg", 60 + n % 20).put("dietary_pref", "vegetarian").put("activity_level", "moderate"));
        case 6 -> status = send("GET", "/api/v1/foods?q=apple&limit=5", token, null);
        case 7 -> status = send("GET", "/api/v1/auth/me", token, null);
        default -> status = bookAndCancel(token);
      }
      return status / 100 == 2 ? succeeded("rest") : failed("rest", "op " + op + ": " + status);
    } catch (Exception e) {
      return failed("rest", e.toString());
    }
  }

  private int bookAndCancel(String token) throws Exception {
    long now = System.nanoTime();
    long last = lastBooking.get();
    if (now - last < TimeUnit.SECONDS.toNanos(1) || !lastBooking.compareAndSet(last, now)) {
      return send("GET", "/api/v1/appointments?limit=20", token, null);
    }
    // Far ahead: these are cancelled at once and never take a call's join window.
    Instant at = slotBase.plus(30, ChronoUnit.DAYS).plus(20 * farSlots.getAndIncrement(), ChronoUnit.MINUTES);
    Api.Res booked = api.post("/api/v1/appointments", token, booking(at));
    if (booked.status() != 201) {
      return booked.status();
    }
    return api.post("/api/v1/appointments/" + booked.json().getString("id") + "/cancel", token, null).status();
  }

  private JsonObject booking(Instant at) {
    return new JsonObject().put("expert_id", expertId).put("type", "video").put("scheduled_at", at.toString())
        .put("duration_minutes", 20);
  }

  private int send(String method, String path, String token, JsonObject body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.encode()));
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  // --- realtime ----------------------------------------------------------------------------------

  /**
   * One session: {@value #TURNS_PER_SESSION} turns, each the sentence spoken in real time (100 ms
   * chunks) and a second of silence, then the answer awaited; on odd turns the sentence is spoken
   * again as soon as the answer's first audio arrives (a barge-in: the answer is cancelled and the
   * new speech answered). Any error event, failed response or missing answer is an error.
   */
  private void realtimeSession(int n) {
    try (RealtimeClient rt = RealtimeClient.connect(base.replace("http:", "ws:") + "/v1/realtime", voice.token())) {
      count("realtime_sessions").incrementAndGet();
      Events ev = new Events(rt);
      ev.until("session.created", Duration.ofSeconds(30));
      for (int turn = 0; turn < TURNS_PER_SESSION && !stop.get(); turn++) {
        speak(rt, ev);
        if (turn % 2 == 1) {
          if (ev.until("response.output_audio.delta", ANSWER_WAIT) == null) {
            failed("realtime", "session " + n + ": no answer audio before the barge-in");
            return;
          }
          speak(rt, ev);
          count("bargeins").incrementAndGet();
        }
        JsonObject done;
        do {
          done = ev.until("response.done", ANSWER_WAIT);
          if (done == null) {
            failed("realtime", "session " + n + ": no response.done within " + ANSWER_WAIT.toSeconds() + " s");
            return;
          }
          // Our own speech cancels an answer: the barge-in, or a pause inside the sentence taken for its end.
        } while ("cancelled".equals(done.getJsonObject("response").getString("status")));
        String status = done.getJsonObject("response").getString("status");
        if (!"completed".equals(status)) {
          failed("realtime", "session " + n + ": response " + status + " " + done.encode());
          return;
        }
        succeeded("realtime_turns");
        ev.pump(TURN_GAP);
      }
    } catch (Exception e) {
      failed("realtime", "session " + n + ": " + e);
    }
  }

  /** The sentence and a second of silence, 100 ms of audio every 100 ms, reading events meanwhile. */
  private void speak(RealtimeClient rt, Events ev) throws Exception {
    int chunk = 24_000 * 2 / 10;
    byte[] audio = Arrays.copyOf(speechPcm, speechPcm.length + 24_000 * 2);
    long t0 = System.nanoTime();
    for (int off = 0, k = 0; off < audio.length; off += chunk, k++) {
      byte[] part = Arrays.copyOfRange(audio, off, Math.min(audio.length, off + chunk));
      rt.send(new JsonObject().put("type", "input_audio_buffer.append")
          .put("audio", Base64.getEncoder().encodeToString(part)));
      ev.pumpUntil(t0 + (k + 1) * 100_000_000L);
    }
  }

  /** A session's events: error events are counted as they come; waits skip other types. */
  private final class Events {
    private final RealtimeClient rt;

    Events(RealtimeClient rt) {
      this.rt = rt;
    }

    /** The next event of {@code type}, or null when {@code wait} passes first. */
    JsonObject until(String type, Duration wait) throws InterruptedException {
      long deadline = System.nanoTime() + wait.toNanos();
      while (true) {
        JsonObject e = rt.poll(Duration.ofNanos(deadline - System.nanoTime()));
        if (e == null) {
          return null;
        }
        if (see(e).equals(type)) {
          return e;
        }
      }
    }

    void pump(Duration wait) throws InterruptedException {
      pumpUntil(System.nanoTime() + wait.toNanos());
    }

    void pumpUntil(long deadline) throws InterruptedException {
      JsonObject e;
      while ((e = rt.poll(Duration.ofNanos(deadline - System.nanoTime()))) != null) {
        see(e);
      }
    }

    private String see(JsonObject e) {
      String type = e.getString("type", "");
      if (type.equals("error")) {
        failed("realtime", "error event " + e.encode());
      }
      return type;
    }
  }

  // --- calls through TURN ------------------------------------------------------------------------

  /**
   * One expert call: booked by the caller, accepted by the expert, started, its ice-servers
   * fetched; turnutils_uclient relays an audio-like stream each way between two allocations made
   * with the call's REST credentials; then the call is ended. A lost packet is an error.
   */
  private void call() {
    try {
      Instant at = slotBase.plus(20 * slots.getAndIncrement(), ChronoUnit.MINUTES);
      Api.Res booked = expectStatus("book", api.post("/api/v1/appointments", caller.token(), booking(at)), 201);
      String appointment = booked.json().getString("id");
      expectStatus("accept", api.post("/api/v1/appointments/" + appointment + "/accept", expert.token(), null), 200);
      Api.Res started = expectStatus("start call",
          api.post("/api/v1/appointments/" + appointment + "/call", caller.token(), null), 200, 201);
      String callId = started.json().getString("id");
      JsonObject ice = expectStatus("ice-servers",
          api.get("/api/v1/calls/" + callId + "/ice-servers", caller.token()), 200).json();
      JsonObject server = ice.getJsonArray("iceServers").stream().map(o -> (JsonObject) o)
          .filter(s -> s.getString("username") != null).findFirst()
          .orElseThrow(() -> new IllegalStateException("no TURN credentials in " + ice.encode()));
      uclient(server.getString("username"), server.getString("credential"));
      expectStatus("end call", api.post("/api/v1/calls/" + callId + "/end", caller.token(), null), 200, 204);
      succeeded("calls");
    } catch (Exception e) {
      failed("calls", e.toString());
      // A failing setup must not spin: wait a little before the next call.
      try {
        awaitUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void uclient(String user, String password) throws Exception {
    List<String> cmd = List.of("turnutils_uclient", "-c", "-y", "-m", "2", "-n", Integer.toString(CALL_PACKETS),
        "-l", "170", "-z", "20", "-u", user, "-w", password, "-p", a.get("turn-port"), "127.0.0.1");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("turnutils_uclient failed: " + tail(out));
    }
    // uclient prints running totals; the last of each is the run's.
    long[] totals = last(out, "tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)", 2);
    long[] lost = last(out, "Total lost packets (\\d+)", 1);
    if (totals == null || lost == null) {
      throw new IllegalStateException("cannot read turnutils_uclient's totals: " + tail(out));
    }
    count("turn_packets").addAndGet(totals[1]);
    long missing = Math.max(lost[0], totals[0] - totals[1]);
    if (totals[0] == 0 || missing > 0) {
      count("turn_lost").addAndGet(missing);
      throw new IllegalStateException(missing + " packets lost of " + totals[0] + " sent: " + tail(out));
    }
  }

  /** The numbers of the last match of {@code regex} in {@code text}, or null without one. */
  private static long[] last(String text, String regex, int groups) {
    Matcher m = Pattern.compile(regex).matcher(text);
    long[] found = null;
    while (m.find()) {
      found = new long[groups];
      for (int g = 0; g < groups; g++) {
        found[g] = Long.parseLong(m.group(g + 1));
      }
    }
    return found;
  }

  private static String tail(String s) {
    return s.length() > 1500 ? s.substring(s.length() - 1500) : s;
  }

  // --- recording ---------------------------------------------------------------------------------

  /** Reads the node's figures; rates and errors as differences since the previous sample. */
  private final class Recorder {
    private final long pid = Long.parseLong(a.get("pid"));
    private final String jcmd = a.get("jcmd");
    private final Path log = Path.of(a.get("log"));
    private final Map<String, Long> lastCounts = new HashMap<>();
    private NavigableMap<Double, Double> lastLag = new TreeMap<>();
    private double last5xx;
    private long lastLogErrors;

    /** The lowest heap after a forced GC read since the last sample, KB (Long.MAX_VALUE: none yet). */
    private final AtomicLong lowestHeapKb = new AtomicLong(Long.MAX_VALUE);

    /** Reads the heap after a forced GC between two samples (the sample itself reads it once more). */
    void readHeap() {
      try {
        long kb = ProcessProbe.heapKbAfterGc(jcmd, pid);
        lowestHeapKb.accumulateAndGet(kb, Math::min);
      } catch (Exception e) {
        errorLog.add("heap reading: " + e);
      }
    }

    Map<String, Double> sample() throws Exception {
      Map<String, Double> v = new LinkedHashMap<>();
      long heapKb = Math.min(ProcessProbe.heapKbAfterGc(jcmd, pid), lowestHeapKb.getAndSet(Long.MAX_VALUE));
      v.put("heap_mb", heapKb / 1024.0);
      v.put("nmt_committed_mb", ProcessProbe.nmtCommittedKb(jcmd, pid) / 1024.0);
      Map<String, Double> rss = new LinkedHashMap<>();
      double total = 0;
      double pss = 0;
      double pssPostgres = 0;
      double ussPostgres = 0;
      for (Map.Entry<Long, String> p : ProcessProbe.tree(pid, a.get("home")).entrySet()) {
        try {
          double mb = ProcessProbe.rssKb(p.getKey()) / 1024.0;
          double shared = ProcessProbe.pssKb(p.getKey()) / 1024.0;
          rss.merge("rss_mb " + processName(p.getValue()), mb, Double::sum);
          total += mb;
          pss += shared;
          if (processName(p.getValue()).startsWith("postgres")) {
            pssPostgres += shared;
            ussPostgres += ProcessProbe.ussKb(p.getKey()) / 1024.0;
          }
        } catch (IOException | IllegalStateException gone) {
          // ended between listing and reading (a kernel thread has no VmRSS)
        }
      }
      v.put("rss_total_mb", total);
      v.put("pss_total_mb", pss);
      v.put("pss_postgres_mb", pssPostgres);
      v.put("uss_postgres_mb", ussPostgres);
      v.put("fds", (double) ProcessProbe.fds(pid));
      v.put("threads", (double) ProcessProbe.threads(pid));
      String metrics = metrics();
      NavigableMap<Double, Double> lag = lagBuckets(metrics);
      v.put("lag_p99_ms", SoakSeries.quantile(SoakSeries.delta(lag, lastLag), 0.99) * 1000);
      lastLag = lag;
      double fiveXx = serverErrors(metrics);
      long logErrors = logErrors();
      long clientErrors = 0;
      Map<String, Long> now = new TreeMap<>();
      counts.forEach((k, c) -> now.put(k, c.get()));
      for (Map.Entry<String, Long> c : now.entrySet()) {
        long d = c.getValue() - lastCounts.getOrDefault(c.getKey(), 0L);
        if (c.getKey().endsWith("_errors")) {
          clientErrors += d;
        }
      }
      v.put("client_errors", (double) clientErrors);
      v.put("node_5xx", fiveXx - last5xx);
      v.put("node_log_errors", (double) (logErrors - lastLogErrors));
      for (String k : List.of("photos", "rest", "realtime_turns", "bargeins", "calls", "turn_packets",
          "photos_shed", "rest_shed")) {
        v.put(k + "_per_min", (double) (now.getOrDefault(k, 0L) - lastCounts.getOrDefault(k, 0L)));
      }
      last5xx = fiveXx;
      lastLogErrors = logErrors;
      lastCounts.clear();
      lastCounts.putAll(now);
      v.putAll(rss);
      return v;
    }

    private String metrics() throws Exception {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("/metrics answered " + r.statusCode());
      }
      return r.body();
    }

    private long logErrors() throws IOException {
      try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
        return lines.filter(l -> l.contains(" ERROR ")).count();
      }
    }
  }

  /** A process's name for a column: java's main class or jar, otherwise the program and its first word. */
  static String processName(String cmdline) {
    Matcher jar = Pattern.compile("-jar (\\S+)").matcher(cmdline);
    if (cmdline.startsWith("java") || cmdline.contains("/java ")) {
      if (jar.find()) {
        return "java " + Path.of(jar.group(1)).getFileName();
      }
      String[] words = cmdline.split(" ");
      for (int i = 1; i < words.length; i++) {
        if (words[i].matches("[a-z][\\w.]*\\.[A-Z]\\w*")) {
          // An engine worker's first argument is its group: "java EngineWorker speech".
          String group = i + 1 < words.length && words[i + 1].matches("[a-z]+") ? " " + words[i + 1] : "";
          return "java " + words[i].substring(words[i].lastIndexOf('.') + 1) + group;
        }
      }
      return "java";
    }
    String[] words = cmdline.split(" ");
    String program = Path.of(words[0]).getFileName().toString();
    return words.length > 1 && words[1].matches("[a-z]+") ? program + " " + words[1] : program;
  }

  /** parley_event_loop_lag_seconds' cumulative bucket counts by upper bound. */
  static NavigableMap<Double, Double> lagBuckets(String metrics) {
    NavigableMap<Double, Double> b = new TreeMap<>();
    Matcher m = Pattern.compile("(?m)^parley_event_loop_lag_seconds_bucket\\{le=\"([^\"]+)\"\\} (\\S+)$").matcher(metrics);
    while (m.find()) {
      double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
      b.put(le, Double.parseDouble(m.group(2)));
    }
    return b;
  }

  /** Requests the node answered with a 5xx status, all routes (vertx_http_server_requests_total). */
  static double serverErrors(String metrics) {
    double sum = 0;
    Matcher m = Pattern.compile("(?m)^vertx_http_server_requests_total\\{[^}]*code=\"5\\d\\d\"[^}]*\\} (\\S+)$")
        .matcher(metrics);
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }

  private void printMinute(SoakSeries s, int minute) {
    StringBuilder line = new StringBuilder("minute " + minute + ":");
    for (String c : s.columns()) {
      Double v = s.points(c).get((double) minute);
      if (v != null) {
        line.append(String.format(Locale.ROOT, " %s=%.1f", c.replace(' ', '_'), v));
      }
    }
    System.out.println(line);
  }

  // --- the verdict -------------------------------------------------------------------------------

  private void report(SoakSeries s, Path out, double photoCap, double restCap, double photoRate, double restRate,
                      double minutes) throws IOException {
    double from = s.windowStart();
    boolean flat = true;
    System.out.printf(Locale.ROOT, "slopes over minutes %.0f-%.0f (goal: under %.1f%% of the level per 10 min):%n",
        from, s.lastMinute(), SoakSeries.SLOPE_GOAL_PCT);
    for (String c : s.columns()) {
      boolean judged = judged(c);
      if (!judged && !c.equals("rss_total_mb") && !c.equals("pss_postgres_mb") && !c.startsWith("rss_mb ")) {
        continue;
      }
      SoakSeries.Trend t = s.trend(c, from);
      flat &= !judged || t.flat();
      System.out.printf(Locale.ROOT, "  %-40s level %10.1f  slope %+8.3f/min  %+6.2f%%/10 min  %s%n", c, t.level(),
          t.slopePerMinute(), t.pctPer10Minutes(), !judged ? "(shown, not judged)" : t.flat() ? "flat" : "GROWING");
      System.out.printf(Locale.ROOT, "RESULT trend %s %.1f %.3f%n", c.replace(' ', '_'), t.level(), t.pctPer10Minutes());
    }
    double errors = 0;
    for (String c : List.of("client_errors", "node_5xx", "node_log_errors")) {
      double sum = s.points(c).values().stream().mapToDouble(Double::doubleValue).sum();
      errors += sum;
      System.out.printf(Locale.ROOT, "RESULT %s %.0f%n", c, sum);
    }
    double lagP99 = s.points("lag_p99_ms").tailMap(from, true).values().stream().filter(v -> !v.isNaN())
        .mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    System.out.printf(Locale.ROOT, "RESULT lag_p99_max_ms %.2f%n", lagP99);
    System.out.printf(Locale.ROOT, "RESULT capacity %.2f %.1f%n", photoCap, restCap);
    System.out.printf(Locale.ROOT, "RESULT rates %.2f %.1f%n", photoRate, restRate);
    for (String k : List.of("photos", "rest", "realtime_turns", "bargeins", "calls", "turn_packets", "photos_shed",
        "rest_shed", "realtime_sessions", "refreshes")) {
      System.out.printf(Locale.ROOT, "RESULT total %s %d%n", k, count(k).get());
    }
    System.out.printf(Locale.ROOT, "RESULT window %.0f %.0f%n", from, s.lastMinute());
    System.out.printf("RESULT goal %s%n", flat && errors == 0 ? "yes" : "NO");
    if (!errorLog.isEmpty()) {
      System.out.println("first errors:");
      errorLog.forEach(e -> System.out.println("  " + e));
    }
    s.writePng(out.resolve("soak.png"), String.format(Locale.ROOT,
        "Parley soak: %.0f min, %.2f photos/s, %.0f REST/s, %d realtime sessions, %d TURN calls (window shaded, fit dashed)",
        minutes, photoRate, restRate, SESSIONS, CALLS), panels(s));
    System.out.println("wrote " + out.resolve("soak.csv") + " and " + out.resolve("soak.png"));
  }

  /** The plot's panels: a resource each, the processes' memory in two, errors, and the load. */
  static List<SoakSeries.Panel> panels(SoakSeries s) {
    // The JVMs (the node, engine workers) beside the totals; the small processes in a panel of their own.
    List<String> rssPanel = new ArrayList<>(List.of("rss_total_mb", "pss_total_mb", "pss_postgres_mb",
        "uss_postgres_mb"));
    List<String> others = new ArrayList<>();
    for (String c : s.columns()) {
      if (c.startsWith("rss_mb java")) {
        rssPanel.add(c);
      } else if (c.startsWith("rss_mb ")) {
        others.add(c);
      }
    }
    return List.of(
        new SoakSeries.Panel("Heap after GC, MB", List.of("heap_mb")),
        new SoakSeries.Panel("Memory, MB: RSS and PSS of all the node's processes, RSS of its JVMs", rssPanel),
        new SoakSeries.Panel("RSS, MB: the node's other processes", others),
        new SoakSeries.Panel("Native memory committed (NMT), MB", List.of("nmt_committed_mb")),
        new SoakSeries.Panel("Open file descriptors", List.of("fds")),
        new SoakSeries.Panel("Threads", List.of("threads")),
        new SoakSeries.Panel("Event-loop lag p99 over the minute, ms", List.of("lag_p99_ms")),
        new SoakSeries.Panel("Errors per minute", List.of("client_errors", "node_5xx", "node_log_errors")),
        new SoakSeries.Panel("Load per minute", List.of("photos_per_min", "realtime_turns_per_min",
            "bargeins_per_min", "calls_per_min")),
        new SoakSeries.Panel("REST requests per minute (and shed: over " + MAX_IN_FLIGHT + " in flight)",
            List.of("rest_per_min", "rest_shed_per_min", "photos_shed_per_min")));
  }
}
