package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.inference.llm.Personality;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code response.create}'s own settings on a real node, the stand-in model recording each
 * request: its instructions (under the ground rules and the session's) and token limit reach that
 * answer's request only, its metadata comes back in its response.created and response.done, its
 * output modality shapes that answer's events, and the fields Parley cannot honour are each refused
 * by an error naming them while the answer is still made; a malformed field makes none.
 */
class RealtimeResponseCreateTest {

  private static StandInLlm llm;
  private static TestNode node;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    llm = StandInLlm.start().always(StandInLlm.Reply.text("Bananas are yellow."));
    node = TestNode.start(Map.of("PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in"));
    api = node.api();
  }

  @AfterAll
  static void stop() throws Exception {
    TestNode.closeAll(node, llm);
  }

  private static RealtimeClient textSession() throws Exception {
    RealtimeClient c = RealtimeClient.connect(node, api.newUser().getString("access_token"), "");
    c.next("session.created");
    c.send(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("instructions", "Mention fruit.").put("output_modalities", new JsonArray().add("text"))));
    c.next("session.updated");
    c.send(new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject()
        .put("type", "message").put("role", "user").put("content", new JsonArray().add(new JsonObject()
            .put("type", "input_text").put("text", "What is yellow?")))));
    c.next("conversation.item.done");
    return c;
  }

  private static JsonObject responseCreate(JsonObject response) {
    return new JsonObject().put("type", "response.create").put("event_id", "evt_rc").put("response", response);
  }

  @Test
  void instructionsAndTokenLimitReachThatAnswersRequestOnlyAndItsMetadataComesBack() throws Exception {
    try (RealtimeClient c = textSession()) {
      JsonObject metadata = new JsonObject().put("topic", "fruit").put("turn", "1");
      c.send(responseCreate(new JsonObject().put("instructions", "Answer in one word.")
          .put("max_output_tokens", 12).put("metadata", metadata)));
      assertThat(c.next("response.created").getJsonObject("response").getJsonObject("metadata")).isEqualTo(metadata);
      JsonObject done = c.next("response.done").getJsonObject("response");
      assertThat(done.getString("status")).isEqualTo("completed");
      assertThat(done.getJsonObject("metadata")).isEqualTo(metadata);
      JsonObject asked = llm.next();
      String system = StandInLlm.systemPrompt(asked);
      assertThat(system).startsWith(Personality.GROUND_RULES).contains("Mention fruit.");
      assertThat(system.indexOf("Answer in one word.")).as("under the session's instructions")
          .isGreaterThan(system.indexOf("Mention fruit."));
      assertThat(asked.getInteger("max_tokens")).isEqualTo(12);

      // The next answer is the session's again: no extra instructions, its token limit, no metadata.
      c.send(new JsonObject().put("type", "response.create"));
      assertThat(c.next("response.created").getJsonObject("response").containsKey("metadata")).isFalse();
      assertThat(c.next("response.done").getJsonObject("response").containsKey("metadata")).isFalse();
      JsonObject plain = llm.next();
      assertThat(StandInLlm.systemPrompt(plain)).contains("Mention fruit.").doesNotContain("one word");
      assertThat(plain.getInteger("max_tokens")).isNotEqualTo(12);
    }
  }

  @Test
  void aTextResponseInAnAudioSessionIsSentAsText() throws Exception {
    try (RealtimeClient c = RealtimeClient.connect(node, api.newUser().getString("access_token"), "")) {
      assertThat(c.next("session.created").getJsonObject("session").getJsonArray("output_modalities"))
          .containsExactly("audio");
      c.send(new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject()
          .put("type", "message").put("role", "user").put("content", new JsonArray().add(new JsonObject()
              .put("type", "input_text").put("text", "What is yellow?")))));
      c.next("conversation.item.done");
      c.send(responseCreate(new JsonObject().put("output_modalities", new JsonArray().add("text"))));
      List<String> types = new ArrayList<>();
      JsonObject e;
      do {
        e = c.poll(Duration.ofSeconds(10));
        assertThat(e).as("response.done after " + types).isNotNull();
        types.add(e.getString("type"));
      } while (!e.getString("type").equals("response.done"));
      assertThat(types).contains("response.output_text.delta", "response.output_text.done")
          .noneMatch(t -> t.startsWith("response.output_audio"));
      assertThat(e.getJsonObject("response").getJsonArray("output").getJsonObject(0).getJsonArray("content")
          .getJsonObject(0).getMap()).containsEntry("type", "output_text").containsEntry("text", "Bananas are yellow.");
      String system = StandInLlm.systemPrompt(llm.next());
      assertThat(system).as("a text answer is not told it is spoken").doesNotContain(Personality.SPOKEN);
    }
  }

  @Test
  void anOutOfBandAnswerReadsTheConversationButIsNotAddedToIt() throws Exception {
    try (RealtimeClient c = textSession()) {
      llm.then(StandInLlm.Reply.text("Topic: fruit."));
      c.send(responseCreate(new JsonObject().put("conversation", "none").put("instructions", "Name the topic.")
          .put("metadata", new JsonObject().put("purpose", "classify"))));
      JsonObject done = c.nextOrDone("response.done", "error").getJsonObject("response");
      assertThat(done.getString("status")).isEqualTo("completed");
      assertThat(done.getJsonObject("metadata").getString("purpose")).isEqualTo("classify");
      assertThat(llm.next().getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("content")))
          .as("it reads the conversation").contains("What is yellow?");

      c.send(new JsonObject().put("type", "response.create"));
      c.next("response.done");
      assertThat(llm.next().getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("content")))
          .as("the next answer does not see it").contains("What is yellow?").doesNotContain("Topic: fruit.");
    }
  }

  @Test
  void anAnswersOwnInputIsWhatItReads() throws Exception {
    try (RealtimeClient c = textSession()) {
      c.send(new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject().put("id", "item_cat")
          .put("type", "message").put("role", "user").put("content", new JsonArray().add(new JsonObject()
              .put("type", "input_text").put("text", "My cat is called Tom.")))));
      c.next("conversation.item.done");
      JsonObject system = new JsonObject().put("type", "message").put("role", "system").put("content",
          new JsonArray().add(new JsonObject().put("type", "input_text").put("text", "Name the pet.")));
      c.send(responseCreate(new JsonObject().put("conversation", "none").put("input", new JsonArray().add(system)
          .add(new JsonObject().put("type", "item_reference").put("id", "item_unknown")))));
      JsonObject error = c.next("error").getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("invalid_value");
      assertThat(error.getString("param")).isEqualTo("response.input[1].id");

      c.send(responseCreate(new JsonObject().put("conversation", "none").put("input", new JsonArray().add(system)
          .add(new JsonObject().put("type", "item_reference").put("id", "item_cat")))));
      assertThat(c.nextOrDone("response.done", "error").getJsonObject("response").getString("status"))
          .isEqualTo("completed");
      List<String> prompt = llm.next().getJsonArray("messages").stream().map(o -> (JsonObject) o)
          .map(m -> m.getString("role") + ": " + m.getString("content")).toList();
      assertThat(prompt.subList(1, prompt.size())).as("that context alone, under the ground rules")
          .containsExactly("system: Name the pet.", "user: My cat is called Tom.");
    }
  }

  @Test
  void fieldsParleyCannotHonourAreEachRefusedByNameAndTheAnswerIsStillMade() throws Exception {
    try (RealtimeClient c = textSession()) {
      c.send(responseCreate(new JsonObject().put("conversation", "conv_other").put("input", new JsonArray()
              .add(new JsonObject().put("type", "function_call_output").put("call_id", "c").put("output", "{}")))
          .put("prompt", new JsonObject().put("id", "pmpt_1")).put("instructions", "Answer in one word.")));
      List<String> refused = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        JsonObject error = c.next("error").getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("unsupported_value");
        assertThat(error.getString("event_id")).isEqualTo("evt_rc");
        refused.add(error.getString("param"));
      }
      assertThat(refused).containsExactlyInAnyOrder("response.conversation", "response.input[0].type",
          "response.prompt");
      assertThat(c.next("response.done").getJsonObject("response").getString("status")).isEqualTo("completed");
      assertThat(StandInLlm.systemPrompt(llm.next())).as("the rest applied").contains("Answer in one word.");
    }
  }

  @Test
  void aMalformedOrUnknownFieldMakesNoAnswer() throws Exception {
    try (RealtimeClient c = textSession()) {
      c.send(responseCreate(new JsonObject().put("max_output_tokens", 0)));
      JsonObject error = c.next("error").getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("invalid_value");
      assertThat(error.getString("param")).isEqualTo("response.max_output_tokens");
      c.send(responseCreate(new JsonObject().put("temperature", 0.2)));
      error = c.next("error").getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("unknown_parameter");
      assertThat(error.getString("param")).isEqualTo("response.temperature");
      c.send(responseCreate(new JsonObject().put("metadata", new JsonObject().put("n", 2))));
      assertThat(c.next("error").getJsonObject("error").getString("param")).isEqualTo("response.metadata");

      // The first response created after them is this one: none of the refused made an answer.
      JsonObject metadata = new JsonObject().put("n", "4");
      c.send(responseCreate(new JsonObject().put("metadata", metadata)));
      assertThat(c.nextOrDone("response.created", "response.done").getJsonObject("response")
          .getJsonObject("metadata")).isEqualTo(metadata);
      c.next("response.done");
      assertThat(llm.next().getInteger("max_tokens")).as("the session's limit").isPositive();
    }
  }
}
