package io.parley.api.signal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.parley.api.calls.Call;
import io.parley.api.support.CallFixture;
import io.parley.api.support.Poll;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every way a party's signalling socket ends is the same presence transition: both parties dropping
 * at the same moment leave the grace clock running, and the call ends as disconnected when nobody
 * comes back. No exception escapes into Vert.x on the way.
 */
class SignalPresenceTest {

  private static final long GRACE_SECONDS = 2;
  private static TestNode node;
  private ListAppender<ILoggingEvent> log;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of(
        "PARLEY_CALL_GRACE", Long.toString(GRACE_SECONDS),
        "PARLEY_SIGNAL_RATE", "1000"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @BeforeEach
  void captureLog() {
    log = new ListAppender<>();
    log.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
  }

  @AfterEach
  void releaseLog() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
  }

  private List<String> unhandled() {
    return log.list.stream().filter(e -> e.getFormattedMessage().contains("Unhandled exception"))
        .map(e -> e.getFormattedMessage() + " " + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()))
        .toList();
  }

  @Test
  void bothPartiesClosingAtOnceEndTheCallAfterTheGraceWithoutUnhandledExceptions() throws Exception {
    // The race needs the two close frames to be handled at the same moment on two event loops;
    // several calls make it all but certain that some pairs meet it.
    int calls = 12;
    List<CallFixture> fixtures = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      CallFixture f = CallFixture.start(node);
      fixtures.add(f);
      SignalClient user = SignalClient.authenticated(node.baseUrl(), f.userToken());
      SignalClient expert = SignalClient.authenticated(node.baseUrl(), f.expertToken());
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      user.expect("peer-joined");
      CyclicBarrier together = new CyclicBarrier(2);
      Thread a = Thread.ofPlatform().start(() -> closeAt(together, user));
      Thread b = Thread.ofPlatform().start(() -> closeAt(together, expert));
      assertThat(a.join(Duration.ofSeconds(10)) && b.join(Duration.ofSeconds(10))).as("both closed").isTrue();
    }
    for (CallFixture f : fixtures) {
      Call ended = Poll.until(Duration.ofSeconds(GRACE_SECONDS + 8), "the call ends after the grace",
          () -> node.server().calls().get(f.callId(), f.userId(), false).await(), Call::ended);
      assertThat(ended.endReason()).isEqualTo("disconnected");
    }
    Poll.until(Duration.ofSeconds(5), "every room retired", () -> node.server().signal().roomCount() == 0);
    assertThat(unhandled()).as("no exception escaped into Vert.x").isEmpty();
  }

  private static void closeAt(CyclicBarrier together, SignalClient c) {
    try {
      together.await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    c.close();
  }
}
