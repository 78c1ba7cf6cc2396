package io.parley.api.calls;

import static io.parley.api.calls.Parties.inMinutes;
import static io.parley.api.support.ErrorShape.assertError;
import static io.parley.api.support.ErrorShape.fields;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.calls.Parties.Party;
import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.core.testing.TestCertificate;
import io.parley.api.support.TurnAllocate;
import io.parley.media.turn.TurnCredentials;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expert calls over REST on a node of their own: a known TURN secret (to verify the credentials),
 * a one-hour join window (so that an appointment half an hour ahead can be called now) and an
 * admin. Starting and joining, the join window, ICE servers and their TURN credentials on the
 * node's own TURN server, hanging up and the summary, consent, cancelling, strangers, and account
 * deletion.
 */
class CallRestTest {

  private static final String TURN_SECRET = "call-rest-test-secret-" + UUID.randomUUID();
  private static final String ADMIN_EMAIL = "admin-" + UUID.randomUUID() + "@example.test";
  private static TestNode node;
  private static Api api;
  private static Parties parties;

  private static TestTls turnCertificate;

  @BeforeAll
  static void start(@TempDir java.nio.file.Path dir) {
    turnCertificate = TestTls.create(dir);
    node = TestNode.start(Map.of(
        "PARLEY_TURN_SECRET", TURN_SECRET,
        "PARLEY_TURN_TLS_CERT", turnCertificate.cert().toString(),
        "PARLEY_TURN_TLS_KEY", turnCertificate.key().toString(),
        "PARLEY_CALL_JOIN_EARLY", "3600"));
    api = node.api();
    parties = new Parties(api);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void callStartsInsideTheJoinWindowAndBothPartiesGetTheSameCall() {
    Party user = parties.user();
    Party expert = parties.expert();
    // Half an hour ahead: inside this node's one-hour window (the default of ten minutes would refuse it).
    JsonObject a = parties.accepted(user, expert, inMinutes(30), 20);
    Instant before = Instant.now();
    Api.Res started = startCall(a, user);
    assertThat(started.status()).as(started.body()).isEqualTo(201);
    JsonObject call = started.json();
    assertThat(UUID.fromString(call.getString("id")).version()).isEqualTo(7);
    assertThat(call.getString("appointment_id")).isEqualTo(a.getString("id"));
    assertThat(call.getString("user_id")).isEqualTo(user.id());
    assertThat(call.getString("expert_id")).isEqualTo(expert.id());
    assertThat(call.getString("type")).isEqualTo("video");
    Instant startedAt = Instant.parse(call.getString("started_at"));
    assertThat(startedAt).isBetween(before.minusSeconds(2), Instant.now().plusSeconds(2));
    assertThat(Instant.parse(call.getString("ends_at"))).isEqualTo(startedAt.plus(Duration.ofMinutes(20)));
    assertThat(call.getInteger("limit_seconds")).isEqualTo(1200);
    assertThat(call.getValue("ended_at")).isNull();
    assertThat(call.getValue("end_reason")).isNull();
    assertThat(call.getJsonObject("consent")).isEqualTo(new JsonObject().putNull("user").putNull("expert"));

    // The other party (and the same one again) joins the open call: 200, the same call.
    Api.Res joined = startCall(a, expert);
    assertThat(joined.status()).as(joined.body()).isEqualTo(200);
    assertThat(joined.json()).isEqualTo(call);
    assertThat(startCall(a, user).json().getString("id")).isEqualTo(call.getString("id"));
    assertThat(api.get("/api/v1/calls/" + call.getString("id"), expert.token()).json()).isEqualTo(call);
    JsonObject brief = api.get("/api/v1/appointments/" + a.getString("id"), user.token()).json().getJsonObject("call");
    assertThat(brief.getString("id")).isEqualTo(call.getString("id"));
    assertThat(brief.getBoolean("ended")).isFalse();

    // A shorter booking gets a shorter call.
    JsonObject shortOne = parties.accepted(user, expert, inMinutes(55), 10);
    JsonObject shortCall = startCall(shortOne, expert).json();
    assertThat(Duration.between(Instant.parse(shortCall.getString("started_at")),
        Instant.parse(shortCall.getString("ends_at")))).isEqualTo(Duration.ofMinutes(10));
    assertThat(shortCall.getInteger("limit_seconds")).isEqualTo(600);
  }

  @Test
  void callingOutsideTheJoinWindowOrAnUnacceptedAppointmentIsAConflict() {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject tooEarly = parties.accepted(user, expert, inMinutes(120), 20);
    assertThat(assertError(startCall(tooEarly, user), 409, "outside_join_window").getString("message"))
        .contains("join window");
    assertError(startCall(tooEarly, expert), 409, "outside_join_window");

    JsonObject requested = parties.booked(user, expert, inMinutes(20), 20);
    assertThat(assertError(startCall(requested, user), 409, "conflict").getString("message")).contains("requested");
    api.post("/api/v1/appointments/" + requested.getString("id") + "/decline", expert.token(), null);
    assertError(startCall(requested, user), 409, "conflict");
    JsonObject cancelled = parties.accepted(user, expert, inMinutes(50), 5);
    api.post("/api/v1/appointments/" + cancelled.getString("id") + "/cancel", user.token(), null);
    assertError(startCall(cancelled, expert), 409, "conflict");

    for (JsonObject a : List.of(tooEarly, requested, cancelled)) {
      assertThat(api.get("/api/v1/appointments/" + a.getString("id"), user.token()).json().getValue("call")).isNull();
    }
  }

  @Test
  void iceServersAreAnRtcConfigurationWithCallScopedTurnCredentials() throws Exception {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject call = startCall(parties.accepted(user, expert, inMinutes(15), 20), user).json();
    String callId = call.getString("id");
    Instant endsAt = Instant.parse(call.getString("ends_at"));

    Api.Res r = api.get("/api/v1/calls/" + callId + "/ice-servers", user.token());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    JsonObject config = r.json();
    assertThat(config.getString("iceTransportPolicy")).isEqualTo("all");
    assertThat(Instant.parse(config.getString("expires_at"))).isEqualTo(endsAt);
    JsonArray servers = config.getJsonArray("iceServers");
    List<String> urls = new ArrayList<>();
    JsonObject turn = null;
    for (int i = 0; i < servers.size(); i++) {
      JsonObject s = servers.getJsonObject(i);
      s.getJsonArray("urls").forEach(u -> urls.add((String) u));
      if (s.getJsonArray("urls").getString(0).startsWith("turn:")) {
        turn = s;
      }
    }
    int turnUdp = node.server().turn().orElseThrow().udpPort();
    int turnTcp = node.server().turn().orElseThrow().tcpPort();
    int turnTls = node.server().turn().orElseThrow().tlsPort();
    assertThat(urls).containsExactlyInAnyOrder("stun:127.0.0.1:" + turnUdp,
        "turn:127.0.0.1:" + turnUdp + "?transport=udp", "turn:127.0.0.1:" + turnTcp + "?transport=tcp",
        "turns:127.0.0.1:" + turnTls + "?transport=tcp");
    assertThat(turn).isNotNull();
    String username = turn.getString("username");
    assertThat(username).isEqualTo(endsAt.getEpochSecond() + ":" + user.id() + ":" + callId);
    assertThat(turn.getString("credential")).isEqualTo(TurnCredentials.restPassword(TURN_SECRET, username));

    // The expert gets credentials of their own for the same call.
    JsonObject expertTurn = turnServer(api.get("/api/v1/calls/" + callId + "/ice-servers", expert.token()).json());
    assertThat(expertTurn.getString("username")).isEqualTo(endsAt.getEpochSecond() + ":" + expert.id() + ":" + callId);

    // They allocate on the node's TURN server over UDP, TCP and TLS, for at most the call's remaining time.
    for (String url : List.of("turn:127.0.0.1:" + turnUdp + "?transport=udp",
        "turn:127.0.0.1:" + turnTcp + "?transport=tcp", "turns:127.0.0.1:" + turnTls + "?transport=tcp")) {
      TurnAllocate.Result allocated = TurnAllocate.allocate(url, username, turn.getString("credential"),
          TestCertificate.trusting(new TestCertificate(turnCertificate.cert(), turnCertificate.key())));
      assertThat(allocated.ok()).as("allocate via %s: error %s", url, allocated.errorCode()).isTrue();
      assertThat(allocated.relayed()).isNotNull();
      assertThat(allocated.lifetimeSeconds()).isPositive()
          .isLessThanOrEqualTo(Duration.between(Instant.now(), endsAt).toSeconds() + 1);
    }
    // A forged credential does not.
    assertThat(TurnAllocate.allocate("turn:127.0.0.1:" + turnUdp + "?transport=udp", username,
        TurnCredentials.restPassword("some-other-secret-0123456789", username)).errorCode()).isEqualTo(401);

    // Once the call has ended: no new ICE servers, and the handed-out credentials no longer allocate.
    assertThat(api.post("/api/v1/calls/" + callId + "/end", expert.token(), null).status()).isEqualTo(200);
    assertError(api.get("/api/v1/calls/" + callId + "/ice-servers", user.token()), 409, "call_ended");
    TurnAllocate.Result refused = TurnAllocate.allocate("turn:127.0.0.1:" + turnUdp + "?transport=udp",
        expertTurn.getString("username"), expertTurn.getString("credential"));
    assertThat(refused.errorCode()).isEqualTo(403);
  }

  @Test
  void endingStoresTheSummaryVisibleToBoth() throws Exception {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject a = parties.accepted(user, expert, inMinutes(10), 20);
    JsonObject call = startCall(a, expert).json();
    String path = "/api/v1/calls/" + call.getString("id");
    Thread.sleep(1_100);

    Api.Res ended = api.post(path + "/end", user.token(), null);
    assertThat(ended.status()).as(ended.body()).isEqualTo(200);
    JsonObject summary = ended.json();
    assertThat(summary.getString("end_reason")).isEqualTo("hangup");
    Instant startedAt = Instant.parse(summary.getString("started_at"));
    Instant endedAt = Instant.parse(summary.getString("ended_at"));
    assertThat(endedAt).isAfter(startedAt).isBefore(Instant.now().plusSeconds(2));
    assertThat(summary.getLong("duration_seconds")).isEqualTo(Duration.between(startedAt, endedAt).toSeconds())
        .isGreaterThanOrEqualTo(1L);

    // Both see the same summary, also on the appointment, which is completed.
    assertThat(api.get(path, expert.token()).json()).isEqualTo(summary);
    assertThat(api.get(path, user.token()).json()).isEqualTo(summary);
    JsonObject appointment = api.get("/api/v1/appointments/" + a.getString("id"), expert.token()).json();
    assertThat(appointment.getString("status")).isEqualTo("completed");
    JsonObject brief = appointment.getJsonObject("call");
    assertThat(brief.getBoolean("ended")).isTrue();
    assertThat(brief.getString("end_reason")).isEqualTo("hangup");
    assertThat(brief.getLong("duration_seconds")).isEqualTo(summary.getLong("duration_seconds"));

    // Ending again changes nothing; the ended call is not started again.
    assertThat(api.post(path + "/end", expert.token(), null).json()).isEqualTo(summary);
    assertThat(assertError(startCall(a, user), 409, "call_ended").getString("message")).contains("hangup");
    assertError(startCall(a, expert), 409, "call_ended");
    // And a completed appointment cannot be cancelled.
    assertError(api.post("/api/v1/appointments/" + a.getString("id") + "/cancel", user.token(), null), 409, "conflict");
  }

  @Test
  void consentIsStoredPerParty() {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject call = startCall(parties.accepted(user, expert, inMinutes(25), 20), user).json();
    String path = "/api/v1/calls/" + call.getString("id") + "/consent";

    Api.Res r = api.put(path, user.token(), new JsonObject().put("recording", true));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getJsonObject("consent")).isEqualTo(new JsonObject().put("user", true).putNull("expert"));
    assertThat(api.put(path, expert.token(), new JsonObject().put("recording", false)).json().getJsonObject("consent"))
        .isEqualTo(new JsonObject().put("user", true).put("expert", false));
    assertThat(api.put(path, user.token(), new JsonObject().put("recording", false)).json().getJsonObject("consent"))
        .isEqualTo(new JsonObject().put("user", false).put("expert", false));
    assertThat(api.get("/api/v1/calls/" + call.getString("id"), expert.token()).json().getJsonObject("consent"))
        .isEqualTo(new JsonObject().put("user", false).put("expert", false));

    assertThat(fields(assertError(api.put(path, user.token(), new JsonObject()), 400, "validation_failed")))
        .containsExactly("/recording");
    assertThat(fields(assertError(api.put(path, user.token(), new JsonObject().put("recording", "yes")), 400,
        "validation_failed"))).containsExactly("/recording");
  }

  @Test
  void cancellingEndsTheOpenCall() {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject a = parties.accepted(user, expert, inMinutes(35), 20);
    JsonObject call = startCall(a, user).json();
    Api.Res cancelled = api.post("/api/v1/appointments/" + a.getString("id") + "/cancel", expert.token(), null);
    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
    assertThat(cancelled.json().getString("status")).isEqualTo("cancelled");
    assertThat(cancelled.json().getJsonObject("call").getString("end_reason")).isEqualTo("cancelled");
    JsonObject after = api.get("/api/v1/calls/" + call.getString("id"), user.token()).json();
    assertThat(after.getString("end_reason")).isEqualTo("cancelled");
    assertThat(after.getString("ended_at")).isNotNull();
  }

  @Test
  void strangersGetNotFoundOnEverythingAndAdminsMayOnlyRead() {
    Party user = parties.user();
    Party expert = parties.expert();
    Party stranger = parties.user();
    JsonObject requested = parties.booked(user, expert, inMinutes(45), 10);
    JsonObject a = parties.accepted(user, expert, inMinutes(5), 20);
    JsonObject call = startCall(a, user).json();
    String appt = "/api/v1/appointments/" + a.getString("id");
    String other = "/api/v1/appointments/" + requested.getString("id");
    String calls = "/api/v1/calls/" + call.getString("id");

    List<Api.Res> answers = List.of(
        api.get(appt, stranger.token()),
        api.get(other, stranger.token()),
        api.post(other + "/accept", stranger.token(), null),
        api.post(other + "/decline", stranger.token(), null),
        api.post(other + "/cancel", stranger.token(), null),
        api.post(appt + "/cancel", stranger.token(), null),
        api.post(appt + "/call", stranger.token(), null),
        api.get(calls, stranger.token()),
        api.get(calls + "/ice-servers", stranger.token()),
        api.post(calls + "/end", stranger.token(), null),
        api.put(calls + "/consent", stranger.token(), new JsonObject().put("recording", true)),
        // Unknown ids look the same.
        api.get("/api/v1/appointments/" + UUID.randomUUID(), user.token()),
        api.post("/api/v1/appointments/" + UUID.randomUUID() + "/call", user.token(), null),
        api.get("/api/v1/calls/" + UUID.randomUUID(), user.token()),
        api.get("/api/v1/calls/" + UUID.randomUUID() + "/ice-servers", user.token()));
    for (Api.Res r : answers) {
      assertError(r, 404, "not_found");
    }
    assertThat(api.get("/api/v1/appointments", stranger.token()).json().getJsonArray("items")).isEmpty();
    assertThat(api.get("/api/v1/appointments?role=expert", stranger.token()).json().getJsonArray("items")).isEmpty();

    // Nothing changed.
    assertThat(api.get(other, user.token()).json().getString("status")).isEqualTo("requested");
    JsonObject still = api.get(calls, expert.token()).json();
    assertThat(still.getValue("ended_at")).isNull();
    assertThat(still.getJsonObject("consent")).isEqualTo(new JsonObject().putNull("user").putNull("expert"));

    // An admin reads both, but acts on neither.
    api.signup(ADMIN_EMAIL, "admin-password-123", "Admin");
    node.grantAdmin(ADMIN_EMAIL);
    String admin = api.login(ADMIN_EMAIL, "admin-password-123").getString("access_token");
    assertThat(api.get(appt, admin).json().getString("id")).isEqualTo(a.getString("id"));
    assertThat(api.get(calls, admin).json().getString("id")).isEqualTo(call.getString("id"));
    assertError(api.post(other + "/accept", admin, null), 404, "not_found");
    assertError(api.post(calls + "/end", admin, null), 404, "not_found");
    assertError(api.get(calls + "/ice-servers", admin), 404, "not_found");
    assertThat(api.get(calls, expert.token()).json().getValue("ended_at")).isNull();

    // Once the operator revokes the role, the same (unexpired) token reads neither.
    assertThat(node.admin("revoke", ADMIN_EMAIL).code()).isZero();
    assertError(api.get(appt, admin), 404, "not_found");
    assertError(api.get(calls, admin), 404, "not_found");
  }

  @Test
  void deletingAnAccountEndsItsCalls() throws Exception {
    Party user = parties.user();
    Party expert = parties.expert();
    JsonObject call = startCall(parties.accepted(user, expert, inMinutes(55), 20), expert).json();
    String callId = call.getString("id");
    JsonObject expertTurn = turnServer(api.get("/api/v1/calls/" + callId + "/ice-servers", expert.token()).json());
    String udp = expertTurn.getJsonArray("urls").getString(0);
    assertThat(TurnAllocate.allocate(udp, expertTurn.getString("username"), expertTurn.getString("credential")).ok())
        .isTrue();

    // The expert is in the call's signalling room.
    BlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .header("Authorization", "Bearer " + expert.token())
        .buildAsync(URI.create(node.baseUrl().replace("http:", "ws:") + "/api/v1/signal"), new Collector(inbox))
        .get(10, TimeUnit.SECONDS);
    try {
      assertThat(next(inbox, "ready")).isNotNull();
      ws.sendText(new JsonObject().put("type", "join").put("call_id", callId).encode(), true).get(5, TimeUnit.SECONDS);
      assertThat(next(inbox, "joined").getString("call_id")).isEqualTo(callId);

      assertThat(api.delete("/api/v1/users/me", user.token()).status()).isEqualTo(204);

      JsonObject ended = next(inbox, "call-ended");
      assertThat(ended).as("call-ended after the user's deletion").isNotNull();
      assertThat(ended.getString("call_id")).isEqualTo(callId);
      assertThat(ended.getString("reason")).isEqualTo("deleted");
    } finally {
      ws.abort();
    }
    // The call went with the account's appointment, and its credentials are dead for the expert too.
    assertError(api.get("/api/v1/calls/" + callId, expert.token()), 404, "not_found");
    assertThat(api.get("/api/v1/appointments?role=expert", expert.token()).json().getJsonArray("items")).isEmpty();
    assertThat(TurnAllocate.allocate(udp, expertTurn.getString("username"), expertTurn.getString("credential"))
        .errorCode()).isEqualTo(403);
  }

  private static Api.Res startCall(JsonObject appointment, Party by) {
    return api.post("/api/v1/appointments/" + appointment.getString("id") + "/call", by.token(), null);
  }

  private static JsonObject turnServer(JsonObject iceConfig) {
    JsonArray servers = iceConfig.getJsonArray("iceServers");
    for (int i = 0; i < servers.size(); i++) {
      if (servers.getJsonObject(i).getJsonArray("urls").getString(0).startsWith("turn:")) {
        return servers.getJsonObject(i);
      }
    }
    throw new AssertionError("no TURN server in " + iceConfig);
  }

  /** The next message of this type within 10 s (others skipped), or null. */
  private static JsonObject next(BlockingQueue<JsonObject> inbox, String type) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      JsonObject m = inbox.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (m != null && type.equals(m.getString("type"))) {
        return m;
      }
    }
    return null;
  }

  /** Collects the text messages of a WebSocket as JSON. */
  private static final class Collector implements WebSocket.Listener {
    private final BlockingQueue<JsonObject> inbox;
    private final StringBuilder partial = new StringBuilder();

    Collector(BlockingQueue<JsonObject> inbox) {
      this.inbox = inbox;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        inbox.add(new JsonObject(partial.toString()));
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }
}
