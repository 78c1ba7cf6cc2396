package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Poll;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.TestNode;
import io.parley.api.support.TurnAllocate;
import io.parley.media.turn.TurnCredentials;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two Parley nodes sharing PostgreSQL and Redis, as behind a load balancer: the per-user cap on
 * realtime sessions counts the sessions of both, a dropped session resumes on the other node, and
 * an account deleted on one node loses its sessions and its TURN relays on both.
 */
class TwoNodeVoiceTest {

  private static TestNode one;
  private static TestNode two;
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final String TURN_SECRET = "two-node-voice-test-turn-secret";

  @BeforeAll
  static void start() {
    Map<String, String> shared = Map.of(
        "PARLEY_JWT_SECRET", "two-node-voice-test-jwt-secret-0123456789",
        "PARLEY_VOICE_MAX_SESSIONS_PER_USER", "2",
        "PARLEY_TURN_SECRET", TURN_SECRET);
    one = TestNode.start(shared);
    two = TestNode.start(one.sameCluster(shared));
  }

  @AfterAll
  static void stop() {
    if (two != null) {
      two.close();
    }
    if (one != null) {
      one.close();
    }
  }

  private static WebSocket connect(TestNode node, String token, String query, BlockingQueue<JsonObject> inbox)
      throws Exception {
    return CLIENT.newWebSocketBuilder().header("Authorization", "Bearer " + token)
        .buildAsync(URI.create("ws://127.0.0.1:" + node.server().httpPort() + "/v1/realtime" + query),
            new RealtimeClient.Inbox(inbox)).get(10, TimeUnit.SECONDS);
  }

  private static JsonObject created(BlockingQueue<JsonObject> inbox) throws InterruptedException {
    JsonObject e = inbox.poll(10, TimeUnit.SECONDS);
    assertThat(e).as("session.created within 10 s").isNotNull();
    if ("error".equals(e.getString("type"))) {
      e = inbox.poll(10, TimeUnit.SECONDS);
    }
    assertThat(e.getString("type")).isEqualTo("session.created");
    return e.getJsonObject("session").getJsonObject("parley");
  }

  private static int refusedWith(TestNode node, String token) {
    return refusedWith(node, token, "");
  }

  /** The handshake's HTTP status: 101 when it opened (the socket is closed at once), else the refusal. */
  private static int refusedWith(TestNode node, String token, String query) {
    try {
      connect(node, token, query, new LinkedBlockingQueue<>()).abort();
      return 101;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        return h.getResponse().statusCode();
      }
      throw new AssertionError(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void thePerUserCapCountsTheSessionsOfEveryNode() throws Exception {
    String token = one.api().newUser().getString("access_token");
    WebSocket a = connect(one, token, "", new LinkedBlockingQueue<>());
    var inboxB = new LinkedBlockingQueue<JsonObject>();
    WebSocket b = connect(two, token, "", inboxB);
    created(inboxB);
    try {
      assertThat(refusedWith(one, token)).as("a third session on node one").isEqualTo(429);
      assertThat(refusedWith(two, token)).as("a third session on node two").isEqualTo(429);
      // Another user is not affected.
      String other = one.api().newUser().getString("access_token");
      assertThat(refusedWith(two, other)).isEqualTo(101);
      a.abort();
      Poll.until(Duration.ofSeconds(10), "node one gives back the lease of its closed session",
          () -> refusedWith(two, token) == 101);
    } finally {
      a.abort();
      b.abort();
    }
  }

  @Test
  void aDroppedSessionResumesOnTheOtherNode() throws Exception {
    String token = one.api().newUser().getString("access_token");
    var first = new LinkedBlockingQueue<JsonObject>();
    WebSocket ws = connect(one, token, "", first);
    JsonObject parley = created(first);
    ws.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("parley", new JsonObject().put("personality", "expert"))).encode(), true).get(10, TimeUnit.SECONDS);
    assertThat(first.poll(10, TimeUnit.SECONDS).getString("type")).isEqualTo("session.updated");
    ws.abort();
    // Node one shares the state once it has seen the drop: wait for its sessions gauge to fall.
    Poll.until(Duration.ofSeconds(10), "node one sees the drop",
        () -> one.api().get("/metrics", null).body().contains("parley_voice_sessions 0.0"));

    var again = new LinkedBlockingQueue<JsonObject>();
    WebSocket resumed = null;
    JsonObject p = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    // The state reaches Redis a moment after the drop: a try before it gets a new session instead.
    while (System.nanoTime() < deadline) {
      again.clear();
      resumed = connect(two, token, "?resume=" + parley.getString("resume_token"), again);
      JsonObject opening = again.poll(10, TimeUnit.SECONDS);
      if (opening != null && "session.created".equals(opening.getString("type"))) {
        p = opening.getJsonObject("session").getJsonObject("parley");
        break;
      }
      resumed.abort();
      Thread.sleep(50);
    }
    try {
      assertThat(p).as("a resumed session.created on node two").isNotNull();
      assertThat(p.getBoolean("resumed")).as("resumed on node two").isTrue();
      assertThat(p.getString("conversation_id")).isEqualTo(parley.getString("conversation_id"));
      assertThat(p.getString("personality")).isEqualTo("expert");
    } finally {
      resumed.abort();
    }
    var stale = new LinkedBlockingQueue<JsonObject>();
    WebSocket third = connect(one, token, "?resume=" + parley.getString("resume_token"), stale);
    try {
      JsonObject e = stale.poll(10, TimeUnit.SECONDS);
      assertThat(e.getString("type")).isEqualTo("error");
      assertThat(e.getJsonObject("error").getString("code")).as("the token worked once, cluster-wide")
          .isEqualTo("resume_failed");
    } finally {
      third.abort();
    }
  }

  /** A session whose socket tells when it closes, and with what code. */
  private record Closing(WebSocket ws, BlockingQueue<JsonObject> inbox,
                         java.util.concurrent.CompletableFuture<Integer> closed) {}

  private static Closing open(TestNode node, String token) throws Exception {
    var inbox = new LinkedBlockingQueue<JsonObject>();
    var closed = new java.util.concurrent.CompletableFuture<Integer>();
    WebSocket ws = CLIENT.newWebSocketBuilder().header("Authorization", "Bearer " + token)
        .buildAsync(URI.create("ws://127.0.0.1:" + node.server().httpPort() + "/v1/realtime"),
            new RealtimeClient.Inbox(inbox) {
              @Override
              public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                closed.complete(status);
                return null;
              }

              @Override
              public void onError(WebSocket w, Throwable error) {
                closed.completeExceptionally(error);
              }
            }).get(10, TimeUnit.SECONDS);
    return new Closing(ws, inbox, closed);
  }

  @Test
  void aDeletedAccountsSessionsCloseOnEveryNodeAndDoNotResume() throws Exception {
    String token = one.api().newUser().getString("access_token");
    Closing a = open(one, token);
    Closing b = open(two, token);
    String resume = created(a.inbox()).getString("resume_token");
    created(b.inbox());
    try {
      assertThat(one.api().delete("/api/v1/users/me", token).status()).isEqualTo(204);
      for (Closing c : java.util.List.of(a, b)) {
        JsonObject e = c.inbox().poll(10, TimeUnit.SECONDS);
        assertThat(e).as("an event within 10 s").isNotNull();
        assertThat(e.getString("type")).isEqualTo("error");
        assertThat(e.getJsonObject("error").getString("code")).isEqualTo("account_deleted");
        assertThat(c.closed().get(10, TimeUnit.SECONDS)).as("closed as account deleted").isEqualTo(4003);
      }
      Poll.until(Duration.ofSeconds(10), "both nodes see the sessions closed",
          () -> one.api().get("/metrics", null).body().contains("parley_voice_sessions 0.0")
              && two.api().get("/metrics", null).body().contains("parley_voice_sessions 0.0"));
      // The access token is still unexpired, but the account is gone: no node opens a session for
      // it, new or resumed.
      for (TestNode node : List.of(one, two)) {
        for (String query : List.of("", "?resume=" + resume)) {
          assertThat(refusedWith(node, token, query)).as("a deleted account's handshake%s", query).isEqualTo(401);
        }
      }
    } finally {
      a.ws().abort();
      b.ws().abort();
    }
  }

  /**
   * A user with a realtime session on node two and TURN relays on both nodes' TURN servers (as a
   * call party has) deletes the account through node one: the session on node two gets its
   * {@code account_deleted} error and closes with 4003, and both nodes cut the user's allocations
   * and refuse its credentials (node two hears of it over Redis).
   */
  @Test
  void anAccountDeletedOnOneNodeEndsItsSessionAndRelaysOnTheOther() throws Exception {
    JsonObject user = one.api().newUser();
    String token = user.getString("access_token");
    String userId = one.api().get("/api/v1/auth/me", token).json().getString("id");
    Closing session = open(two, token);
    created(session.inbox());
    Map<TestNode, String[]> relays = new java.util.LinkedHashMap<>();
    for (TestNode node : List.of(one, two)) {
      String[] credentials = TurnCredentials.mint(TURN_SECRET, Instant.now().plus(Duration.ofMinutes(20)), userId,
          UUID.randomUUID().toString());
      TurnAllocate.Result relay = TurnAllocate.allocate(turnUrl(node), credentials[0], credentials[1]);
      assertThat(relay.ok()).as("a relay on %s (error %d)", node.baseUrl(), relay.errorCode()).isTrue();
      assertThat(node.server().turn().orElseThrow().allocations()).isEqualTo(1);
      relays.put(node, credentials);
    }
    try {
      assertThat(one.api().delete("/api/v1/users/me", token).status()).isEqualTo(204);
      JsonObject e = session.inbox().poll(10, TimeUnit.SECONDS);
      assertThat(e).as("an event on node two within 10 s").isNotNull();
      assertThat(e.getString("type")).isEqualTo("error");
      assertThat(e.getJsonObject("error").getString("code")).isEqualTo("account_deleted");
      assertThat(session.closed().get(10, TimeUnit.SECONDS)).as("closed as account deleted").isEqualTo(4003);
      for (var r : relays.entrySet()) {
        TestNode node = r.getKey();
        Poll.until(Duration.ofSeconds(10), "the deleted user's relay is cut on " + node.baseUrl(),
            () -> node.server().turn().orElseThrow().allocations() == 0);
        assertThat(TurnAllocate.allocate(turnUrl(node), r.getValue()[0], r.getValue()[1]).errorCode())
            .as("the deleted user's credentials on %s", node.baseUrl()).isEqualTo(403);
      }
    } finally {
      session.ws().abort();
    }
  }

  private static String turnUrl(TestNode node) {
    return "turn:127.0.0.1:" + node.server().turn().orElseThrow().udpPort() + "?transport=udp";
  }
}
