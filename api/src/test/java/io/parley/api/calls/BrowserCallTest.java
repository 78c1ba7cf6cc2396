package io.parley.api.calls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.SpeechWav;
import io.parley.api.support.TestNode;
import io.parley.media.turn.TurnServer;
import io.parley.core.testing.TestCertificate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real browsers make an expert call through Parley ({@code api/src/test/js/call-browser.mjs}): two
 * headless Chromium profiles (Debian's chromium, driven by playwright-core), one logged in as the
 * user and one as the expert, each with a fake microphone playing a speech WAV made by espeak-ng.
 * They join through Parley's signalling WebSocket with Parley's ICE servers and relay-only ICE, so
 * every media packet crosses Parley's TURN server. The call's limit is a few seconds: at it the
 * server must tell both pages and cut the relays, and the audio must stop within a second although
 * neither page closes its peer connection. The same call runs once over UDP and once forced onto
 * TURN over TLS ({@code turns:} only, as on a network that passes nothing but TLS), with Chromium
 * checking Parley's certificate as it checks any: trusted through its NSS database, for the host of
 * the {@code turns:} URL.
 */
class BrowserCallTest {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BrowserCallTest.class);
  private static final Path SCRIPT = Path.of("api/src/test/js/call-browser.mjs");
  /**
   * The call limit: time for both browsers to connect (about a second here) and to show two seconds
   * of audio, with room to spare on a busy two-core machine.
   */
  private static final int LIMIT_SECONDS = 10;
  private static final String SPEECH = "Hello, this is a Parley test call. The user asks a question, "
      + "and the expert answers it clearly and slowly.";

  @TempDir
  Path dir;

  @Test
  void twoBrowsersTalkThroughParleysRelayUntilTheServerEndsTheCall() throws Exception {
    call(false);
  }

  /**
   * Both browsers get nothing but the {@code turns:} URL of the ice-servers body, relay-only: the
   * call connects through relay candidates allocated over TLS ({@code relayProtocol} "tls") and the
   * audio flows and stops as over UDP.
   */
  @Test
  void twoBrowsersTalkOverTurnsOnly() throws Exception {
    call(true);
  }

  /** The expert call in two browsers; {@code tls}: over {@code turns:} only, else Parley's ice-servers as given. */
  private void call(boolean tls) throws Exception {
    Path chromium = NodeScript.requireCommand("chromium", "chromium");
    NodeScript.requirePackages("playwright-core");
    if (tls) {
      NodeScript.requireCommand("certutil", "libnss3-tools");
    }
    Path wav = SpeechWav.write(dir, SPEECH, 0);
    TestCertificate certificate = TestCertificate.create(dir, "turn");

    try (TestNode node = TestNode.start(Map.of(
            "PARLEY_TURN_ALLOW_PEERS", "127.0.0.0/8", // the browsers' relayed addresses are loopback ones
            "PARLEY_TURN_TLS_CERT", certificate.cert().toString(),
            "PARLEY_TURN_TLS_KEY", certificate.key().toString(),
            "PARLEY_CALL_LIMIT", String.valueOf(LIMIT_SECONDS)));
         ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor()) {
      TurnServer turn = node.server().turn().orElseThrow(() -> new AssertionError("the test node runs no TURN server"));
      String turnUrl = tls ? "turns:127.0.0.1:" + turn.tlsPort() : "turn:127.0.0.1:" + turn.udpPort();
      Api api = node.api();
      JsonObject user = api.newUser();
      JsonObject expert = api.newUser();
      UUID userId = UUID.fromString(api.get("/api/v1/users/me", user.getString("access_token")).json().getString("id"));
      String expertToken = expert.getString("access_token");
      Api.Res listing = api.put("/api/v1/experts/me", expertToken, new JsonObject()
          .put("display_name", "Dr Browser").put("specialization", "Calls-" + UUID.randomUUID()));
      assertThat(listing.status()).as(listing.body()).isEqualTo(200);
      UUID expertId = UUID.fromString(listing.json().getString("id"));
      UUID appointmentId = acceptedAppointment(node, userId, expertId);

      // Allocations on Parley's TURN server, and the moment this node applied the call's end.
      AtomicInteger peakAllocations = new AtomicInteger();
      AtomicLong endedNanos = new AtomicLong();
      AtomicLong zeroAfterEndNanos = new AtomicLong();
      AtomicInteger maxAllocationsLate = new AtomicInteger();
      sampler.scheduleAtFixedRate(() -> {
        int n = turn.allocations();
        peakAllocations.accumulateAndGet(n, Math::max);
        long ended = endedNanos.get();
        if (ended != 0) {
          long now = System.nanoTime();
          if (n == 0) {
            zeroAfterEndNanos.compareAndSet(0, now);
          }
          if (now - ended > 1_000_000_000L) {
            maxAllocationsLate.accumulateAndGet(n, Math::max);
          }
        }
      }, 0, 10, TimeUnit.MILLISECONDS);

      String ws = "ws://127.0.0.1:" + node.server().httpPort() + "/api/v1/signal";
      List<String> args = new ArrayList<>(List.of("--ws", ws,
          "--turn-port", String.valueOf(tls ? turn.tlsPort() : turn.udpPort()), "--wav", wav.toString(),
          "--profiles", dir.resolve("profiles").toString(), "--chromium", chromium.toString(),
          "--timeout-ms", "90000", "--flow-ms", "2000"));
      if (tls) {
        args.addAll(List.of("--turn-scheme", "turns", "--trust-cert", certificate.cert().toString()));
      }
      try (NodeScript script = NodeScript.start(SCRIPT, args, Map.of())) {
        // The browsers first: the call's clock starts only once both are up.
        String ready = script.nextLine(Duration.ofSeconds(90));
        if (ready == null || !ready.contains("\"ready\"")) {
          fail("the browsers did not come up (" + ready + "); chromium and playwright-core " + NodeScript.version(
              "playwright-core") + " come from ./parley test\n" + script.output());
        }
        CallStore.Started started = node.server().calls().start(appointmentId, userId).await();
        Call call = started.call();
        node.server().calls().onEnded(c -> {
          if (c.id().equals(call.id())) {
            endedNanos.compareAndSet(0, System.nanoTime());
          }
        });
        assertThat(started.created()).isTrue();
        assertThat(Duration.between(call.startedAt(), call.endsAt())).isEqualTo(Duration.ofSeconds(LIMIT_SECONDS));
        JsonObject userIce = node.server().calls().iceServers(call.id(), userId).await();
        JsonObject expertIce = node.server().calls().iceServers(call.id(), expertId).await();
        if (tls) {
          userIce = turnsOnly(userIce);
          expertIce = turnsOnly(expertIce);
        }
        script.writeLine(new JsonObject()
            .put("call_id", call.id().toString())
            .put("user", new JsonObject().put("token", user.getString("access_token")).put("ice", userIce))
            .put("expert", new JsonObject().put("token", expertToken).put("ice", expertIce))
            .encode());

        int exit = script.await(Duration.ofSeconds(120));
        Thread.sleep(200); // a last few allocation samples after the end
        String why = "chromium via playwright-core " + NodeScript.version("playwright-core") + " exited " + exit
            + "\n" + script.output();
        JsonObject result;
        try {
          result = new JsonObject(script.lastLine());
        } catch (RuntimeException e) {
          throw new AssertionError("no JSON result from the script\n" + why, e);
        }
        String server = "TURN allocations: peak " + peakAllocations.get() + ", 0 within "
            + (zeroAfterEndNanos.get() == 0 || endedNanos.get() == 0 ? "never"
                : Math.max(0, zeroAfterEndNanos.get() - endedNanos.get()) / 1_000_000 + " ms")
            + " of the end, at most " + maxAllocationsLate.get() + " later than 1 s after it";
        LOG.info("browser call: {}; {}", summary(result), server);
        why = server + "\n" + why;
        assertThat(result.getJsonArray("failures")).as(why).isEmpty();
        assertThat(exit).as(why).isZero();

        for (String role : List.of("user", "expert")) {
          JsonObject side = result.getJsonObject(role);
          String as = role + ": " + side.encode();
          // Relay on both ends of the selected pair, on Parley's TURN server.
          JsonObject selected = side.getJsonObject("selected");
          // Checked and working: Chromium has also reported the selected pair "in-progress" while
          // audio flowed over it (a connectivity check on it outstanding; seen once in CI under load).
          assertThat(selected.getString("state")).as(as).isIn("succeeded", "in-progress");
          assertThat(selected.getLong("bytesReceived")).as(as + ": bytes received on the selected pair").isPositive();
          for (String end : List.of("local", "remote")) {
            JsonObject c = selected.getJsonObject(end);
            assertThat(c.getString("type")).as(as).isEqualTo("relay");
            assertThat(c.getString("address")).as(as).isEqualTo("127.0.0.1");
          }
          assertThat(selected.getJsonObject("local").getString("url")).as(as).startsWith(turnUrl);
          assertThat(selected.getJsonObject("local").getString("relayProtocol")).as(as).isEqualTo(tls ? "tls" : "udp");

          // Speech flowed: at least half of the 50 packets a second Opus sends in 20 ms frames.
          JsonObject flow = side.getJsonObject("flow");
          assertThat(flow.getLong("packetsBefore")).as(as + ": an inbound audio report within 10 s of connecting")
              .isNotNull();
          assertThat(flow.getLong("packetsAfter") - flow.getLong("packetsBefore")).as(as)
              .isGreaterThan(flow.getLong("ms") * 25 / 1000);
          assertThat(flow.getDouble("totalAudioEnergy")).as(as).isPositive();

          // The server ended the call at its limit; the audio stopped within a second of the message.
          JsonObject end = side.getJsonObject("end");
          JsonObject message = end.getJsonObject("message");
          assertThat(message.getString("reason")).as(as).isEqualTo("time_limit");
          assertThat(message.getString("call_id")).as(as).isEqualTo(call.id().toString());
          assertThat(side.getJsonObject("wsClose").getInteger("code")).as(as).isEqualTo(1000);
          assertThat(end.getLong("packetsAt1000")).as(as).isEqualTo(end.getLong("packetsAt1500"))
              .isEqualTo(end.getLong("packetsAt2500"));
          assertThat(end.getLong("lastGrowthMs")).as(as).isLessThanOrEqualTo(1000);
        }

        // Server side: both browsers had allocations; the end revoked them all within a second.
        // (Without the revocation the relays would still stop, at the credentials' expiry, but the
        // allocations would linger until the TURN server's sweep: this catches that.)
        assertThat(peakAllocations.get()).as(server).isGreaterThanOrEqualTo(2);
        assertThat(endedNanos.get()).as("the call's end was applied on the node").isNotZero();
        assertThat(zeroAfterEndNanos.get()).as("allocations dropped to 0 after the end; " + server).isNotZero();
        assertThat(Duration.ofNanos(Math.max(0, zeroAfterEndNanos.get() - endedNanos.get()))).as(server)
            .isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(maxAllocationsLate.get()).as(server).isZero();
        Call ended = node.server().calls().get(call.id(), userId, false).await();
        assertThat(ended.endReason()).isEqualTo(EndReason.TIME_LIMIT);
        assertThat(ended.endedAt()).isEqualTo(call.endsAt());
        assertThat(ended.durationSeconds()).isEqualTo((long) LIMIT_SECONDS);
        // Both parties were relayed by this node: their media went from one allocation to the
        // other in the process (LocalRelays), never through a relay socket.
        assertThat(metric(api, "parley_turn_packets_local_total")).as("packets relayed in the process")
            .isGreaterThan(2.0 * 25 * LIMIT_SECONDS / 2);
      }
    }
  }

  /** A metric's value from the node's /metrics (a counter without tags). */
  private static double metric(Api api, String name) {
    for (String line : api.get("/metrics", null).body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  /** The ice-servers body with its {@code turns:} URL alone (and that server's credentials). */
  private static JsonObject turnsOnly(JsonObject ice) {
    JsonArray servers = new JsonArray();
    for (Object o : ice.getJsonArray("iceServers")) {
      JsonObject server = (JsonObject) o;
      JsonArray urls = new JsonArray(server.getJsonArray("urls").stream()
          .filter(u -> ((String) u).startsWith("turns:")).toList());
      if (!urls.isEmpty()) {
        servers.add(server.copy().put("urls", urls));
      }
    }
    assertThat(servers).as("a turns: URL in " + ice.encode()).hasSize(1);
    return ice.copy().put("iceServers", servers);
  }

  /** An accepted voice appointment starting now, written directly (booking over REST is not needed here). */
  private static UUID acceptedAppointment(TestNode node, UUID userId, UUID expertId) {
    UUID id = UUID.randomUUID();
    node.server().pool().preparedQuery("INSERT INTO appointments (id, user_id, expert_id, type, status, scheduled_at, "
            + "duration_minutes, ends_at) VALUES ($1, $2, $3, 'voice', 'accepted', now(), 20, now() + interval '20 minutes')")
        .execute(Tuple.of(id, userId, expertId)).await();
    return id;
  }

  /** The measured numbers, without the event logs. */
  private static String summary(JsonObject result) {
    JsonObject s = new JsonObject().put("ok", result.getBoolean("ok")).put("browser", result.getString("browser"))
        .put("launchMs", result.getValue("launchMs")).put("connectMs", result.getValue("connectMs"));
    for (String role : List.of("user", "expert")) {
      JsonObject side = result.getJsonObject(role);
      if (side == null) {
        continue;
      }
      JsonObject end = side.getJsonObject("end", new JsonObject()).copy();
      end.remove("samples");
      s.put(role, new JsonObject().put("selected", side.getValue("selected")).put("flow", side.getValue("flow"))
          .put("end", end));
    }
    return s.encode();
  }
}
