package io.parley.api.calls.signal;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The signalling connections open on this node (the gauge {@code parley.signal.connections}):
 * pinged every interval and closed when silent for three (4008), closed when their account is
 * deleted (4003) or when the node shuts down. What is done to a connection hops to its context.
 */
final class Connections {

  private final Vertx vertx;
  private final Map<SignalConnection, Boolean> open = new ConcurrentHashMap<>();
  private final long pingTimer;

  Connections(Vertx vertx, Duration pingInterval, MeterRegistry metrics) {
    this.vertx = vertx;
    Gauge.builder("parley.signal.connections", open, Map::size)
        .description("Open signalling WebSockets on this node").register(metrics);
    long interval = pingInterval.toMillis();
    pingTimer = vertx.setPeriodic(interval, id -> keepalive(interval));
  }

  void add(SignalConnection c) {
    open.put(c, Boolean.TRUE);
  }

  void remove(SignalConnection c) {
    open.remove(c);
  }

  int count() {
    return open.size();
  }

  /** Closes the connections of a deleted account (new ones are refused by {@code DeletedAccounts}). */
  void closeAccount(UUID userId) {
    for (SignalConnection c : open.keySet()) {
      c.run(() -> {
        if (userId.equals(c.userId)) {
          c.close(CloseCodes.ACCOUNT_DELETED, "account deleted");
        }
      });
    }
  }

  /** Stops the pings and closes every connection with {@code code}. */
  void closeAll(short code, String reason) {
    vertx.cancelTimer(pingTimer);
    for (SignalConnection c : open.keySet()) {
      c.close(code, reason);
    }
  }

  private void keepalive(long intervalMs) {
    long limit = 3 * intervalMs * 1_000_000L;
    for (SignalConnection c : open.keySet()) {
      c.run(() -> {
        if (System.nanoTime() - c.lastSeenNanos > limit) {
          c.close(CloseCodes.KEEPALIVE, "no keepalive");
        } else if (!c.closed) {
          c.ws.writePing(Buffer.buffer("k"));
        }
      });
    }
  }
}
