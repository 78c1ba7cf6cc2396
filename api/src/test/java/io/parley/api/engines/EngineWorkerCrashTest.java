package io.parley.api.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.Multipart;
import io.parley.api.support.Poll;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.inference.vision.Photos;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engines in worker processes ({@code PARLEY_ENGINE_ISOLATION=process}) die without taking the
 * node down: each worker is killed with SIGKILL in the middle of its work, as a native crash would end
 * it. A voice answer being spoken gets {@code engine_restarted} and the session's next turn is
 * answered; a photo being analysed gets 503 with {@code Retry-After} and the next one is analysed;
 * a call relayed through the node's TURN (coturn's {@code turnutils_uclient}, client to client) keeps
 * flowing all the while.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class EngineWorkerCrashTest {

  private static final String SECRET = "engine-crash-test-turn-secret-0123456789";

  /** An answer long enough to be still speaking when the worker dies: many short sentences. */
  private static final String LONG_ANSWER = String.join(" ", java.util.Collections.nCopies(12,
      "Bananas are a good snack. They have potassium and fibre."));

  private static final Duration RESTART = Duration.ofSeconds(180);

  private static TestNode node;
  private static StandInLlm llm;
  private static String token;

  @BeforeAll
  static void start() throws Exception {
    llm = StandInLlm.start().always(StandInLlm.Reply.text(LONG_ANSWER));
    node = TestNode.start(Map.of(
        "PARLEY_ENGINE_ISOLATION", "process",
        "PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in",
        "PARLEY_VISION_ENABLED", "true", "PARLEY_VISION_MODEL", "nanodet",
        "PARLEY_TURN_SECRET", SECRET, "PARLEY_TURN_ALLOW_PEERS", "127.0.0.0/8",
        "PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "10000"));
    token = node.api().newUser().getString("access_token");
  }

  @AfterAll
  static void stop() throws Exception {
    TestNode.closeAll(node, llm);
  }

  private static EngineWorkers workers() {
    return (EngineWorkers) node.server().engines();
  }

  /** SIGKILLs the worker of {@code group} and returns its pid. */
  private static long kill(EngineGroup group) {
    long pid = workers().pid(group).orElseThrow(() -> new AssertionError("no " + group + " worker is up"));
    assertThat(ProcessHandle.of(pid).orElseThrow().destroyForcibly()).isTrue();
    return pid;
  }

  private static void awaitRestart(EngineGroup group, long killedPid, long restartsBefore) {
    Poll.until(RESTART, "a new " + group + " worker", () -> workers().restarts(group) > restartsBefore
        && workers().pid(group).filter(p -> p != killedPid).isPresent());
  }

  /** Waits (at most {@code max}) until the worker of {@code group} has a call in hand. */
  private static void awaitBusy(EngineGroup group, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (workers().inFlight(group) == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the " + group + " worker never had a call in hand");
      }
      LockSupport.parkNanos(1_000_000);
    }
  }

  @Test
  void theWorkersAreChildProcessesOfTheNodeNotTheNodeItself() {
    for (EngineGroup g : List.of(EngineGroup.SPEECH, EngineGroup.VISION)) {
      long pid = workers().pid(g).orElseThrow();
      assertThat(pid).isNotEqualTo(ProcessHandle.current().pid());
      assertThat(ProcessHandle.of(pid).orElseThrow().parent().map(ProcessHandle::pid))
          .contains(ProcessHandle.current().pid());
    }
    assertThat(workers().pid(EngineGroup.CHAT)).as("no chat worker: the chat model is an HTTP server here").isEmpty();
    Api.Res ready = node.api().get("/health/ready", null);
    assertThat(ready.json().getJsonObject("checks").getJsonObject("engines"))
        .isEqualTo(new JsonObject().put("speech", "up").put("vision", "up"));
  }

  @Test
  void aVoiceAnswerCutByItsWorkersDeathEndsWithEngineRestartedAndTheNextTurnIsAnswered() throws Exception {
    long restarts = workers().restarts(EngineGroup.SPEECH);
    try (RealtimeClient client = RealtimeClient.connect(node, token, "")) {
      client.next("session.created");
      client.say("How many calories are in a banana?");
      client.next("response.output_audio.delta", Duration.ofSeconds(60));
      awaitBusy(EngineGroup.SPEECH, Duration.ofSeconds(30));
      long pid = kill(EngineGroup.SPEECH);

      JsonObject error = client.next("error", Duration.ofSeconds(30));
      assertThat(error.getJsonObject("error").getString("code")).as(error.encode()).isEqualTo("engine_restarted");
      assertThat(error.getJsonObject("error").getString("message")).contains("speech").contains("retry in");
      client.next("response.done", Duration.ofSeconds(30));

      awaitRestart(EngineGroup.SPEECH, pid, restarts);
      client.say("And in an apple?");
      client.next("response.output_audio.delta", Duration.ofSeconds(60));
      JsonObject done = client.next("response.done", Duration.ofSeconds(120));
      assertThat(done.getJsonObject("response").getString("status")).as(done.encode()).isEqualTo("completed");
    }
  }

  @Test
  void aPhotoCutByItsWorkersDeathGets503WithRetryAfterAndTheNextOneIsAnalysed() throws Exception {
    byte[] dog = Files.readAllBytes(Photos.darknet("dog.jpg"));
    String url = node.baseUrl() + "/api/v1/vision/analyze";
    long restarts = workers().restarts(EngineGroup.VISION);
    CompletableFuture<Api.Res> cut = CompletableFuture.supplyAsync(() -> {
      try {
        return Multipart.post(url, token, "image", dog, "dog.jpg", Map.of());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    awaitBusy(EngineGroup.VISION, Duration.ofSeconds(60));
    long pid = kill(EngineGroup.VISION);
    Poll.until(Duration.ofSeconds(10), "readiness shows the vision worker restarting", () -> {
      Api.Res h = node.api().get("/health/ready", null);
      return h.status() == 200 && "degraded".equals(h.json().getString("status"))
          && "restarting".equals(h.json().getJsonObject("checks").getJsonObject("engines").getString("vision"));
    });
    Api.Res r = cut.get(60, TimeUnit.SECONDS);
    assertThat(r.status()).as(r.body()).isEqualTo(503);
    assertThat(r.error().getString("code")).isEqualTo("engine_restarted");
    assertThat(Long.parseLong(r.header("Retry-After"))).isPositive();

    Api.Res whileDown = Multipart.post(url, token, "image", dog, "dog.jpg", Map.of());
    if (workers().pid(EngineGroup.VISION).isEmpty()) {
      assertThat(whileDown.status()).as("while no worker is up: " + whileDown.body()).isEqualTo(503);
      assertThat(whileDown.header("Retry-After")).isNotNull();
    }
    awaitRestart(EngineGroup.VISION, pid, restarts);
    Api.Res next = Multipart.post(url, token, "image", dog, "other-name.jpg", Map.of());
    assertThat(next.status()).as(next.body()).isEqualTo(200);
    assertThat(next.json().getJsonArray("objects").stream().map(o -> ((JsonObject) o).getString("label")))
        .contains("dog");
  }

  @Test
  void aCallKeepsRelayingWhileEveryEngineWorkerIsKilled() throws Exception {
    int port = node.server().turn().orElseThrow().udpPort();
    // Two clients relaying to each other through the node, 3,000 messages each, one every 5 ms.
    List<String> command = new ArrayList<>(List.of("turnutils_uclient", "-c", "-y", "-W", SECRET, "-u", "bob",
        "-p", Integer.toString(port), "-n", "3000", "-m", "2", "-l", "170", "-z", "5", "127.0.0.1"));
    Process uclient = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(uclient.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      Poll.until(Duration.ofSeconds(30), "relaying started", () -> relayed() > 100);
      long speechRestarts = workers().restarts(EngineGroup.SPEECH);
      long visionRestarts = workers().restarts(EngineGroup.VISION);
      long speech = kill(EngineGroup.SPEECH);
      long vision = kill(EngineGroup.VISION);
      double atKill = relayed();
      assertThat(uclient.isAlive()).as("uclient still relaying when the workers died").isTrue();
      Poll.until(Duration.ofSeconds(10), "packets relayed after the workers died", () -> relayed() > atKill + 200);
      assertThat(uclient.waitFor(120, TimeUnit.SECONDS)).as("uclient finished").isTrue();
      String out = output.get(10, TimeUnit.SECONDS);
      assertThat(uclient.exitValue()).as(out).isZero();
      Matcher m = Pattern.compile("start_mclient: tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)").matcher(out);
      long sent = -1;
      long received = -1;
      while (m.find()) {
        sent = Long.parseLong(m.group(1));
        received = Long.parseLong(m.group(2));
      }
      assertThat(sent).as(out).isEqualTo(6000);
      // Packets flowed through the deaths (above); what a 2-core machine loses while two JVMs start
      // beside the relay is bounded loosely.
      assertThat(received).as("messages back while the engine workers died and restarted:\n" + out)
          .isGreaterThanOrEqualTo(sent * 95 / 100);
      awaitRestart(EngineGroup.SPEECH, speech, speechRestarts);
      awaitRestart(EngineGroup.VISION, vision, visionRestarts);
    } finally {
      uclient.destroyForcibly();
    }
  }

  /** Packets the node's TURN relay has forwarded from clients to peers. */
  private static double relayed() {
    for (String line : node.api().get("/metrics", null).body().split("\n")) {
      if (line.startsWith("parley_turn_packets_total{") && line.contains("direction=\"client_to_peer\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("parley_turn_packets_total is not in /metrics");
  }
}
