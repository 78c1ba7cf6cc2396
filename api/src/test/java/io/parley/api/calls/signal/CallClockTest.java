package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.calls.EndReason;
import io.parley.api.calls.Call;
import io.parley.api.support.CallFixture;
import io.parley.api.support.Poll;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.parley.api.support.TurnAllocate;
import io.parley.media.turn.TurnServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The hard call limit: warnings, the end for both parties, the relay cut at the same moment, and a
 * clock that survives a restart of the node.
 */
class CallClockTest {

  private static final Map<String, String> SHORT = Map.of(
      "PARLEY_CALL_LIMIT", "5",
      "PARLEY_CALL_WARNINGS", "3,1",
      "PARLEY_TURN_SECRET", "call-clock-test-secret");

  @Test
  void theLimitWarnsThenEndsTheCallForBothAndCutsTheRelay() throws Exception {
    try (TestNode node = TestNode.start(SHORT)) {
      CallFixture f = CallFixture.start(node);
      assertThat(f.call().limitSeconds()).isEqualTo(5);
      TurnServer turn = node.server().turn().orElseThrow();
      JsonObject ice = node.server().calls().iceServers(f.callId(), f.userId()).await();
      try (SignalClient user = SignalClient.authenticated(node.baseUrl(), f.userToken());
           SignalClient expert = SignalClient.authenticated(node.baseUrl(), f.expertToken())) {
        user.send(f.join()).expect("joined");
        expert.send(f.join()).expect("joined");
        TurnAllocate.Result relay = TurnAllocate.allocateUdp(ice);
        assertThat(relay.errorCode()).as("the call's credentials allocate").isZero();
        assertThat(relay.lifetimeSeconds()).as("an allocation never outlives its call").isLessThanOrEqualTo(5);
        assertThat(turn.allocations()).isEqualTo(1);

        for (SignalClient c : new SignalClient[] {user, expert}) {
          assertThat(c.expect("call-warning").getLong("remaining_seconds")).isEqualTo(3L);
          assertThat(c.expect("call-warning").getLong("remaining_seconds")).isEqualTo(1L);
        }
        JsonObject ended = user.expect("call-ended", Duration.ofSeconds(5));
        Instant endedSeen = Instant.now();
        assertThat(ended.getString("reason")).isEqualTo("time_limit");
        assertThat(expert.expect("call-ended").getString("reason")).isEqualTo("time_limit");
        assertThat(Duration.between(f.call().endsAt(), endedSeen).abs()).isLessThan(Duration.ofMillis(1500));

        Poll.until(Duration.ofSeconds(1), "the call's allocation is gone", () -> turn.allocations() == 0);
        assertThat(TurnAllocate.allocateUdp(ice).errorCode()).as("the call's credentials no longer allocate")
            .isIn(401, 403);
        Call stored = node.server().calls().get(f.callId(), f.userId(), false).await();
        assertThat(stored.endReason()).isEqualTo(EndReason.TIME_LIMIT);
        assertThat(stored.durationSeconds()).isBetween(4L, 6L);
      }
    }
  }

  @Test
  void aHangupRevokesTheCallsRelaysAtOnce() throws Exception {
    try (TestNode node = TestNode.start(Map.of("PARLEY_TURN_SECRET", "call-clock-test-secret"))) {
      CallFixture f = CallFixture.start(node);
      TurnServer turn = node.server().turn().orElseThrow();
      JsonObject userIce = node.server().calls().iceServers(f.callId(), f.userId()).await();
      JsonObject expertIce = node.server().calls().iceServers(f.callId(), f.expertId()).await();
      assertThat(TurnAllocate.allocateUdp(userIce).errorCode()).isZero();
      assertThat(TurnAllocate.allocateUdp(expertIce).errorCode()).isZero();
      assertThat(turn.allocations()).isEqualTo(2);
      assertThat(turn.activeTags()).contains(f.callId().toString());
      node.server().calls().hangUp(f.callId(), f.expertId()).await();
      Poll.until(Duration.ofSeconds(1), "both allocations are gone", () -> turn.allocations() == 0);
      assertThat(TurnAllocate.allocateUdp(userIce).errorCode())
          .as("credentials of an ended call are refused until they expire").isEqualTo(403);
    }
  }

  @Test
  void aNodeRestartedMidCallStillEndsItOnTime() {
    Path home = TestNode.tempHome();
    Map<String, String> settings = Map.of("PARLEY_CALL_LIMIT", "8", "PARLEY_TURN_SECRET", "call-clock-test-secret");
    CallFixture f;
    try (TestNode first = TestNode.startOn(home, settings)) {
      f = CallFixture.start(first);
    }
    try (TestNode second = TestNode.startOn(home, settings)) {
      assertThat(Instant.now()).as("the restart took less than the call").isBefore(f.call().endsAt());
      try (SignalClient user = SignalClient.authenticated(second.baseUrl(), f.userToken())) {
        JsonObject joined = user.send(f.join()).expect("joined");
        assertThat(joined.getString("ends_at")).isEqualTo(f.call().endsAt().toString());
        JsonObject ended = user.expect("call-ended", Duration.ofSeconds(12));
        assertThat(ended.getString("reason")).isEqualTo("time_limit");
      }
      Call stored = second.server().calls().get(f.callId(), f.userId(), false).await();
      assertThat(Duration.between(f.call().endsAt(), stored.endedAt()).abs()).isLessThan(Duration.ofMillis(1500));
    } finally {
      TestNode.deleteTree(home);
    }
  }

  @Test
  void aCallWithNobodyConnectedIsEndedByTheSweep() {
    try (TestNode node = TestNode.start(Map.of("PARLEY_CALL_LIMIT", "2"))) {
      CallFixture f = CallFixture.start(node);
      Call ended = Poll.until(Duration.ofSeconds(5), "the sweep ends the call",
          () -> node.server().calls().get(f.callId(), f.userId(), false).await(), Call::ended);
      assertThat(ended.endReason()).isEqualTo(EndReason.TIME_LIMIT);
      assertThat(ended.endedAt()).as("dated at the limit, not when noticed").isEqualTo(f.call().endsAt());
    }
  }
}
