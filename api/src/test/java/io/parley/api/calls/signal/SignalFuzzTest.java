package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import io.parley.api.support.CallFixture;
import io.parley.api.support.FuzzSocket;
import io.parley.api.support.JsonFuzzer;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.parley.core.testing.LogCapture;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 100,000 mutated signalling messages ({@link JsonFuzzer} over valid messages of every type but
 * hangup) from a joined user of a live call on {@code /api/v1/signal} of a real node, the expert
 * joined on the other side, with Netty's leak detector on paranoid. Every {@value #BATCH} frames a
 * ping must still be answered; a socket the server closes (20 rejected messages in 10 s close it,
 * 1008) must close with a code, and the fuzz goes on from a new socket that joins again. Afterwards:
 * nothing logged at WARN or above, no leak, the heap where it was, and a fresh call relays an offer.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SignalFuzzTest {

  private static final long SEED = Long.getLong("parley.fuzz.seed", 0x5167_A1L);
  private static final int FRAMES = Integer.getInteger("parley.fuzz.frames", 100_000);
  private static final int BATCH = 50;
  private static final Duration SYNC_WAIT = Duration.ofSeconds(30);
  private static final long MAX_HEAP_GROWTH = 48L << 20;
  private static final List<String> TYPES = List.of("auth", "join", "offer", "answer", "candidate", "renegotiate",
      "media", "leave", "ping");

  private static TestNode node;

  @BeforeAll
  static void start() {
    // A rate the fuzz does not hit: it is the messages' content that is tested here.
    node = TestNode.start(Map.of("PARLEY_SIGNAL_RATE", "100000"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static List<JsonObject> seeds(CallFixture f) {
    return List.of(
        new JsonObject().put("type", "auth").put("token", f.userToken()),
        f.join(),
        new JsonObject().put("type", "offer").put("sdp", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n").put("id", 1),
        new JsonObject().put("type", "answer").put("sdp", "v=0\r\na=group:BUNDLE 0\r\n"),
        new JsonObject().put("type", "candidate").put("candidate", new JsonObject()
            .put("candidate", "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host").put("sdpMid", "0")
            .put("sdpMLineIndex", 0)),
        new JsonObject().put("type", "renegotiate").put("reason", "camera on"),
        new JsonObject().put("type", "media").put("audio", true).put("video", false),
        new JsonObject().put("type", "leave"),
        new JsonObject().put("type", "ping").put("id", 5));
  }

  /** A socket of {@code token}'s that joined {@code f}'s call, or null when the join was refused. */
  private static FuzzSocket joined(String token, CallFixture f) throws Exception {
    FuzzSocket s = FuzzSocket.open(URI.create(node.baseUrl().replaceFirst("^http", "ws") + "/api/v1/signal"), token);
    s.send(f.join());
    JsonObject reply = s.until(m -> "joined".equals(m.getString("type")) || "error".equals(m.getString("type")),
        m -> { }, SYNC_WAIT);
    if (reply == null || !"joined".equals(reply.getString("type"))) {
      s.close();
      return null;
    }
    return s;
  }

  @Test
  void mutatedMessagesGetErrorsAndTheCallCarriesOn() throws Exception {
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    JsonFuzzer fuzzer = new JsonFuzzer(SEED, TYPES);
    Map<String, Integer> seen = new TreeMap<>();
    Map<Integer, Integer> closes = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    int calls = 0;
    long heapBefore = 0;
    try (LogCapture logs = new LogCapture("io.parley", "io.vertx", "io.netty")) {
      CallFixture f = CallFixture.start(node);
      calls++;
      FuzzSocket expert = joined(f.expertToken(), f);
      FuzzSocket user = joined(f.userToken(), f);
      List<JsonObject> seeds = seeds(f);
      List<String> batch = new ArrayList<>();
      for (int sent = 0, sync = 0; sent < FRAMES; ) {
        JsonFuzzer.Frame frame = fuzzer.mutate(seeds.get(fuzzer.nextInt(seeds.size())));
        batch.add(frame.shown());
        boolean open = user != null && user.send(frame);
        sent++;
        if (open && sent % BATCH != 0) {
          continue;
        }
        int id = sync++;
        open = open && user.send(new JsonObject().put("type", "ping").put("id", id));
        JsonObject pong = open ? user.until(m -> "pong".equals(m.getString("type")) && Integer.valueOf(id)
            .equals(m.getValue("ref")), m -> count(m, seen, failures, batch), SYNC_WAIT) : null;
        if (pong == null) {
          if (user != null) {
            Integer code = user.closeCode();
            closes.merge(code, 1, Integer::sum);
            if (code == null || code == 1006 || code == 1011) {
              failures.add("closed with " + code + " after " + batch);
            }
            user.close();
          }
          user = joined(f.userToken(), f);
          if (user == null || expert == null || expert.isClosed()) { // the fuzz ended or left the call: a new one
            if (user != null) {
              user.close();
            }
            if (expert != null) {
              expert.close();
            }
            f = CallFixture.start(node);
            calls++;
            seeds = seeds(f);
            expert = joined(f.expertToken(), f);
            user = joined(f.userToken(), f);
            assertThat(user).as("a fresh call's user joins").isNotNull();
          }
        }
        if (expert != null) {
          expert.drain();
        }
        batch.clear();
        if (sent == 2_000) {
          heapBefore = FuzzSocket.heapAfterGc();
        }
      }
      user.close();
      if (expert != null) {
        expert.close();
      }
      System.out.println("signal fuzz: " + FRAMES + " frames, seed " + SEED + ", " + calls + " calls, messages "
          + seen + ", closes " + closes);
      assertThat(failures).as("non-JSON replies and bad closes").isEmpty();
      assertThat(seen).as("the fuzz reached the handlers: errors answered").containsKey("error");
      assertThat(FuzzSocket.unexpected(logs.warnings())).as("logged at WARN or above").isEmpty();
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
    long growth = FuzzSocket.heapAfterGc() - heapBefore;
    assertThat(growth).as("heap growth after the fuzz, bytes").isLessThan(MAX_HEAP_GROWTH);

    CallFixture f = CallFixture.start(node);
    try (SignalClient user = SignalClient.connect(node.baseUrl(), f.userToken());
         SignalClient expert = SignalClient.connect(node.baseUrl(), f.expertToken())) {
      user.expect("ready");
      expert.expect("ready");
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      user.send(new JsonObject().put("type", "offer").put("sdp", "v=0 after the fuzz"));
      assertThat(expert.expect("offer").getString("sdp")).isEqualTo("v=0 after the fuzz");
    }
  }

  private static void count(JsonObject m, Map<String, Integer> seen, List<String> failures, List<String> batch) {
    String type = m.getString("type");
    seen.merge(type, 1, Integer::sum);
    if ("fuzz.not_json".equals(type) || "fuzz.binary".equals(type)) {
      failures.add("the server sent " + m.encode());
    } else if ("error".equals(type) && java.util.Arrays.stream(io.parley.api.calls.signal.protocol.SignalError.values())
        .noneMatch(e -> e.wire().equals(m.getString("code")))) {
      failures.add(m.encode() + " after " + batch);
    }
  }
}
