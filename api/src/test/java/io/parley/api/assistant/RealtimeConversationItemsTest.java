package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.Speech;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.inference.stt.TinyWhisperModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a client does to the conversation's items reaches what the model sees (the stand-in model
 * records each prompt) and the stored conversation, on a real node: a deleted message is in
 * neither; an answer truncated after it played out is kept, retrieved and answered from as far as
 * it was heard; and with {@code interrupt_response} off, a spoken turn (espeak-ng speech, whisper.cpp
 * on a tiny random-weight model) that ends while an answer plays is committed, transcribed and
 * answered after it, with no error.
 */
class RealtimeConversationItemsTest {

  private static final String STORY = "Once upon a time there was a banana that wanted to see the sea. ";

  private static Path dir;
  private static StandInLlm llm;
  private static TestNode node;
  private static Api api;
  private static byte[] speech;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-realtime-items-");
    llm = StandInLlm.start().always(RealtimeConversationItemsTest::answer);
    try (AudioInputStream in = AudioSystem.getAudioInputStream(Speech.wav(
        "Hello there. How many calories are in a banana?", 24_000, dir, "question").toFile())) {
      speech = in.readAllBytes(); // PCM16 little-endian mono, 24 kHz
    }
    node = TestNode.start(Map.of("PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in",
        "PARLEY_WHISPER_MODEL", TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin")).toString()));
    api = node.api();
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

  /** The stand-in model: a story of some seconds when asked for one, else a short answer. */
  private static StandInLlm.Answer answer(JsonObject body) {
    JsonArray messages = body.getJsonArray("messages");
    String last = String.valueOf(messages.getJsonObject(messages.size() - 1).getValue("content"));
    if (last.contains("long story")) {
      return new StandInLlm.Answer(STORY.repeat(4), List.of());
    }
    if (last.contains("story")) {
      return new StandInLlm.Answer("Bananas are yellow and sweet. They grow in warm places all over the world. "
          + "People eat them every day.", List.of());
    }
    return new StandInLlm.Answer("Fine.", List.of());
  }

  private static JsonObject message(String id, String text) {
    return message(id, "user", "input_text", text);
  }

  private static JsonObject message(String id, String role, String partType, String text) {
    return new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject().put("id", id)
        .put("type", "message").put("role", role).put("content", new JsonArray().add(new JsonObject()
            .put("type", partType).put("text", text))));
  }

  /** The messages of the next request the model gets, as "role: content". */
  private static List<String> nextPrompt() throws InterruptedException {
    return llm.next().getJsonArray("messages").stream().map(o -> (JsonObject) o)
        .map(m -> m.getString("role") + ": " + m.getValue("content")).toList();
  }

  /** The session.created of {@code c}, once its session answers in text with {@code instructions} (or none). */
  private static JsonObject textSession(RealtimeClient c, String instructions) throws Exception {
    JsonObject created = c.next("session.created");
    c.send(new JsonObject().put("type", "session.update").put("session", new JsonObject()
        .put("instructions", instructions).put("output_modalities", new JsonArray().add("text"))));
    c.next("session.updated");
    return created;
  }

  /** The stored messages of this session's conversation. */
  private static List<JsonObject> stored(String token, JsonObject created) {
    String conversation = created.getJsonObject("session").getJsonObject("parley").getString("conversation_id");
    Api.Res r = api.get("/api/v1/conversations/" + conversation + "/messages", token);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("items").stream().map(o -> (JsonObject) o).toList();
  }

  @Test
  void aDeletedMessageLeavesTheModelsContextAndTheStoredConversation() throws Exception {
    String token = api.newUser().getString("access_token");
    try (RealtimeClient c = RealtimeClient.connect(node, token, "")) {
      JsonObject created = textSession(c, null);
      c.send(message("item_cat", "My cat is called Tom."));
      c.next("conversation.item.done");
      c.send(message("item_sky", "What colour is the sky?"));
      c.next("conversation.item.done");
      c.send(new JsonObject().put("type", "conversation.item.delete").put("item_id", "item_cat"));
      assertThat(c.next("conversation.item.deleted").getString("item_id")).isEqualTo("item_cat");
      c.send(new JsonObject().put("type", "response.create"));
      assertThat(c.next("response.done").getJsonObject("response").getString("status")).isEqualTo("completed");

      assertThat(nextPrompt()).contains("user: What colour is the sky?").noneMatch(m -> m.contains("Tom"));
      assertThat(stored(token, created)).extracting(m -> m.getString("content"))
          .containsExactly("What colour is the sky?", "Fine.");
    }
  }

  @Test
  void systemAndAssistantItemsJoinTheModelsContextInOrderAndTheStoredConversation() throws Exception {
    String token = api.newUser().getString("access_token");
    try (RealtimeClient c = RealtimeClient.connect(node, token, "")) {
      JsonObject created = textSession(c, "Mention fruit.");
      c.send(message("item_sys", "system", "input_text", "Call the user Sam."));
      JsonObject system = c.next("conversation.item.added");
      assertThat(system.getValue("previous_item_id")).isNull();
      assertThat(system.getJsonObject("item").getString("role")).isEqualTo("system");
      assertThat(c.next("conversation.item.done").getJsonObject("item")).isEqualTo(system.getJsonObject("item"));
      c.send(message("item_q", "What fruit is yellow?").put("previous_item_id", "item_sys"));
      assertThat(c.next("conversation.item.added").getString("previous_item_id")).isEqualTo("item_sys");
      c.next("conversation.item.done");
      c.send(message("item_a", "assistant", "text", "A banana."));
      JsonObject assistant = c.next("conversation.item.done");
      assertThat(assistant.getString("previous_item_id")).isEqualTo("item_q");
      assertThat(assistant.getJsonObject("item").getJsonArray("content").getJsonObject(0).getMap())
          .as("shown as GA names it").containsEntry("type", "output_text").containsEntry("text", "A banana.");

      // A place other than the end is refused naming the field; nothing is added.
      c.send(message("item_x", "Misplaced.").put("previous_item_id", "item_sys").put("event_id", "evt_x"));
      JsonObject refused = c.next("error").getJsonObject("error");
      assertThat(refused.getString("code")).isEqualTo("unsupported_value");
      assertThat(refused.getString("param")).isEqualTo("previous_item_id");
      assertThat(refused.getString("event_id")).isEqualTo("evt_x");
      c.send(message("item_q2", "And which is red?").put("previous_item_id", "item_a"));
      c.next("conversation.item.done");
      c.send(new JsonObject().put("type", "conversation.item.retrieve").put("item_id", "item_a"));
      assertThat(c.next("conversation.item.retrieved").getJsonObject("item").getString("role")).isEqualTo("assistant");
      c.send(new JsonObject().put("type", "response.create"));
      assertThat(c.next("response.done").getJsonObject("response").getString("status")).isEqualTo("completed");

      List<String> prompt = nextPrompt();
      assertThat(prompt.get(0)).as("the ground rules and the session's instructions stay first")
          .startsWith("system: " + io.parley.inference.llm.Personality.GROUND_RULES).contains("Mention fruit.")
          .doesNotContain("Sam");
      assertThat(prompt).containsSubsequence("system: Call the user Sam.", "user: What fruit is yellow?",
          "assistant: A banana.", "user: And which is red?").noneMatch(m -> m.contains("Misplaced"));
      assertThat(stored(token, created)).extracting(m -> m.getString("role") + ": " + m.getString("content"))
          .containsExactly("system: Call the user Sam.", "user: What fruit is yellow?", "assistant: A banana.",
              "user: And which is red?", "assistant: Fine.");
    }
  }

  @Test
  void onceTheLastItemIsDeletedTheOneBeforeItIsLastAgain() throws Exception {
    String token = api.newUser().getString("access_token");
    try (RealtimeClient c = RealtimeClient.connect(node, token, "")) {
      c.next("session.created");
      c.send(message("item_one", "One."));
      c.next("conversation.item.done");
      c.send(message("item_two", "Two."));
      c.next("conversation.item.done");
      c.send(new JsonObject().put("type", "conversation.item.delete").put("item_id", "item_two"));
      c.next("conversation.item.deleted");
      c.send(message("item_three", "Three.").put("previous_item_id", "item_one"));
      JsonObject added = c.nextOrDone("conversation.item.added", "error");
      assertThat(added).as("appended after the item now last, no error").isNotNull();
      assertThat(added.getString("previous_item_id")).isEqualTo("item_one");
    }
  }

  @Test
  void anAnswerTruncatedAfterItPlayedOutIsKeptRetrievedAndAnsweredFromAsHeard() throws Exception {
    String token = api.newUser().getString("access_token");
    try (RealtimeClient c = RealtimeClient.connect(node, token, "")) {
      JsonObject created = c.next("session.created");
      c.say("Tell me a story about bananas.");
      JsonObject done = c.next("response.done", Duration.ofSeconds(30)).getJsonObject("response");
      assertThat(done.getString("status")).isEqualTo("completed");
      JsonObject item = done.getJsonArray("output").getJsonObject(0);
      String whole = item.getJsonArray("content").getJsonObject(0).getString("transcript");
      assertThat(nextPrompt()).isNotEmpty(); // the story's request, read

      // The client played 1.5 s of an answer of several seconds, then stopped it.
      c.send(new JsonObject().put("type", "conversation.item.truncate").put("item_id", item.getString("id"))
          .put("content_index", 0).put("audio_end_ms", 1_500));
      assertThat(c.next("conversation.item.truncated").getLong("audio_end_ms")).isEqualTo(1_500L);
      c.send(new JsonObject().put("type", "conversation.item.retrieve").put("item_id", item.getString("id")));
      String heard = c.next("conversation.item.retrieved").getJsonObject("item").getJsonArray("content")
          .getJsonObject(0).getString("transcript");
      assertThat(heard).as("what 1.5 s of speech says of: " + whole).isNotEmpty().isNotEqualTo(whole);
      assertThat(whole).startsWith(heard);

      c.say("Go on.");
      c.next("response.done", Duration.ofSeconds(30));
      assertThat(nextPrompt()).as("the model's context holds only what was heard")
          .contains("assistant: " + heard).noneMatch(m -> m.contains("every day"));
      assertThat(stored(token, created)).filteredOn(m -> m.getString("content").equals(heard)).singleElement()
          .satisfies(m -> assertThat(m.getBoolean("truncated")).isTrue());
    }
  }

  @Test
  void withoutInterruptResponseATurnThatEndsDuringAnAnswerIsAnsweredAfterIt() throws Exception {
    String token = api.newUser().getString("access_token");
    try (RealtimeClient c = RealtimeClient.connect(node, token, "")) {
      c.next("session.created");
      c.send(new JsonObject().put("type", "session.update").put("session", new JsonObject().put("audio",
          new JsonObject().put("input", new JsonObject().put("turn_detection", new JsonObject()
              .put("type", "server_vad").put("create_response", true).put("interrupt_response", false))))));
      c.next("session.updated");
      c.say("Tell me a long story.");
      String story = c.next("response.created").getJsonObject("response").getString("id");
      c.next("response.output_audio.delta", Duration.ofSeconds(30));

      // The user speaks while the story plays: a turn that begins and ends during it.
      byte[] silence = new byte[24_000 * 2];
      for (byte[] audio : List.of(speech, silence, silence)) {
        for (int at = 0; at < audio.length; at += 9_600) {
          c.send(new JsonObject().put("type", "input_audio_buffer.append").put("audio", Base64.getEncoder()
              .encodeToString(java.util.Arrays.copyOfRange(audio, at, Math.min(audio.length, at + 9_600)))));
        }
      }
      JsonObject transcribed = c.nextOrDone("conversation.item.input_audio_transcription.completed", "error",
          Duration.ofSeconds(60));
      assertThat(transcribed).as("the turn transcribed, no error before").isNotNull();

      // The story plays out; then the turn is answered. Nothing on the way is an error.
      JsonObject first = c.nextOrDone("response.done", "error", Duration.ofSeconds(60));
      assertThat(first).as("the story's response.done, no error before it").isNotNull();
      assertThat(first.getJsonObject("response").getString("id")).isEqualTo(story);
      assertThat(first.getJsonObject("response").getString("status")).as("not cut").isEqualTo("completed");
      JsonObject nextCreated = c.nextOrDone("response.created", "error", Duration.ofSeconds(30));
      assertThat(nextCreated).as("the waiting turn's answer starts, no error").isNotNull();
      String next = nextCreated.getJsonObject("response").getString("id");
      assertThat(next).isNotEqualTo(story);
      JsonObject answered = c.nextOrDone("response.done", "error", Duration.ofSeconds(30));
      assertThat(answered).as("the waiting turn's answer, no error").isNotNull();
      assertThat(answered.getJsonObject("response").getString("id")).isEqualTo(next);
      assertThat(answered.getJsonObject("response").getString("status")).isEqualTo("completed");
      nextPrompt(); // the story's request
      assertThat(nextPrompt()).as("the waiting turn's answer reads the turn")
          .contains("user: " + transcribed.getString("transcript"));
    }
  }
}
