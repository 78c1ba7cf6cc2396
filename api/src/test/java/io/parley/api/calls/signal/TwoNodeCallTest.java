package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.CallFixture;
import io.parley.api.support.Poll;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.parley.api.support.TurnAllocate;
import io.parley.media.turn.TurnServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two Parley nodes sharing one PostgreSQL and one Redis (the first node's embedded ones, which the
 * second uses as external services): a call whose parties sit on different nodes signals through
 * Redis, resumes across nodes, and ends on both nodes with both nodes' relays cut.
 */
class TwoNodeCallTest {

  private static TestNode one;
  private static TestNode two;
  private static Map<String, String> secondSettings;

  @BeforeAll
  static void start() {
    Map<String, String> shared = Map.of(
        "PARLEY_JWT_SECRET", "two-node-test-jwt-secret-0123456789abcdef",
        "PARLEY_TURN_SECRET", "two-node-test-turn-secret",
        "PARLEY_CALL_GRACE", "5",
        // Long enough that only invalidation, never expiry, can explain a fresh read.
        "PARLEY_USER_CACHE_TTL", "60");
    one = TestNode.start(shared);
    secondSettings = one.sameCluster(shared);
    two = TestNode.start(secondSettings);
  }

  @AfterAll
  static void stop() {
    two.close();
    one.close();
  }

  @Test
  void aWriteOnOneNodeIsSeenAtOnceOnTheOther() {
    JsonObject user = one.api().newUser();
    String token = user.getString("access_token");
    assertThat(two.api().get("/api/v1/users/me", token).json().getString("name")).isEqualTo("Test User");
    assertThat(two.api().get("/api/v1/users/me", token).json().getString("name")).as("now cached on node two")
        .isEqualTo("Test User");
    assertThat(one.api().put("/api/v1/users/me", token, new JsonObject().put("name", "Renamed")).status())
        .isEqualTo(200);
    Poll.until(Duration.ofSeconds(1), "node two serves the new name",
        () -> "Renamed".equals(two.api().get("/api/v1/users/me", token).json().getString("name")));
    assertThat(one.api().put("/api/v1/users/me/profile", token, new JsonObject().put("city", "Porto")).status())
        .isEqualTo(200);
    Poll.until(Duration.ofSeconds(1), "node two serves the new profile",
        () -> "Porto".equals(two.api().get("/api/v1/users/me", token).json().getJsonObject("profile")
            .getString("city")));
    assertThat(one.api().delete("/api/v1/users/me", token).status()).isEqualTo(204);
    Poll.until(Duration.ofSeconds(1), "node two no longer serves the deleted account",
        () -> two.api().get("/api/v1/users/me", token).status() == 401);
  }

  @Test
  void aNodeThatShutsDownHandsItsPartiesToTheGraceClock() {
    CallFixture f = CallFixture.start(one);
    try (SignalClient user = SignalClient.authenticated(one.baseUrl(), f.userToken())) {
      user.send(f.join()).expect("joined");
      try (TestNode three = TestNode.start(secondSettings);
           SignalClient expert = SignalClient.authenticated(three.baseUrl(), f.expertToken())) {
        expert.send(f.join()).expect("joined");
        user.expect("peer-joined");
        three.close();
        assertThat(expert.closeCode(Duration.ofSeconds(5))).isEqualTo(1001);
      }
      assertThat(user.expect("peer-left").getString("role")).isEqualTo("expert");
      // Held for the expert, who may come back on another node within the grace period.
      user.send(new JsonObject().put("type", "offer").put("sdp", "v=0 for the one who left"));
      JsonObject ended = user.expect("call-ended", Duration.ofSeconds(10));
      assertThat(ended.getString("reason")).isEqualTo("disconnected");
    }
  }

  @Test
  void partiesOnTwoNodesSignalThroughRedis() {
    CallFixture f = CallFixture.start(one);
    try (SignalClient user = SignalClient.authenticated(one.baseUrl(), f.userToken());
         SignalClient expert = SignalClient.authenticated(two.baseUrl(), f.expertToken())) {
      assertThat(user.send(f.join()).expect("joined").getBoolean("peer_present")).isFalse();
      assertThat(expert.send(f.join()).expect("joined").getBoolean("peer_present")).isTrue();
      assertThat(user.expect("peer-joined").getString("role")).isEqualTo("expert");

      user.send(new JsonObject().put("type", "offer").put("sdp", "v=0 from node one"));
      JsonObject offer = expert.expect("offer");
      assertThat(offer.getString("sdp")).isEqualTo("v=0 from node one");
      assertThat(offer.getString("from")).isEqualTo("user");
      expert.send(new JsonObject().put("type", "answer").put("sdp", "v=0 from node two"));
      assertThat(user.expect("answer").getString("sdp")).isEqualTo("v=0 from node two");
      for (int i = 0; i < 20; i++) {
        user.send(new JsonObject().put("type", "candidate").put("candidate", new JsonObject().put("candidate", "c" + i)));
      }
      for (int i = 0; i < 20; i++) {
        assertThat(expert.expect("candidate").getJsonObject("candidate").getString("candidate"))
            .as("candidates arrive in order across nodes").isEqualTo("c" + i);
      }
    }
  }

  @Test
  void aPartyResumesOnTheOtherNode() {
    CallFixture f = CallFixture.start(one);
    try (SignalClient expert = SignalClient.authenticated(two.baseUrl(), f.expertToken())) {
      SignalClient user = SignalClient.authenticated(one.baseUrl(), f.userToken());
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      user.expect("peer-joined");
      user.abort();
      assertThat(expert.expect("peer-left").getString("role")).isEqualTo("user");
      expert.send(new JsonObject().put("type", "offer").put("sdp", "v=0 while away"));

      try (SignalClient back = SignalClient.authenticated(two.baseUrl(), f.userToken())) {
        assertThat(back.send(f.join()).expect("joined").getBoolean("resumed")).isTrue();
        assertThat(back.expect("offer").getString("sdp")).isEqualTo("v=0 while away");
        assertThat(expert.expect("peer-joined").getBoolean("resumed")).isTrue();
        // Node one's grace timer for the user was cancelled by the resume on node two.
        back.expectSilence(Duration.ofSeconds(6));
        assertThat(one.server().calls().get(f.callId(), f.userId(), false).await().ended()).isFalse();
      }
    }
  }

  @Test
  void endingOnOneNodeEndsOnBothAndCutsBothNodesRelays() throws Exception {
    CallFixture f = CallFixture.start(one);
    TurnServer turnOne = one.server().turn().orElseThrow();
    TurnServer turnTwo = two.server().turn().orElseThrow();
    JsonObject userIce = one.server().calls().iceServers(f.callId(), f.userId()).await();
    JsonObject expertIce = two.server().calls().iceServers(f.callId(), f.expertId()).await();
    try (SignalClient user = SignalClient.authenticated(one.baseUrl(), f.userToken());
         SignalClient expert = SignalClient.authenticated(two.baseUrl(), f.expertToken())) {
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      assertThat(TurnAllocate.allocateUdp(userIce).errorCode()).isZero();
      assertThat(TurnAllocate.allocateUdp(expertIce).errorCode()).isZero();
      assertThat(turnOne.activeTags()).contains(f.callId().toString());
      assertThat(turnTwo.activeTags()).contains(f.callId().toString());

      expert.send(new JsonObject().put("type", "hangup"));
      assertThat(user.expect("call-ended").getString("reason")).isEqualTo("hangup");
      assertThat(expert.expect("call-ended").getString("reason")).isEqualTo("hangup");
      Poll.until(Duration.ofSeconds(1), "node one cut its relay",
          () -> !turnOne.activeTags().contains(f.callId().toString()));
      Poll.until(Duration.ofSeconds(1), "node two cut its relay",
          () -> !turnTwo.activeTags().contains(f.callId().toString()));
      assertThat(TurnAllocate.allocateUdp(userIce).errorCode()).isEqualTo(403);
    }
  }
}
