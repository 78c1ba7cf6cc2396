package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.llm.Personality;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Parley's server tools in {@code /v1/chat/completions}, with the {@code openai} npm package as the
 * client and a scripted stand-in model behind Parley (real PostgreSQL and Redis): a question answered
 * with a server tool run for the caller (its result reaches the model in the next request; the
 * client sees only the answer; the exchange is stored in a conversation of the user's), a write
 * refused without confirmation, another user's meal out of reach, a client tool next to the
 * server's streamed back as before, and the switch {@code parley.tools: false}.
 */
class ChatServerToolsTest {

  private static List<String> toolNames(JsonObject body) {
    JsonArray tools = body.getJsonArray("tools", new JsonArray());
    return tools.stream().map(t -> ((JsonObject) t).getJsonObject("function").getString("name")).toList();
  }

  private static JsonObject lastMessage(JsonObject body) {
    JsonArray messages = body.getJsonArray("messages");
    return messages.getJsonObject(messages.size() - 1);
  }

  @Test
  void serverToolsRunForTheCallerAndOnlyTheAnswerReachesTheClient() throws Exception {
    NodeScript.requirePackages("openai");
    Path dir = Files.createTempDirectory("parley-chat-tools-");
    TestTls tls = TestTls.create(dir);
    try (StandInLlm llm = StandInLlm.start();
         TestNode node = TestNode.start(Map.of(
             "PARLEY_TLS_CERT", tls.cert().toString(), "PARLEY_TLS_KEY", tls.key().toString(),
             "PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in"))) {
      String base = "https://127.0.0.1:" + node.server().httpPort();
      Api api = new Api(base, tls.client());
      String token = api.newUser().getString("access_token");
      UUID other = UUID.fromString(api.get("/api/v1/users/me", api.newUser().getString("access_token")).json()
          .getString("id"));
      UUID othersMeal = UUID.randomUUID();
      node.server().pool().preparedQuery("INSERT INTO meals (id, user_id, source, total_kcal) VALUES ($1, $2, "
          + "'text', 300)").execute(Tuple.of(othersMeal, other)).await(10, TimeUnit.SECONDS);

      ToolCall meals = new ToolCall("call_meals_1", "get_meals", "{}");
      ToolCall eggs = new ToolCall("call_log_1", "log_meal", "{\"description\": \"two eggs\"}");
      ToolCall delete = new ToolCall("call_delete_1", "delete_meal",
          "{\"id\": \"" + othersMeal + "\", \"confirm\": true}");
      ToolCall weather = new ToolCall("call_weather_1", "get_weather", "{\"city\": \"Paris\"}");
      llm.then(body -> {
        assertThat(toolNames(body)).contains("get_meals", "log_meal", "delete_meal", "remember", "recall");
        assertThat(StandInLlm.systemPrompt(body)).startsWith(Personality.GROUND_RULES)
            .doesNotContain(Personality.SPOKEN);
        return new StandInLlm.Answer("", List.of(meals));
      }).then(body -> {
        JsonObject result = lastMessage(body);
        assertThat(result.getString("tool_call_id")).isEqualTo(meals.id());
        JsonObject read = new JsonObject(result.getString("content"));
        assertThat(read.getJsonArray("meals")).isEmpty();
        assertThat(read.getJsonObject("totals")).isNotNull();
        return new StandInLlm.Answer("You have not logged anything today.", List.of());
      }).then(StandInLlm.Reply.toolCalls(eggs)).then(body -> {
        JsonObject result = new JsonObject(lastMessage(body).getString("content"));
        assertThat(result.getString("status")).isEqualTo("confirmation_required");
        return new StandInLlm.Answer("Shall I log two eggs?", List.of());
      }).then(StandInLlm.Reply.toolCalls(delete)).then(body -> {
        JsonObject result = new JsonObject(lastMessage(body).getString("content"));
        assertThat(result.getString("error")).isEqualTo("the user has no meal with that id");
        return new StandInLlm.Answer("I could not find that meal.", List.of());
      }).then(body -> {
        List<String> names = toolNames(body);
        assertThat(names.getFirst()).as("the client's tool first").isEqualTo("get_weather");
        assertThat(names).contains("get_meals");
        return new StandInLlm.Answer("", List.of(weather));
      }).then(body -> {
        assertThat(body.getValue("tools")).as("parley.tools false: no tools offered").isNull();
        return new StandInLlm.Answer("Hello.", List.of());
      });

      JsonObject r;
      try (NodeScript script = NodeScript.start(
          NodeScript.repositoryRoot().resolve("api/src/test/js/openai-server-tools.mjs"),
          List.of("--base", base + "/v1", "--token", token, "--meal", othersMeal.toString()),
          Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
        assertThat(script.await(Duration.ofSeconds(120))).as(script.stderr()).isZero();
        r = new JsonObject(script.lastLine());
      }

      JsonObject served = r.getJsonObject("served");
      assertThat(served.getString("content")).as(r.encodePrettily()).isEqualTo("You have not logged anything today.");
      assertThat(served.getJsonArray("calls")).as("a server call is not shown").isEmpty();
      assertThat(served.getString("finish")).isEqualTo("stop");
      String conversation = served.getJsonObject("parley").getString("conversation_id");
      JsonArray stored = api.get("/api/v1/conversations/" + conversation + "/messages", token).json()
          .getJsonArray("items");
      assertThat(stored.stream().map(m -> ((JsonObject) m).getString("role")).toList())
          .as("stored when response ended").containsExactly("user", "assistant", "tool", "assistant");
      assertThat(stored.getJsonObject(0).getString("content")).isEqualTo("What have I eaten today?");
      assertThat(stored.getJsonObject(1).getJsonArray("tool_calls").getJsonObject(0).getString("name"))
          .isEqualTo("get_meals");
      assertThat(stored.getJsonObject(2).getString("tool_call_id")).isEqualTo(meals.id());
      assertThat(stored.getJsonObject(3).getString("content")).isEqualTo("You have not logged anything today.");

      JsonObject refused = r.getJsonObject("refused");
      assertThat(refused.getString("content")).as(r.encodePrettily()).isEqualTo("Shall I log two eggs?");
      assertThat(refused.getJsonObject("parley").getString("conversation_id")).isNotEqualTo(conversation);
      UUID me = UUID.fromString(api.get("/api/v1/users/me", token).json().getString("id"));
      long logged = node.server().pool().preparedQuery("SELECT count(*) AS n FROM meals WHERE user_id = $1")
          .execute(Tuple.of(me)).await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
      assertThat(logged).as("nothing logged unconfirmed").isZero();

      assertThat(r.getJsonObject("othersMeal").getString("content")).as(r.encodePrettily())
          .isEqualTo("I could not find that meal.");
      long left = node.server().pool().preparedQuery("SELECT count(*) AS n FROM meals WHERE id = $1")
          .execute(Tuple.of(othersMeal)).await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
      assertThat(left).as("another user's meal stays").isEqualTo(1);

      JsonObject mixed = r.getJsonObject("mixed");
      assertThat(mixed.getString("finish")).as(r.encodePrettily()).isEqualTo("tool_calls");
      assertThat(mixed.getJsonArray("calls")).isEqualTo(new JsonArray().add(new JsonObject()
          .put("id", weather.id()).put("name", "get_weather").put("arguments", weather.arguments())));
      assertThat(mixed.getValue("parley")).as("no server tool ran: nothing stored").isNull();

      JsonObject off = r.getJsonObject("off");
      assertThat(off.getString("content")).as(r.encodePrettily()).isEqualTo("Hello.");
      assertThat(off.getValue("parley")).isNull();
      assertThat(r.getJsonObject("badSwitch").getInteger("status")).isEqualTo(400);
      assertThat(llm.requests()).as("the bad switch never reached the model").hasSize(8);
    } finally {
      TestNode.deleteTree(dir);
    }
  }
}
