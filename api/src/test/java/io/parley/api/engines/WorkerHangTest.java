package io.parley.api.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.support.Poll;
import io.parley.api.support.TestNode;
import io.parley.core.ParleyException;
import io.parley.core.config.ConfigSource;
import io.parley.inference.llm.TinyGguf;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that is alive but answers nothing (stopped with SIGSTOP, as a deadlocked or swapping one
 * would look) is taken for hung after the answer timeout: killed, its calls failed with
 * {@code engine_restarted}, another started; and calls past the queue budget are refused with
 * {@code engine_busy}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WorkerHangTest {

  @TempDir
  Path dir;

  private WorkerProcess.Launch launch(Duration answerTimeout, long queueBytes) throws Exception {
    Path gguf = TinyGguf.write(dir.resolve("qwen.gguf"), TinyGguf.qwen25());
    ConfigSource config = ConfigSource.of(Map.of("PARLEY_HOME", dir.toString(), "PARLEY_LLAMA_MODEL", gguf.toString(),
        "PARLEY_MODELS", TestNode.nodeModelsDir().toString()));
    WorkerProcess.Launch base = EngineWorkers.launch(EngineOptions.from(config), config);
    return new WorkerProcess.Launch(base.command(), base.environment(), base.startTimeout(), answerTimeout, queueBytes);
  }

  private static CompletableFuture<Frame> echo(WorkerProcess worker, byte[] payload) {
    return WorkerEcho.echo(worker, new JsonObject().put("n", payload.length), payload);
  }

  private static void signal(String sig, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", sig, pid).isZero();
  }

  @Test
  void aStoppedWorkerIsKilledAfterTheAnswerTimeoutItsCallsFailAndAnotherAnswers() throws Exception {
    try (WorkerProcess worker = new WorkerProcess(EngineGroup.CHAT, launch(Duration.ofSeconds(2), 256L << 20), dir)) {
      worker.start();
      assertThat(echo(worker, new byte[100]).get(60, TimeUnit.SECONDS).payload()).hasSize(100);
      long pid = worker.pid().orElseThrow();

      signal("STOP", pid);
      CompletableFuture<Frame> waiting = echo(worker, new byte[10]);
      assertThatThrownBy(() -> waiting.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(ParleyException.class)
          .hasMessageContaining("answered nothing within PARLEY_ENGINE_ANSWER_TIMEOUT and was killed")
          .satisfies(e -> assertThat(((ParleyException) e).code()).contains("engine_restarted"));
      assertThat(worker.hung()).isEqualTo(1);
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("the stopped worker is gone")
          .isFalse();

      Poll.until(Duration.ofSeconds(90), "another worker", () -> worker.up() && worker.pid().orElse(pid) != pid);
      assertThat(echo(worker, new byte[5]).get(60, TimeUnit.SECONDS).payload()).hasSize(5);
      assertThat(worker.restarts()).isEqualTo(1);
      assertThat(worker.hung()).as("a worker that answers its pings is left alone").isEqualTo(1);
    }
  }

  @Test
  void callsPilingUpPastTheQueueBudgetAreRefusedWithRetryAfter() throws Exception {
    try (WorkerProcess worker = new WorkerProcess(EngineGroup.CHAT, launch(Duration.ofSeconds(60), 1 << 20), dir)) {
      worker.start();
      long pid = worker.pid().orElseThrow();
      // A worker that stops reading: its socket fills and the call being written waits in the queue.
      signal("STOP", pid);
      CompletableFuture<Frame> big = echo(worker, new byte[4 << 20]);
      assertThat(worker.queuedBytes()).as("one call of any size passes an empty queue").isEqualTo(4 << 20);
      assertThatThrownBy(() -> echo(worker, new byte[1024])).isInstanceOf(ParleyException.class)
          .hasMessageContaining("PARLEY_ENGINE_QUEUE_BYTES")
          .satisfies(e -> {
            assertThat(((ParleyException) e).code()).contains(WorkerProcess.BUSY_CODE);
            assertThat(((ParleyException) e).retryAfter()).contains(Duration.ofSeconds(1));
          });
      signal("CONT", pid);
      assertThat(big.get(60, TimeUnit.SECONDS).payload()).hasSize(4 << 20);
      Poll.until(Duration.ofSeconds(10), "the queue drained", () -> worker.queuedBytes() == 0);
      assertThat(echo(worker, new byte[1024]).get(60, TimeUnit.SECONDS).payload()).as("a refused call costs nothing")
          .hasSize(1024);
      assertThat(worker.hung()).isZero();
    }
  }
}
