package io.parley.api.http;

import static io.parley.api.support.ErrorShape.assertError;
import static io.parley.api.support.ErrorShape.fields;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.Poll;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * U+0000 (NUL), which PostgreSQL cannot store in text, is refused wherever text enters, with a 400
 * (or a Realtime {@code error}) naming the field, and nothing of the request is stored. Before, the
 * same NUL gave 500 on signup and profile writes, and a typed realtime message was acknowledged and
 * then lost.
 */
class NulTextTest {

  private static final String NUL = "a\u0000b";
  private static Api api;
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.shared();
    api = node.api();
  }

  @Test
  void signupWithNulInTheNameIsRefusedAndCreatesNothing() {
    String email = "nul-" + UUID.randomUUID() + "@example.com";
    JsonObject error = assertError(api.post("/api/v1/auth/signup", null, new JsonObject().put("email", email)
        .put("password", "long-enough-password").put("name", NUL)), 400, "validation_failed");
    assertThat(fields(error)).containsExactly("/name");
    assertThat(error.getString("message")).contains("U+0000");
    assertThat(api.post("/api/v1/auth/login", null, new JsonObject().put("email", email)
        .put("password", "long-enough-password")).status()).isEqualTo(401);
  }

  @Test
  void profileUserExpertAndAppointmentTextRefuseNul() {
    String token = api.newUser().getString("access_token");
    assertThat(fields(assertError(api.put("/api/v1/users/me/profile", token, new JsonObject()
        .put("allergies", new JsonArray().add("peanuts").add(NUL))), 400, "validation_failed")))
        .containsExactly("/allergies/1");
    assertThat(fields(assertError(api.put("/api/v1/users/me/profile", token, new JsonObject().put("city", NUL)),
        400, "validation_failed"))).containsExactly("/city");
    assertThat(api.get("/api/v1/users/me", token).json().getJsonObject("profile").getValue("city")).isNull();
    assertThat(fields(assertError(api.put("/api/v1/users/me", token, new JsonObject().put("name", NUL)), 400,
        "validation_failed"))).containsExactly("/name");
    assertThat(fields(assertError(api.put("/api/v1/experts/me", token, new JsonObject()
        .put("display_name", NUL).put("specialization", "nutrition")), 400, "validation_failed")))
        .containsExactly("/display_name");
    assertThat(fields(assertError(api.post("/api/v1/appointments", token, new JsonObject()
        .put("expert_id", UUID.randomUUID().toString()).put("type", "voice").put("scheduled_at", "2030-01-01T10:00:00Z")
        .put("duration_minutes", 15).put("notes", NUL)), 400, "validation_failed"))).containsExactly("/notes");
    // A key can hold it too; and a query parameter.
    assertThat(fields(assertError(api.put("/api/v1/users/me/profile", token, new JsonObject().put(NUL, 1)), 400,
        "validation_failed"))).containsExactly("/" + NUL);
    assertThat(fields(assertError(api.get("/api/v1/foods?q=egg%00", token), 400, "validation_failed")))
        .containsExactly("/q");
  }

  @Test
  void escapedBackslashBeforeU0000IsTextAndStored() {
    String token = api.newUser().getString("access_token");
    String text = "C:\\u0000 is not a NUL";
    Api.Res put = api.put("/api/v1/users/me/profile", token, new JsonObject().put("city", text));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(api.get("/api/v1/users/me", token).json().getJsonObject("profile").getString("city")).isEqualTo(text);
  }

  @Test
  void chatCompletionsNameTheMessageInOpenAisShape() {
    String token = api.newUser().getString("access_token");
    Api.Res r = api.post("/v1/chat/completions", token, new JsonObject().put("model", "parley")
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", NUL))));
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    JsonObject error = r.json().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("validation_failed");
    assertThat(error.getString("type")).isEqualTo("invalid_request_error");
    assertThat(error.getString("param")).isEqualTo("messages[0].content");
  }

  @Test
  void aTypedRealtimeMessageWithNulGetsAnErrorAndTheOthersAreStored() throws Exception {
    String token = api.newUser().getString("access_token");
    String conversation;
    try (RealtimeClient rt = RealtimeClient.connect(node, token, "")) {
      conversation = rt.next("session.created").getJsonObject("session").getJsonObject("parley")
          .getString("conversation_id");
      for (String text : List.of("first", NUL, "third")) {
        rt.send(new JsonObject().put("type", "conversation.item.create").put("event_id", "ev-" + text.length())
            .put("item", new JsonObject().put("type", "message").put("role", "user").put("content",
                new JsonArray().add(new JsonObject().put("type", "input_text").put("text", text)))));
      }
      JsonObject error = rt.next("error").getJsonObject("error");
      assertThat(error.getString("param")).isEqualTo("item.content.0.text");
      assertThat(error.getString("event_id")).isEqualTo("ev-3");
      assertThat(error.getString("message")).contains("U+0000");
    }
    List<String> stored = Poll.until(Duration.ofSeconds(10), "two messages stored",
        () -> api.get("/api/v1/conversations/" + conversation + "/messages", token).json().getJsonArray("items")
            .stream().map(o -> ((JsonObject) o).getString("content")).toList(), l -> l.size() >= 2);
    assertThat(stored).containsExactly("first", "third");
  }
}
