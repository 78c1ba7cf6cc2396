package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The STT workers' queue: keys served round-robin, waiting jobs withdrawn unrun. */
class FairWorkersTest {

  private Vertx vertx;
  private SimpleMeterRegistry registry;
  private FairWorkers workers;
  private final Queue<String> ran = new ConcurrentLinkedQueue<>();
  private final CountDownLatch gate = new CountDownLatch(1);

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
    workers = new FairWorkers(vertx.createSharedWorkerExecutor("fair-test", 1), 1, registry);
  }

  @AfterEach
  void stop() {
    gate.countDown();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private Future<String> job(String key, String name) {
    return workers.submit(key, () -> {
      ran.add(name);
      return name;
    }).result();
  }

  /** The single worker busy until the gate opens. */
  private Future<String> occupy() {
    return workers.submit("gate", () -> {
      gate.await(30, TimeUnit.SECONDS);
      return "gate";
    }).result();
  }

  @Test
  void aSingleRequestOfAnotherUserIsServedBeforeTheTenthOfAFloodingOne() throws Exception {
    List<Future<String>> all = new ArrayList<>();
    all.add(occupy());
    for (int i = 1; i <= 10; i++) {
      all.add(job("user:a", "a" + i));
    }
    all.add(job("user:b", "b1"));
    assertThat(workers.waiting()).isEqualTo(11);
    gate.countDown();
    Future.all(all).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    List<String> order = List.copyOf(ran);
    assertThat(order).hasSize(11);
    assertThat(order.indexOf("b1")).as("order %s", order).isLessThan(order.indexOf("a10")).isLessThanOrEqualTo(1);
    // Each key's own jobs keep their order.
    assertThat(order.stream().filter(n -> n.startsWith("a")).toList())
        .containsExactly("a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10");
  }

  @Test
  void aWaitingJobWithdrawnNeverRunsAndIsCounted() throws Exception {
    Future<String> busy = occupy();
    FairWorkers.Job<String> left = workers.submit("user:a", () -> {
      ran.add("left");
      return "left";
    });
    Future<String> after = job("user:b", "after");
    assertThat(left.cancel()).isTrue();
    assertThat(left.cancel()).as("only once").isFalse();
    assertThat(workers.waiting()).isEqualTo(1);
    assertThatThrownBy(() -> left.result().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isInstanceOf(CancellationException.class);
    gate.countDown();
    assertThat(after.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).isEqualTo("after");
    assertThat(busy.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).isEqualTo("gate");
    assertThat(ran).containsExactly("after");
    assertThat(registry.get("parley.stt.cancelled").counter().count()).isEqualTo(1.0);
    assertThat(workers.forKey("user:a").executeBlocking(() -> "viewed").toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS)).isEqualTo("viewed");
  }
}
