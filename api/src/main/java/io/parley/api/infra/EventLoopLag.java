package io.parley.api.infra;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Event-loop lag: each of the node's event loops runs a probe every {@link #INTERVAL}; how much
 * later than asked it ran is recorded in {@code parley_event_loop_lag_seconds} (a histogram, so
 * p99 can be computed). A loop held by slow work (or starved of CPU) shows here before any request
 * times out; a healthy loop's lag is well under a millisecond.
 */
public final class EventLoopLag implements AutoCloseable {

  /** How often each loop is probed. */
  public static final Duration INTERVAL = Duration.ofMillis(100);

  private final Timer lag;
  private final LongSupplier nanoClock;
  private final long intervalNanos;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EventLoopLag(MeterRegistry registry, LongSupplier nanoClock, Duration interval) {
    this.lag = Timer.builder("parley.event.loop.lag")
        .description("How much later than scheduled a probe ran on an event loop (every "
            + INTERVAL.toMillis() + " ms on each loop)")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    this.nanoClock = nanoClock;
    this.intervalNanos = interval.toNanos();
  }

  /** Probes every event loop of {@code vertx}, recording into {@code registry}. */
  public static EventLoopLag start(Vertx vertx, MeterRegistry registry) {
    return start(((VertxInternal) vertx).nettyEventLoopGroup(), registry, System::nanoTime, INTERVAL);
  }

  /** Probes every loop of {@code loops}, reading time from {@code nanoClock} (tests pass their own). */
  static EventLoopLag start(EventLoopGroup loops, MeterRegistry registry, LongSupplier nanoClock, Duration interval) {
    EventLoopLag probe = new EventLoopLag(registry, nanoClock, interval);
    for (EventExecutor loop : loops) {
      probe.schedule(loop);
    }
    return probe;
  }

  private void schedule(EventExecutor loop) {
    if (closed.get()) {
      return;
    }
    long due = nanoClock.getAsLong() + intervalNanos;
    try {
      loop.schedule(() -> {
        record(due);
        schedule(loop);
      }, intervalNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shuttingDown) {
      // The loop is stopping with the node: nothing left to measure.
    }
  }

  private void record(long due) {
    lag.record(Math.max(0, nanoClock.getAsLong() - due), TimeUnit.NANOSECONDS);
  }

  /** The histogram's meter (tests read it). */
  Timer timer() {
    return lag;
  }

  @Override
  public void close() {
    closed.set(true);
  }
}
