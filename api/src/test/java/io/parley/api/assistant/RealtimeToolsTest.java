package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Function tools over {@code /v1/realtime}, with the {@code openai} npm package's Realtime client
 * and a scripted stand-in model behind Parley (real PostgreSQL and Redis): the client's own
 * function called, streamed and answered with a {@code function_call_output}; a
 * {@code response.create}'s own tools and forced choice for that response only; a server tool run.
 */
class RealtimeToolsTest {

  private static Path dir;
  private static TestTls tls;
  private static StandInLlm llm;
  private static TestNode node;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    NodeScript.requirePackages("openai", "ws");
    dir = Files.createTempDirectory("parley-realtime-tools-");
    tls = TestTls.create(dir);
    llm = StandInLlm.start();
    node = TestNode.start(Map.of("PARLEY_TLS_CERT", tls.cert().toString(), "PARLEY_TLS_KEY", tls.key().toString(),
        "PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in"));
    api = new Api("https://127.0.0.1:" + node.server().httpPort(), tls.client());
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

  static JsonObject client(String token, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--base", "https://127.0.0.1:" + node.server().httpPort() + "/v1",
        "--token", token));
    args.addAll(List.of(extra));
    try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/realtime-tools.mjs"),
        args, Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
      assertThat(script.await(Duration.ofSeconds(90))).as(script.stderr()).isZero();
      return new JsonObject(script.lastLine());
    }
  }

  private static List<String> types(JsonObject r) {
    return r.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("type")).toList();
  }

  @Test
  void theClientsFunctionIsCalledStreamedAndAnsweredWithItsOutput() throws Exception {
    ToolCall call = new ToolCall("call_weather_7", "get_weather", "{\"city\": \"Paris\"}");
    llm.then(body -> {
      assertThat(body.getJsonArray("tools").stream().map(t -> ((JsonObject) t).getJsonObject("function")
          .getString("name")).toList()).as("the client's function only").containsExactly("get_weather");
      return new StandInLlm.Answer("", List.of(call));
    }).then(body -> {
      JsonArray messages = body.getJsonArray("messages");
      JsonObject assistant = messages.getJsonObject(messages.size() - 2);
      JsonObject result = messages.getJsonObject(messages.size() - 1);
      assertThat(assistant.getJsonArray("tool_calls").getJsonObject(0).getString("id")).isEqualTo(call.id());
      assertThat(result.getString("role")).isEqualTo("tool");
      assertThat(result.getString("tool_call_id")).isEqualTo(call.id());
      assertThat(result.getString("content")).isEqualTo("{\"sky\":\"sunny\"}");
      return new StandInLlm.Answer("It is sunny in Paris.", List.of());
    });
    String token = api.newUser().getString("access_token");
    JsonObject r = client(token, "--question", "What is the weather in Paris?", "--tool", "get_weather",
        "--output", "{\"sky\":\"sunny\"}", "--no-server-tools", "--responses", "2");

    JsonObject c = r.getJsonArray("calls").getJsonObject(0);
    assertThat(c.getString("name")).as(r.encodePrettily()).isEqualTo("get_weather");
    assertThat(c.getString("call_id")).isEqualTo(call.id());
    assertThat(c.getString("added_arguments")).isEmpty();
    assertThat(c.getString("deltas")).isEqualTo(call.arguments());
    assertThat(c.getString("arguments")).isEqualTo(call.arguments());
    assertThat(c.getString("done_call_id")).isEqualTo(call.id());
    assertThat(c.getInteger("output_index")).isZero();

    JsonObject first = r.getJsonArray("responses").getJsonObject(0);
    assertThat(first.getString("status")).isEqualTo("completed");
    assertThat(first.getJsonArray("output")).hasSize(1);
    assertThat(first.getJsonArray("output").getJsonObject(0).getMap()).containsEntry("type", "function_call")
        .containsEntry("call_id", call.id()).containsEntry("arguments", call.arguments());
    List<String> types = types(r);
    int done = types.indexOf("response.done");
    assertThat(types.subList(0, done)).as("no message and no audio for a function call")
        .doesNotContain("response.content_part.added", "response.output_audio_transcript.done")
        .containsSubsequence("response.created", "response.output_item.added",
            "response.function_call_arguments.delta", "response.function_call_arguments.done",
            "response.output_item.done");
    assertThat(types.subList(done, types.size())).containsSubsequence("conversation.item.added",
        "conversation.item.done", "response.created", "response.output_item.added", "response.done");
    assertThat(r.getJsonArray("transcripts")).containsExactly("It is sunny in Paris.");
    assertThat(r.getLong("audio_bytes")).as("the answer is spoken").isPositive();
    assertThat(r.getJsonArray("responses").getJsonObject(1).getString("status")).isEqualTo("completed");
  }

  private static List<String> toolNames(JsonObject request) {
    return request.getJsonArray("tools").stream().map(t -> ((JsonObject) t).getJsonObject("function")
        .getString("name")).toList();
  }

  /**
   * A {@code response.create} with its own {@code tools} and a forced {@code tool_choice}: the model
   * request of that response, and only that one, carries them; the next response (after the
   * function's output) is asked with the session's tools and choice again.
   */
  @Test
  void aResponseCreatesOwnToolsAndForcedChoiceApplyToThatResponseOnly() throws Exception {
    ToolCall call = new ToolCall("call_order_3", "lookup_order", "{\"city\": \"Oslo\"}");
    List<JsonObject> asked = new CopyOnWriteArrayList<>();
    llm.then(body -> {
      asked.add(body);
      return new StandInLlm.Answer("", List.of(call));
    }).then(body -> {
      asked.add(body);
      return new StandInLlm.Answer("Your order is on its way.", List.of());
    });
    String token = api.newUser().getString("access_token");
    JsonObject r = client(token, "--question", "Where is my order?", "--tool", "get_weather",
        "--response-tool", "lookup_order", "--output", "{\"status\":\"shipped\"}", "--no-server-tools",
        "--responses", "2");

    assertThat(r.getJsonArray("calls").getJsonObject(0).getString("name")).as(r.encodePrettily())
        .isEqualTo("lookup_order");
    assertThat(r.getJsonArray("responses").stream().map(o -> ((JsonObject) o).getString("status")).toList())
        .containsExactly("completed", "completed");
    assertThat(r.getJsonArray("transcripts")).containsExactly("Your order is on its way.");
    assertThat(asked).hasSize(2);
    JsonObject forced = asked.get(0);
    assertThat(toolNames(forced)).as("the response's own tools, not the session's").containsExactly("lookup_order");
    assertThat(forced.getValue("tool_choice")).isEqualTo(new JsonObject().put("type", "function")
        .put("function", new JsonObject().put("name", "lookup_order")));
    JsonObject next = asked.get(1);
    assertThat(toolNames(next)).as("the session's tools again").containsExactly("get_weather");
    assertThat(next.getValue("tool_choice")).isEqualTo("auto");
    JsonArray messages = next.getJsonArray("messages");
    assertThat(messages.getJsonObject(messages.size() - 1).getString("tool_call_id")).isEqualTo(call.id());
  }

  /**
   * A typed question the model answers with a server tool: Parley runs get_meals for the session's
   * user, the next model request carries its result, and the answer is spoken; the client sees only
   * the answer, and the call and its result are stored in the conversation.
   */
  @Test
  void aServerToolIsRunForTheUserAndItsResultReachesTheModel() throws Exception {
    ToolCall call = new ToolCall("call_meals_1", "get_meals", "{}");
    llm.then(body -> {
      List<Object> names = body.getJsonArray("tools").stream().map(t -> ((JsonObject) t).getJsonObject("function")
          .getString("name")).map(Object.class::cast).toList();
      assertThat(names).contains("get_meals", "log_meal", "book_appointment");
      return new StandInLlm.Answer("", List.of(call));
    }).then(body -> {
      JsonArray messages = body.getJsonArray("messages");
      JsonObject result = messages.getJsonObject(messages.size() - 1);
      assertThat(result.getString("tool_call_id")).isEqualTo(call.id());
      JsonObject meals = new JsonObject(result.getString("content"));
      assertThat(meals.getJsonArray("meals")).isEmpty();
      assertThat(meals.getJsonObject("totals")).isNotNull();
      return new StandInLlm.Answer("You have not logged anything today.", List.of());
    });
    JsonObject user = api.newUser();
    String token = user.getString("access_token");
    JsonObject r = client(token, "--question", "What have I eaten today?");

    assertThat(r.getJsonArray("calls")).as(r.encodePrettily()).isEmpty();
    assertThat(r.getJsonArray("transcripts")).containsExactly("You have not logged anything today.");
    assertThat(r.getLong("audio_bytes")).isPositive();
    JsonObject response = r.getJsonArray("responses").getJsonObject(0);
    assertThat(response.getString("status")).isEqualTo("completed");
    assertThat(response.getJsonArray("output")).singleElement()
        .satisfies(o -> assertThat(((JsonObject) o).getString("type")).isEqualTo("message"));

    JsonObject conversations = api.get("/api/v1/conversations", token).json();
    String conversation = conversations.getJsonArray("items").getJsonObject(0).getString("id");
    JsonArray stored = api.get("/api/v1/conversations/" + conversation + "/messages", token).json()
        .getJsonArray("items");
    assertThat(stored.stream().map(m -> ((JsonObject) m).getString("role")).toList())
        .containsExactly("user", "assistant", "tool", "assistant");
    assertThat(stored.getJsonObject(1).getJsonArray("tool_calls").getJsonObject(0).getString("name"))
        .isEqualTo("get_meals");
    assertThat(stored.getJsonObject(2).getString("tool_call_id")).isEqualTo(call.id());
  }
}
