package io.parley.api.assistant.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.assistant.ConversationStore;
import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.core.Ids;
import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The server tools on a real node (PostgreSQL, the USDA table): a write is refused until confirmed,
 * a confirmed one is applied and read back, and no tool reaches another user's meals or
 * appointments or memories; a slow or failing tool answers the model with an error result.
 */
class ServerToolsTest {

  private static final TestNode NODE = TestNode.shared();
  private final Api api = NODE.api();

  private record User(UUID id, String token) {}

  private User user() {
    String token = api.newUser().getString("access_token");
    return new User(UUID.fromString(api.get("/api/v1/users/me", token).json().getString("id")), token);
  }

  private static JsonObject call(ServerTools tools, UUID user, String name, JsonObject args) throws Exception {
    return call(tools, new ServerTool.Caller(user, null), name, args);
  }

  private static JsonObject call(ServerTools tools, ServerTool.Caller caller, String name, JsonObject args)
      throws Exception {
    CompletableFuture<JsonObject> done = new CompletableFuture<>();
    Vertx vertx = NODE.server().vertx();
    vertx.getOrCreateContext().runOnContext(v -> tools.run(caller, new ToolCall("call_" + UUID.randomUUID(), name,
        args.encode())).onComplete(ar -> {
          if (ar.succeeded()) {
            done.complete(ar.result());
          } else {
            done.completeExceptionally(ar.cause());
          }
        }));
    return done.get(10, TimeUnit.SECONDS);
  }

  private static JsonObject call(UUID user, String name, JsonObject args) throws Exception {
    return call(NODE.server().serverTools(), user, name, args);
  }

  @Test
  void aWriteIsRefusedUntilConfirmedThenLoggedAndReadBack() throws Exception {
    User u = user();
    JsonObject refused = call(u.id(), "log_meal", new JsonObject().put("description", "two eggs and a slice of toast"));
    assertThat(refused.getString("status")).as(refused.encode()).isEqualTo("confirmation_required");
    assertThat(call(u.id(), "get_meals", new JsonObject()).getJsonArray("meals")).as("nothing logged").isEmpty();

    JsonObject logged = call(u.id(), "log_meal", new JsonObject().put("description", "two eggs and a slice of toast")
        .put("confirm", true));
    assertThat(logged.getBoolean("logged")).as(logged.encode()).isTrue();
    JsonObject meal = logged.getJsonObject("meal");
    assertThat(meal.getJsonArray("items")).hasSize(2);
    assertThat(meal.getJsonObject("totals").getDouble("kcal")).isPositive();

    JsonObject today = call(u.id(), "get_meals", new JsonObject());
    assertThat(today.getJsonArray("meals")).extracting(m -> ((JsonObject) m).getString("id"))
        .containsExactly(meal.getString("id"));
    assertThat(today.getJsonObject("totals").getDouble("kcal")).isEqualTo(meal.getJsonObject("totals").getDouble("kcal"));

    assertThat(call(u.id(), "delete_meal", new JsonObject().put("id", meal.getString("id"))).getString("status"))
        .isEqualTo("confirmation_required");
    assertThat(call(u.id(), "delete_meal", new JsonObject().put("id", meal.getString("id")).put("confirm", true))
        .getBoolean("deleted")).isTrue();
    assertThat(call(u.id(), "get_meals", new JsonObject()).getJsonArray("meals")).isEmpty();
  }

  @Test
  void noToolReachesAnotherUsersMealsOrAppointments() throws Exception {
    User owner = user();
    User other = user();
    User expert = user();
    String specialization = "Tools-" + UUID.randomUUID();
    assertThat(api.put("/api/v1/experts/me", expert.token(), new JsonObject().put("display_name", "Dr Tool")
        .put("specialization", specialization)).status()).isEqualTo(200);
    JsonObject found = call(owner.id(), "find_experts", new JsonObject().put("specialization", specialization));
    assertThat(found.getJsonArray("experts")).extracting(e -> ((JsonObject) e).getString("id"))
        .containsExactly(expert.id().toString());
    String meal = call(owner.id(), "log_meal", new JsonObject().put("description", "a banana").put("confirm", true))
        .getJsonObject("meal").getString("id");
    Instant at = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(3, ChronoUnit.DAYS);
    JsonObject booked = call(owner.id(), "book_appointment", new JsonObject().put("expert_id", expert.id().toString())
        .put("scheduled_at", at.toString()).put("duration_minutes", 15).put("confirm", true));
    assertThat(booked.getBoolean("booked")).as(booked.encode()).isTrue();
    String appointment = booked.getJsonObject("appointment").getString("id");

    JsonObject deleted = call(other.id(), "delete_meal", new JsonObject().put("id", meal).put("confirm", true));
    assertThat(deleted.getString("error")).as(deleted.encode()).isNotNull();
    JsonObject cancelled = call(other.id(), "cancel_appointment", new JsonObject().put("id", appointment)
        .put("confirm", true));
    assertThat(cancelled.getString("error")).as(cancelled.encode()).isNotNull();
    assertThat(call(other.id(), "get_meals", new JsonObject()).getJsonArray("meals")).isEmpty();
    assertThat(call(other.id(), "list_appointments", new JsonObject()).getJsonArray("appointments")).isEmpty();

    assertThat(call(owner.id(), "get_meals", new JsonObject()).getJsonArray("meals")).hasSize(1);
    assertThat(call(owner.id(), "list_appointments", new JsonObject()).getJsonArray("appointments"))
        .extracting(a -> ((JsonObject) a).getString("status")).containsExactly("requested");
    JsonObject mine = call(owner.id(), "cancel_appointment", new JsonObject().put("id", appointment).put("confirm", true));
    assertThat(mine.getJsonObject("appointment").getString("status")).as(mine.encode()).isEqualTo("cancelled");
  }

  @Test
  void rememberForgetAndRecallActForTheCallerOnly() throws Exception {
    User owner = user();
    User other = user();
    Ids ids = new Ids(Clock.systemUTC(), new SecureRandom());
    ConversationStore conversations = new ConversationStore(NODE.server().pool(), ids);
    UUID said = conversations.start(owner.id(), "default").await(10, TimeUnit.SECONDS);
    conversations.append(said, new ConversationLog.Message("user", "my left knee hurts after running", false))
        .await(10, TimeUnit.SECONDS);
    ServerTool.Caller inSession = new ServerTool.Caller(owner.id(), said);
    ServerTools tools = NODE.server().serverTools();

    JsonObject note = new JsonObject().put("content", "Trains on Tuesdays");
    assertThat(call(tools, inSession, "remember", note).getString("status")).isEqualTo("confirmation_required");
    assertThat(api.get("/api/v1/memories", owner.token()).json().getJsonArray("items")).as("nothing kept").isEmpty();
    JsonObject kept = call(tools, inSession, "remember", note.copy().put("confirm", true)).getJsonObject("memory");
    assertThat(kept.getString("source_conversation_id")).as("said in the session").isEqualTo(said.toString());
    JsonObject theirs = call(tools, new ServerTool.Caller(other.id(), said), "remember",
        new JsonObject().put("content", "Likes tea").put("confirm", true)).getJsonObject("memory");
    assertThat(theirs.getString("source_conversation_id")).as("another user's conversation").isNull();

    JsonObject byId = call(other.id(), "forget", new JsonObject().put("id", kept.getString("id")).put("confirm", true));
    assertThat(byId.getString("error")).as(byId.encode()).isNotNull();
    assertThat(call(other.id(), "forget", new JsonObject().put("text", "Tuesdays").put("confirm", true))
        .getJsonArray("forgotten")).isEmpty();
    assertThat(call(other.id(), "recall", new JsonObject().put("query", "knee")).getJsonArray("messages")).isEmpty();
    assertThat(api.get("/api/v1/memories", owner.token()).json().getJsonArray("items"))
        .extracting(m -> ((JsonObject) m).getString("content")).containsExactly("Trains on Tuesdays");

    JsonObject recalled = call(owner.id(), "recall", new JsonObject().put("query", "what did I say about my knee?"));
    assertThat(recalled.getJsonArray("messages")).extracting(m -> ((JsonObject) m).getString("conversation_id"))
        .as(recalled.encode()).containsExactly(said.toString());
    assertThat(call(owner.id(), "recall", new JsonObject().put("query", "knee").put("since", "3000-01-01"))
        .getJsonArray("messages")).isEmpty();

    assertThat(call(owner.id(), "forget", new JsonObject().put("text", "tuesdays")).getString("status"))
        .isEqualTo("confirmation_required");
    assertThat(call(owner.id(), "forget", new JsonObject().put("text", "tuesdays").put("confirm", true))
        .getJsonArray("forgotten")).extracting(m -> ((JsonObject) m).getString("id")).containsExactly(kept.getString("id"));
    assertThat(api.get("/api/v1/memories", owner.token()).json().getJsonArray("items")).isEmpty();
    assertThat(api.get("/api/v1/memories", other.token()).json().getJsonArray("items"))
        .extracting(m -> ((JsonObject) m).getString("content")).containsExactly("Likes tea");
  }

  @Test
  void badArgumentsASlowToolAndAFailingToolAnswerWithAnError() throws Exception {
    User u = user();
    assertThat(call(u.id(), "no_such_tool", new JsonObject()).getString("error")).contains("no such tool");
    assertThat(call(u.id(), "get_meals", new JsonObject().put("date", "yesterday")).getString("error"))
        .contains("YYYY-MM-DD");
    ServerTool slow = new ServerTool.Defined("slow", "never answers", new JsonObject().put("type", "object"), false,
        (user, args) -> Promise.<JsonObject>promise().future());
    ServerTool broken = new ServerTool.Defined("broken", "fails", new JsonObject().put("type", "object"), false,
        (user, args) -> Future.failedFuture(new IllegalStateException("disk on fire")));
    ServerTools tools = new ServerTools(List.of(slow, broken), Duration.ofMillis(50));
    assertThat(call(tools, u.id(), "slow", new JsonObject()).getString("error")).contains("did not answer within 50 ms");
    assertThat(call(tools, u.id(), "broken", new JsonObject()).getString("error")).contains("broken failed")
        .doesNotContain("disk");
  }
}
