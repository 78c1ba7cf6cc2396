package io.parley.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** The guard sees what it is meant to see, and a test that leaves such a report fails. */
class LogGuardTest {

  private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);

  @Test
  void anExceptionEscapingAVertxHandlerIsReported() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      vertx.runOnContext(v -> {
        throw new IllegalStateException("guard-probe-unhandled");
      });
      List<String> reports = awaitReports("guard-probe-unhandled");
      assertThat(reports).singleElement().asString()
          .contains("Unhandled exception").contains("IllegalStateException: guard-probe-unhandled");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aLeakedBufferIsReported() throws Exception {
    ResourceLeakDetector.Level previous = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    try {
      leak("guard-probe-leak");
      long deadline = System.nanoTime() + WAIT_NANOS;
      List<String> reports = List.of();
      while (reports.isEmpty() && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(20);
        for (int i = 0; i < 500; i++) {
          PooledByteBufAllocator.DEFAULT.directBuffer(32).release();
        }
        reports = LogGuard.take(r -> r.contains("guard-probe-leak"));
      }
      assertThat(reports).as("the leak report").singleElement().asString().contains("LEAK:");
    } finally {
      ResourceLeakDetector.setLevel(previous);
    }
  }

  @Test
  void aTestThatLeavesAReportFails() {
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(LeavesAnUnhandledException.class))
        .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
        .build();
    Launcher launcher = LauncherFactory.create();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(request, listener);
    TestExecutionSummary summary = listener.getSummary();

    assertThat(summary.getTestsSucceededCount()).isZero();
    assertThat(summary.getFailures()).singleElement().satisfies(f -> assertThat(f.getException())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("logged during")
        .hasMessageContaining("guard-probe-escaped"));
  }

  /** Run only through the launcher above (surefire skips nested classes): its test must fail. */
  static class LeavesAnUnhandledException {
    @Test
    void escapes() throws Exception {
      Vertx vertx = Vertx.vertx();
      try {
        vertx.runOnContext(v -> {
          throw new IllegalStateException("guard-probe-escaped");
        });
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (LogGuard.pending(r -> r.contains("guard-probe-escaped")) == 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
      } finally {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  private static List<String> awaitReports(String marker) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_NANOS;
    List<String> reports = LogGuard.take(r -> r.contains(marker));
    while (reports.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
      reports = LogGuard.take(r -> r.contains(marker));
    }
    return reports;
  }

  private static void leak(String hint) {
    ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(16);
    leaked.writeInt(7);
    leaked.touch(hint);
  }
}
