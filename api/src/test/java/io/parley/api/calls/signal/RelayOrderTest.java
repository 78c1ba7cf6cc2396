package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.CallFixture;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Relayed messages keep their order and each connection's {@code seq} stays consecutive while both
 * parties send at full speed at once (their sockets on different event loops, the room on one of
 * them): messages hop between contexts, never race.
 */
class RelayOrderTest {

  private static final int MESSAGES = 300;

  @Test
  void bothPartiesSendingAtOnceReceiveEverythingInOrder() throws Exception {
    try (TestNode node = TestNode.start(Map.of("PARLEY_SIGNAL_RATE", "100000"))) {
      for (int call = 0; call < 3; call++) {
        CallFixture f = CallFixture.start(node);
        try (SignalClient user = SignalClient.authenticated(node.baseUrl(), f.userToken());
             SignalClient expert = SignalClient.authenticated(node.baseUrl(), f.expertToken())) {
          user.send(f.join()).expect("joined");
          expert.send(f.join()).expect("joined");
          user.expect("peer-joined");
          CyclicBarrier together = new CyclicBarrier(2);
          Thread a = Thread.ofPlatform().start(() -> burst(together, user, "u"));
          Thread b = Thread.ofPlatform().start(() -> burst(together, expert, "e"));
          assertThat(a.join(java.time.Duration.ofSeconds(20)) && b.join(java.time.Duration.ofSeconds(20))).isTrue();
          assertInOrder(expert, "u", "user");
          assertInOrder(user, "e", "expert");
        }
      }
    }
  }

  private static void burst(CyclicBarrier together, SignalClient c, String prefix) {
    try {
      together.await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (int i = 0; i < MESSAGES; i++) {
      // Alternating verbatim (fast path) and rebuilt (a client id) messages: both paths keep one order.
      JsonObject cand = new JsonObject().put("candidate", prefix + i);
      JsonObject m = new JsonObject().put("type", "candidate").put("candidate", cand);
      c.send(i % 2 == 0 ? m : m.put("id", i));
    }
  }

  private static void assertInOrder(SignalClient to, String prefix, String from) {
    long seq = to.seen().getLast().getLong("seq");
    for (int i = 0; i < MESSAGES; i++) {
      JsonObject m = to.expect("candidate");
      assertThat(m.getJsonObject("candidate").getString("candidate")).isEqualTo(prefix + i);
      assertThat(m.getString("from")).isEqualTo(from);
      assertThat(m.getLong("seq")).as("seq after " + seq).isEqualTo(seq + 1);
      seq = m.getLong("seq");
    }
  }
}
