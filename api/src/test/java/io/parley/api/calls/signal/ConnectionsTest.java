package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.api.support.Poll;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node's open signalling connections: the count, keepalive pings, and closing by account or all at once. */
class ConnectionsTest {

  private static final Duration PING = Duration.ofMillis(200);
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void pingsLiveConnectionsAndClosesOnesSilentForThreeIntervals() throws Exception {
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    Connections connections = new Connections(vertx, PING, metrics);
    FakeSocket live = new FakeSocket();
    FakeSocket silent = new FakeSocket();
    SignalConnection talking = live.connect(vertx, 10, x -> { });
    SignalConnection gone = silent.connect(vertx, 10, x -> { });
    gone.run(() -> gone.lastSeenNanos = System.nanoTime() - 4 * PING.toNanos());
    connections.add(talking);
    connections.add(gone);
    assertThat(connections.count()).isEqualTo(2);
    assertThat(metrics.get("parley.signal.connections").gauge().value()).isEqualTo(2.0);

    // The live one answers (its pongs), as a client does.
    long pongs = vertx.setPeriodic(PING.toMillis() / 4, id -> talking.run(() -> talking.lastSeenNanos = System.nanoTime()));
    Poll.until(Duration.ofSeconds(5), "the live one pinged twice", () -> live.pings.get() >= 2);
    vertx.cancelTimer(pongs);
    assertThat(silent.closeCode()).isEqualTo(CloseCodes.KEEPALIVE);
    assertThat(silent.pings.get()).isZero();
    assertThat(live.closeCode()).isNull();
    connections.remove(gone);
    assertThat(metrics.get("parley.signal.connections").gauge().value()).isEqualTo(1.0);
  }

  @Test
  void closesTheConnectionsOfADeletedAccountOnly() throws Exception {
    Connections connections = new Connections(vertx, Duration.ofMinutes(1), new SimpleMeterRegistry());
    UUID deleted = UUID.randomUUID();
    FakeSocket first = new FakeSocket();
    FakeSocket second = new FakeSocket();
    FakeSocket other = new FakeSocket();
    for (FakeSocket s : new FakeSocket[] {first, second, other}) {
      SignalConnection c = s.connect(vertx, 10, x -> { });
      UUID user = s == other ? UUID.randomUUID() : deleted;
      c.run(() -> c.userId = user);
      connections.add(c);
    }
    connections.closeAccount(deleted);
    Poll.until(Duration.ofSeconds(5), "both closed", () -> first.closeCode() != null && second.closeCode() != null);
    assertThat(first.closeCode()).isEqualTo(CloseCodes.ACCOUNT_DELETED);
    assertThat(second.closeCode()).isEqualTo(CloseCodes.ACCOUNT_DELETED);
    assertThat(other.closeCode()).isNull();
  }

  @Test
  void closingAllStopsThePings() throws Exception {
    Connections connections = new Connections(vertx, PING, new SimpleMeterRegistry());
    FakeSocket a = new FakeSocket();
    FakeSocket b = new FakeSocket();
    connections.add(a.connect(vertx, 10, x -> { }));
    connections.add(b.connect(vertx, 10, x -> { }));
    Poll.until(Duration.ofSeconds(5), "pinged", () -> a.pings.get() >= 1);
    connections.closeAll(CloseCodes.GOING_AWAY, "server shutting down");
    Poll.until(Duration.ofSeconds(5), "both closed", () -> a.closeCode() != null && b.closeCode() != null);
    assertThat(a.closed.get()).isEqualTo(CloseCodes.GOING_AWAY + " server shutting down");
    assertThat(b.closeCode()).isEqualTo(CloseCodes.GOING_AWAY);
    int pings = a.pings.get() + b.pings.get();
    CompletableFuture<Void> later = new CompletableFuture<>();
    vertx.setTimer(3 * PING.toMillis(), id -> later.complete(null));
    later.get(5, TimeUnit.SECONDS);
    assertThat(a.pings.get() + b.pings.get()).as("no ping after closing").isEqualTo(pings);
  }
}
