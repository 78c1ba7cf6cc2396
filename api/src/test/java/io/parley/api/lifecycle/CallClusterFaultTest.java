package io.parley.api.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.CallFixture;
import io.parley.api.support.Poll;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Calls across nodes when a node or a message is lost. A node killed in the middle of calls (SIGKILL: no shutdown, so no "left" message and its presence
 * entries in Redis keep naming it). The peers sit on a node in this JVM; the killed node is a real
 * Parley process sharing its PostgreSQL and Redis. The surviving node notices the dead node's
 * heartbeat is gone, tells each peer the other party left, holds messages for them, and ends the
 * call as disconnected after the grace period, unless the party comes back on a live node. A node
 * that never kept a heartbeat (an older version) is not taken for dead. Messages lost while a
 * node's pub/sub connection was down are made up for by re-reading presence from Redis.
 */
@Timeout(180)
class CallClusterFaultTest {

  private static final Duration STARTUP = Duration.ofSeconds(90);
  /** The heartbeat key lives 15 s and is checked every 5 s, twice missed: ~25 s at most, with slack. */
  private static final Duration NOTICED = Duration.ofSeconds(45);
  private static final Map<String, String> SHARED = Map.of(
      "PARLEY_JWT_SECRET", "node-crash-test-jwt-secret-0123456789abcdef",
      "PARLEY_TURN_SECRET", "node-crash-test-turn-secret",
      "PARLEY_CALL_GRACE", "5");
  private static TestNode one;

  @BeforeAll
  static void start() {
    one = TestNode.start(SHARED);
  }

  @AfterAll
  static void stop() {
    if (one != null) {
      one.close();
    }
  }

  @Test
  void partiesOfAKilledNodeAreAwayAndTheirCallsEndAfterTheGraceUnlessTheyComeBack() {
    CallFixture lost = CallFixture.start(one);
    CallFixture back = CallFixture.start(one);
    Path home = TestNode.tempHome();
    int port = ChildJvm.freePort();
    Map<String, String> env = new java.util.HashMap<>(ChildJvm.parleyEnv(home, port));
    env.putAll(SHARED);
    env.put("PARLEY_PG_URL", one.server().embeddedPostgres().orElseThrow().url().toString());
    env.put("PARLEY_REDIS_URL", one.server().embeddedRedis().orElseThrow().url().toString());
    String childUrl = "http://127.0.0.1:" + port;
    double lostBefore = nodesLost();
    try (SignalClient lostUser = SignalClient.authenticated(one.baseUrl(), lost.userToken());
         SignalClient backUser = SignalClient.authenticated(one.baseUrl(), back.userToken())) {
      lostUser.send(lost.join()).expect("joined");
      backUser.send(back.join()).expect("joined");

      try (ChildJvm node = ChildJvm.start("io.parley.api.Main", env)) {
        node.awaitStdout(l -> l.startsWith("Parley is up"), STARTUP, "\"Parley is up\"");
        SignalClient lostExpert = SignalClient.authenticated(childUrl, lost.expertToken());
        SignalClient backExpert = SignalClient.authenticated(childUrl, back.expertToken());
        assertThat(lostExpert.send(lost.join()).expect("joined").getBoolean("peer_present")).isTrue();
        assertThat(backExpert.send(back.join()).expect("joined").getBoolean("peer_present")).isTrue();
        lostUser.expect("peer-joined");
        backUser.expect("peer-joined");
        // Signalling works across the two nodes before the crash.
        lostUser.send(new JsonObject().put("type", "offer").put("sdp", "v=0 before the crash"));
        assertThat(lostExpert.expect("offer").getString("sdp")).isEqualTo("v=0 before the crash");

        node.sigkill();
        node.awaitExit(Duration.ofSeconds(30));
        lostExpert.abort();
        backExpert.abort();
      }

      assertThat(lostUser.expect("peer-left", NOTICED).getString("role")).isEqualTo("expert");
      assertThat(backUser.expect("peer-left", NOTICED).getString("role")).isEqualTo("expert");
      assertThat(nodesLost() - lostBefore).as("the dead node counted once").isEqualTo(1.0);
      // Held for the expert, not published to the dead node.
      backUser.send(new JsonObject().put("type", "offer").put("sdp", "v=0 while you were gone"));

      // One expert comes back on the surviving node within the grace period and gets what was held.
      try (SignalClient backExpert = SignalClient.authenticated(one.baseUrl(), back.expertToken())) {
        JsonObject joined = backExpert.send(back.join()).expect("joined");
        assertThat(joined.getBoolean("resumed")).isTrue();
        assertThat(backExpert.expect("offer").getString("sdp")).isEqualTo("v=0 while you were gone");
        assertThat(backUser.expect("peer-joined").getString("role")).isEqualTo("expert");

        // The other never does: its call ends as disconnected once the grace period is over.
        JsonObject ended = lostUser.expect("call-ended", Duration.ofSeconds(20));
        assertThat(ended.getString("reason")).isEqualTo("disconnected");
        assertThat(lostUser.closeCode(Duration.ofSeconds(5))).isEqualTo(1000);

        // The call that came back goes on past its grace period.
        backUser.expectSilence(Duration.ofSeconds(7));
        assertThat(one.server().calls().get(back.callId(), back.userId(), false).await().ended()).isFalse();
        backUser.send(new JsonObject().put("type", "answer").put("sdp", "v=0 still here"));
        assertThat(backExpert.expect("answer").getString("sdp")).isEqualTo("v=0 still here");
      }
    } finally {
      TestNode.deleteTree(home);
    }
  }

  /**
   * Only a node that keeps a heartbeat can be taken for dead: one of an older version (no heartbeat
   * keys, as in a rolling upgrade) holding a party is left alone, as before; once the same node
   * is marked as keeping a heartbeat, its missing heartbeat makes its party away.
   */
  @Test
  void onlyANodeThatKeepsAHeartbeatIsTakenForDead() {
    CallFixture f = CallFixture.start(one);
    int redis = one.server().embeddedRedis().orElseThrow().port();
    String old = "older-node-" + java.util.UUID.randomUUID();
    try (SignalClient user = SignalClient.authenticated(one.baseUrl(), f.userToken())) {
      user.send(f.join()).expect("joined");
      // The expert joins on the older node: its presence entry and its "joined" on the call's channel.
      RedisProbe.command(redis, "HSET", "parley:call:" + f.callId() + ":presence", "expert", old);
      RedisProbe.command(redis, "PUBLISH", "parley:call:" + f.callId(), new JsonObject().put("t", "joined")
          .put("role", "expert").put("resumed", false).put("node", old).encode());
      assertThat(user.expect("peer-joined").getString("role")).isEqualTo("expert");
      // Two heartbeat checks and more: nothing happens to a node that never kept a heartbeat.
      user.expectSilence(Duration.ofSeconds(12));

      RedisProbe.command(redis, "SET", "parley:node:" + old + ":beats", "1", "EX", "600");
      assertThat(user.expect("peer-left", NOTICED).getString("role")).isEqualTo("expert");
      assertThat(user.expect("call-ended", Duration.ofSeconds(20)).getString("reason")).isEqualTo("disconnected");
    }
  }

  /**
   * A party taken for away whose grace runs out while Redis places it on a live node (its "joined"
   * was lost, e.g. while this node's pub/sub connection was down) is back: the peer hears so, and
   * the node it sits on is asked to drain what was held for it meanwhile.
   */
  @Test
  void aPartyFoundOnALiveNodeAfterItsGraceIsBackAndItsHeldMessagesAreDrained() {
    CallFixture f = CallFixture.start(one);
    int redis = one.server().embeddedRedis().orElseThrow().port();
    String elsewhere = "live-node-" + java.util.UUID.randomUUID();
    String outbox = "parley:call:" + f.callId() + ":outbox:";
    try (SignalClient user = SignalClient.authenticated(one.baseUrl(), f.userToken())) {
      user.send(f.join()).expect("joined");
      try (SignalClient expert = SignalClient.authenticated(one.baseUrl(), f.expertToken())) {
        expert.send(f.join()).expect("joined");
        user.expect("peer-joined");
        expert.send(new JsonObject().put("type", "leave")).expect("left");
      }
      user.expect("peer-left");
      user.send(new JsonObject().put("type", "offer").put("sdp", "v=0 held for the expert"));
      Poll.until(Duration.ofSeconds(5), "the offer held in the expert's outbox",
          () -> !"*0".equals(RedisProbe.command(redis, "LRANGE", outbox + "expert", "0", "-1")));
      // The expert came back on a live node, but its "joined" never reached this one.
      placeOnLiveNode(redis, f, elsewhere);

      // At the end of the grace (5 s) the call goes on and the user hears the expert is back.
      JsonObject back = user.expect("peer-joined", Duration.ofSeconds(15));
      assertThat(back.getString("role")).isEqualTo("expert");
      assertThat(back.getBoolean("resumed")).isTrue();
      assertThat(one.server().calls().get(f.callId(), f.userId(), false).await().ended()).isFalse();

      // A node asked to drain a connected party's outbox delivers it ahead of what follows.
      RedisProbe.command(redis, "RPUSH", outbox + "user",
          new JsonObject().put("type", "answer").put("sdp", "v=0 held for the user").put("from", "expert").encode());
      RedisProbe.command(redis, "PUBLISH", "parley:call:" + f.callId(), new JsonObject().put("t", "drain")
          .put("to", "user").put("node", elsewhere).encode());
      assertThat(user.expect("answer").getString("sdp")).isEqualTo("v=0 held for the user");
      assertThat(RedisProbe.command(redis, "LLEN", outbox + "user")).isEqualTo(":0");
    }
  }

  /**
   * Redis drops this node's pub/sub connection while the expert joins elsewhere: the "joined" is
   * lost, and the room learns where the expert is by re-reading presence when the bus reconnects.
   */
  @Test
  void afterThePubSubConnectionDropsRoomsReReadWhereThePartiesAre() {
    CallFixture f = CallFixture.start(one);
    int redis = one.server().embeddedRedis().orElseThrow().port();
    String elsewhere = "live-node-" + java.util.UUID.randomUUID();
    try (SignalClient user = SignalClient.authenticated(one.baseUrl(), f.userToken())) {
      assertThat(user.send(f.join()).expect("joined").getBoolean("peer_present")).isFalse();
      placeOnLiveNode(redis, f, elsewhere);
      user.expectSilence(Duration.ofMillis(500));

      assertThat(RedisProbe.command(redis, "CLIENT", "KILL", "TYPE", "pubsub")).isNotEqualTo(":0");
      JsonObject joined = user.expect("peer-joined", Duration.ofSeconds(15));
      assertThat(joined.getString("role")).isEqualTo("expert");
      assertThat(joined.getBoolean("resumed")).isFalse();
    }
  }

  /** Presence places the expert on {@code node}, a live node that keeps a heartbeat (its keys set for 10 min). */
  private static void placeOnLiveNode(int redis, CallFixture f, String node) {
    RedisProbe.command(redis, "SET", "parley:node:" + node + ":beats", "1", "EX", "600");
    RedisProbe.command(redis, "SET", "parley:node:" + node + ":alive", "1", "EX", "600");
    RedisProbe.command(redis, "HSET", "parley:call:" + f.callId() + ":presence", "expert", node);
  }

  private static double nodesLost() {
    for (String line : one.api().get("/metrics", null).body().split("\n")) {
      if (line.startsWith("parley_signal_peer_nodes_lost_total ")) {
        return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("parley_signal_peer_nodes_lost_total is not in /metrics");
  }
}
