package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.engines.EngineGroup;
import io.parley.api.engines.EngineWorkers;
import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.Speech;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.vad.TinySmartTurn;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI Agents SDK's realtime package ({@code @openai/agents-realtime}), unmodified, against a
 * real node over wss: a {@code RealtimeSession} with an agent that defines a function tool, a typed
 * question, the tool called and answered, a spoken turn (espeak-ng speech; whisper.cpp on a tiny
 * random-weight model; the SDK asks for {@code semantic_vad}, which this node's generated end-of-turn
 * model serves) and an interruption. A scripted stand-in model answers by what the user asked.
 */
class AgentsRealtimeTest {

  private static final String BANANA = "A banana has about one hundred calories.";
  private static final String SUNNY = "It is sunny in Paris.";
  private static final ToolCall WEATHER = new ToolCall("call_weather_1", "get_weather", "{\"city\":\"Paris\"}");

  private static Path dir;
  private static TestTls tls;
  private static StandInLlm llm;
  private static TestNode node;
  private static Path speech;
  private static String token;

  @BeforeAll
  static void start() throws Exception {
    NodeScript.requirePackages("@openai/agents-realtime", "@openai/agents-core", "zod", "ws");
    dir = Files.createTempDirectory("parley-agents-realtime-");
    tls = TestTls.create(dir);
    llm = StandInLlm.start().always(AgentsRealtimeTest::answer);
    speech = Speech.wav("Hello there. How many calories are in a banana?", 24_000, dir, "question");
    node = node(Map.of("PARLEY_SEMANTIC_VAD_MODEL",
        TinySmartTurn.write(dir.resolve("smart-turn.onnx"), 0f, 10f).toString()));
    token = new Api("https://127.0.0.1:" + node.server().httpPort(), tls.client()).newUser()
        .getString("access_token");
  }

  /** A node on wss with whisper.cpp (a tiny random-weight model) and the stand-in model, and {@code extra}. */
  private static TestNode node(Map<String, String> extra) throws Exception {
    Map<String, String> env = new java.util.HashMap<>(Map.of(
        "PARLEY_TLS_CERT", tls.cert().toString(),
        "PARLEY_TLS_KEY", tls.key().toString(),
        "PARLEY_WHISPER_MODEL", TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin")).toString(),
        "PARLEY_LLM_BASE_URL", llm.baseUrl(),
        "PARLEY_LLM_MODEL", "stand-in"));
    env.putAll(extra);
    return TestNode.start(env);
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (llm != null) {
      llm.close();
    }
    if (dir != null) {
      TestNode.deleteTree(dir);
    }
  }

  /** The stand-in model: the weather by the agent's tool, a long story to interrupt, else bananas. */
  private static StandInLlm.Answer answer(JsonObject body) {
    JsonArray messages = body.getJsonArray("messages");
    JsonObject last = messages.getJsonObject(messages.size() - 1);
    String content = String.valueOf(last.getValue("content"));
    if ("tool".equals(last.getString("role"))) {
      return new StandInLlm.Answer(SUNNY, List.of());
    }
    if (content.contains("weather")) {
      return new StandInLlm.Answer("", List.of(WEATHER));
    }
    if (content.contains("story")) {
      return new StandInLlm.Answer("Once upon a time there was a banana. ".repeat(30), List.of());
    }
    return new StandInLlm.Answer(BANANA, List.of());
  }

  /** The script's result line, which it prints whether or not every step passed. */
  private static JsonObject run(TestNode on, String user, String... extra) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("--url",
        "wss://127.0.0.1:" + on.server().httpPort() + "/v1/realtime", "--token", user, "--wav", speech.toString()));
    args.addAll(List.of(extra));
    try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/agents-realtime.mjs"),
        args, Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
      int code = script.await(Duration.ofSeconds(120));
      String line = script.lastLine();
      assertThat(line).as("result line; stderr:\n" + script.stderr()).startsWith("{");
      return new JsonObject(line).put("exit_code", code).put("stderr", script.stderr());
    }
  }

  /** The script's result, which must have passed. */
  private static JsonObject passed(TestNode on, String user, String... extra) throws Exception {
    JsonObject result = run(on, user, extra);
    assertThat(result.getInteger("exit_code")).as("exit code; result " + result.encodePrettily()).isZero();
    return result;
  }

  @Test
  void anAgentAnswersATypedQuestionCallsItsToolHearsASpokenTurnAndIsInterrupted() throws Exception {
    JsonObject r = passed(node, token, "--steps", "typed,tool,spoken,interrupt");
    JsonObject steps = r.getJsonObject("steps");
    assertThat(r.getJsonArray("errors")).as(r.encodePrettily()).isEmpty();

    assertThat(steps.getJsonObject("typed").getString("output")).as("agent_end's output").isEqualTo(BANANA);

    JsonObject tool = steps.getJsonObject("tool");
    assertThat(tool.getString("name")).isEqualTo("get_weather");
    assertThat(tool.getString("result")).isEqualTo("sunny in Paris");
    assertThat(tool.getJsonArray("calls")).containsExactly(new JsonObject().put("city", "Paris"));
    assertThat(tool.getString("output")).isEqualTo(SUNNY);

    JsonObject spoken = steps.getJsonObject("spoken");
    assertThat(spoken.getBoolean("settled")).as("the last turn's response done").isTrue();
    assertThat(spoken.getString("output")).isEqualTo(BANANA);
    assertThat(spoken.getString("user_transcript")).as("whisper's transcript in the SDK's history").isNotNull();

    JsonObject interrupt = steps.getJsonObject("interrupt");
    assertThat(interrupt.getString("status")).isEqualTo("cancelled");
    assertThat(interrupt.getBoolean("truncated")).as("the SDK's truncate was answered").isTrue();

    assertThat(r.getJsonArray("sent").getList()).as("what the SDK sent").contains("session.update",
        "conversation.item.create", "response.create", "response.cancel", "conversation.item.truncate");
  }

  /**
   * The node's speech worker dies (SIGKILL, as a native crash ends it) while the SDK's agent is
   * speaking: the SDK's session hears the server's {@code error} with code {@code engine_restarted}
   * (an app listening to the session's errors sees it; the SDK does not close the session), the cut
   * response ends, and the same session's next question is answered once the node has started
   * another worker.
   */
  @Test
  void anAgentHearsEngineRestartedWhenTheSpeechWorkerDiesAndItsNextQuestionIsAnswered() throws Exception {
    EngineWorkers workers = (EngineWorkers) node.server().engines();
    List<String> args = List.of("--url", "wss://127.0.0.1:" + node.server().httpPort() + "/v1/realtime",
        "--token", token, "--wav", speech.toString(), "--steps", "restart", "--timeout-ms", "240000");
    try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/agents-realtime.mjs"),
        args, Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
      assertThat(script.nextLine(Duration.ofSeconds(120))).as(script.output()).isEqualTo("kill the speech worker");
      long pid = workers.pid(EngineGroup.SPEECH).orElseThrow();
      assertThat(ProcessHandle.of(pid).orElseThrow().destroyForcibly()).isTrue();
      assertThat(script.await(Duration.ofSeconds(260))).as(script.output()).isZero();
      JsonObject r = new JsonObject(script.lastLine());
      assertThat(r.getJsonArray("errors")).as(r.encodePrettily()).isEmpty();
      JsonObject restart = r.getJsonObject("steps").getJsonObject("restart");
      assertThat(restart.getString("code")).as(r.encodePrettily()).isEqualTo("engine_restarted");
      assertThat(restart.getString("message")).contains("speech").contains("retry in");
      assertThat(restart.getString("cut_status")).as("the cut answer ended").isIn("failed", "cancelled", "incomplete");
      assertThat(restart.getString("output")).as("the next question answered: " + r.encodePrettily()).isEqualTo(BANANA);
      assertThat(workers.pid(EngineGroup.SPEECH)).as("another speech worker").isPresent().get().isNotEqualTo(pid);
    }
  }

  /**
   * The SDK unmodified on a node without an end-of-turn model: its first session.update asks for
   * semantic_vad, which is refused alone (one error naming the field and the command that fetches
   * the model); the rest of the update applies, so the agent's instructions and tool reach the
   * node, session.updated shows the server VAD in force, and a typed question, the tool and a
   * spoken turn (ended by server VAD) work. An app that asks for server VAD itself gets no error.
   */
  @Test
  void withoutAnEndOfTurnModelTheSdksDefaultSessionWorksOnServerVad() throws Exception {
    try (TestNode plain = node(Map.of())) {
      String user = new Api("https://127.0.0.1:" + plain.server().httpPort(), tls.client()).newUser()
          .getString("access_token");
      JsonObject r = passed(plain, user, "--steps", "typed,tool,spoken", "--refusal-param",
          "session.audio.input.turn_detection.type");
      assertThat(r.getJsonArray("errors")).as(r.encodePrettily()).isEmpty();
      assertThat(r.getJsonArray("refused")).as(r.encodePrettily()).singleElement().satisfies(o -> {
        JsonObject error = (JsonObject) o;
        assertThat(error.getString("type")).isEqualTo("invalid_request_error");
        assertThat(error.getString("code")).isEqualTo("unsupported_value");
        assertThat(error.getString("message")).contains("semantic_vad").contains("./parley models --turn smart-turn-v3");
      });
      JsonObject steps = r.getJsonObject("steps");
      assertThat(steps.getJsonObject("typed").getString("output")).isEqualTo(BANANA);
      assertThat(steps.getJsonObject("tool").getString("output")).as("the agent's tool reached the node")
          .isEqualTo(SUNNY);
      assertThat(steps.getJsonObject("spoken").getBoolean("settled")).as(r.encodePrettily()).isTrue();
      assertThat(steps.getJsonObject("spoken").getString("user_transcript")).isNotNull();
      assertThat(r.getJsonObject("session").getJsonObject("audio").getJsonObject("input")
          .getJsonObject("turn_detection").getString("type")).as("session.updated: what is in force")
          .isEqualTo("server_vad");
      assertThat(StandInLlm.systemPrompt(llm.requests().getLast())).as("the agent's instructions applied")
          .contains("You are a helpful assistant. Answer briefly.");

      JsonObject serverVad = passed(plain, user, "--server-vad", "--steps", "typed");
      assertThat(serverVad.getJsonArray("errors")).isEmpty();
      assertThat(serverVad.getJsonObject("steps").getJsonObject("typed").getString("output")).isEqualTo(BANANA);
    }
  }
}
