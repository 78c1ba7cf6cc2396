package io.parley.api.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.DefaultEventLoopGroup;
import io.parley.api.support.Api;
import io.parley.api.support.Poll;
import io.parley.api.support.TestNode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The event-loop lag probe: what it records, and that a node serves it at /metrics. */
class EventLoopLagTest {

  /**
   * The probe reads time from the test's clock: while it stands still every probe runs "on time"
   * (lag 0, never negative); a jump of 350 ms is recorded as 330 ms of lag (the probe was due
   * 20 ms after it was scheduled).
   */
  @Test
  void aProbeThatRunsLateRecordsHowLate() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong now = new AtomicLong(1_000_000_000L);
    DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    EventLoopLag probe = EventLoopLag.start(loops, registry, now::get, Duration.ofMillis(20));
    try {
      Poll.until(Duration.ofSeconds(10), "probes on time", () -> probe.timer().count() >= 4);
      assertThat(probe.timer().max(TimeUnit.MILLISECONDS)).as("a frozen clock: on time").isZero();
      now.addAndGet(Duration.ofMillis(350).toNanos());
      Poll.until(Duration.ofSeconds(10), "a late probe", () -> probe.timer().max(TimeUnit.MILLISECONDS) > 0);
      assertThat(probe.timer().max(TimeUnit.MILLISECONDS)).isEqualTo(330.0);
      assertThat(registry.get("parley.event.loop.lag").timer()).isSameAs(probe.timer());
    } finally {
      probe.close();
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  @Test
  void aNodeServesTheLagHistogramAtMetrics() {
    TestNode node = TestNode.shared();
    String metrics = Poll.until(Duration.ofSeconds(10), "lag samples at /metrics",
        () -> node.api().get("/metrics", null).body(),
        body -> body.lines().anyMatch(l -> l.startsWith("parley_event_loop_lag_seconds_count") && !l.endsWith(" 0.0")));
    assertThat(metrics).contains("# TYPE parley_event_loop_lag_seconds histogram")
        .contains("parley_event_loop_lag_seconds_bucket{le=\"0.001\"}")
        .contains("parley_event_loop_lag_seconds_max");
  }
}
