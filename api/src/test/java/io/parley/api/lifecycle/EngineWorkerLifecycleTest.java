package io.parley.api.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.Poll;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine worker processes live and die with their node, as operators run it (the real main class
 * in a child JVM, JSON logs): they are the node's children, their log lines come out of the node's
 * stdout as its own JSON lines, SIGTERM stops them with the node, and a SIGKILLed node leaves none
 * behind (each worker exits when its socket to the node closes).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EngineWorkerLifecycleTest {

  private static final String MAIN = "io.parley.api.Main";
  private static final String WORKER = "io.parley.api.engines.EngineWorker";
  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  private static Map<String, String> withSpeechWorker(Path home, int port) {
    Map<String, String> env = new java.util.HashMap<>(ChildJvm.parleyEnv(home, port));
    env.put("PARLEY_VOICE_ENABLED", "true");
    env.put("PARLEY_ENGINE_ISOLATION", "process");
    return env;
  }

  /** The node's engine worker processes (its children running the worker's main class). */
  private static List<ProcessHandle> workers(ChildJvm node) {
    return node.process().toHandle().children()
        .filter(p -> p.info().commandLine().orElse("").contains(WORKER)).toList();
  }

  private static Api awaitUp(ChildJvm parley, int port) {
    parley.awaitStdout(l -> l.startsWith("Parley is up"), Duration.ofSeconds(120), "\"Parley is up\"");
    Api api = new Api("http://127.0.0.1:" + port);
    Poll.until(Duration.ofSeconds(30), "/health/ready to be 200", () -> api.get("/health/ready", null),
        r -> r.status() == 200);
    return api;
  }

  /** A node with its speech worker up, given to {@code test}; the node's home is cleaned up after. */
  private static void withNode(NodeTest test) {
    Path home = PROCESSES.track(TestNode.tempHome());
    int port = ChildJvm.freePort();
    try (ChildJvm node = ChildJvm.start(MAIN, withSpeechWorker(home, port))) {
      awaitUp(node, port);
      List<ProcessHandle> workers = workers(node);
      assertThat(workers).as("the speech worker").hasSize(1);
      test.run(node, home, workers);
    } finally {
      PROCESSES.adopt(home);
      TestNode.deleteTree(home);
    }
  }

  private interface NodeTest {
    void run(ChildJvm node, Path home, List<ProcessHandle> workers);
  }

  @Test
  void workersLogThroughTheNodeAndStopWithItOnSigterm() {
    withNode((node, home, workers) -> {
      // Its start-up lines come out as the node's own JSON log lines, under the worker's logger.
      assertThat(node.stdout().stream().filter(l -> l.startsWith("{")).map(l -> new JsonObject(l).getString("logger")))
          .contains("parley.engine.speech");
      assertThat(node.stdout()).anySatisfy(l -> assertThat(l).contains("the speech worker (pid "
          + workers.getFirst().pid() + ") is up"));
      node.sigterm();
      assertThat(node.awaitExit(Duration.ofSeconds(30))).as(node.describe()).isIn(0, 143);
      for (ProcessHandle w : workers) {
        EmbeddedProcesses.awaitDead(w.pid(), Duration.ofSeconds(10), "engine worker after the node's SIGTERM");
      }
    });
  }

  @Test
  void aSigkilledNodeLeavesNoWorkerBehind() {
    withNode((node, home, workers) -> {
      long postmaster = PROCESSES.postmaster(home);
      long redis = PROCESSES.redis(home);
      node.sigkill();
      assertThat(node.awaitExit(Duration.ofSeconds(10))).isEqualTo(137);
      for (ProcessHandle w : workers) {
        EmbeddedProcesses.awaitDead(w.pid(), Duration.ofSeconds(10), "engine worker of a SIGKILLed node");
      }
      // The embedded databases outlive a SIGKILL by design (the next start stops them: see
      // ProcessLifecycleTest); this test stops them itself.
      for (long pid : new long[] {postmaster, redis}) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        EmbeddedProcesses.awaitDead(pid, Duration.ofSeconds(15), "embedded database of the SIGKILLed node");
      }
    });
  }
}
