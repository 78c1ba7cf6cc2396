package io.parley.api.assistant.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.api.assistant.ConversationStore;
import io.parley.api.support.Api;
import io.parley.api.support.Poll;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.core.Ids;
import io.parley.core.voice.ConversationLog;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Optional embeddings (PARLEY_EMBEDDINGS_BASE_URL, here the stand-in's {@code /v1/embeddings},
 * whose vectors know that jogging is running and a kneecap a joint): memories and messages are
 * saved with vectors, and a memory or a past message in other words than the question ranks first,
 * where word matching and full-text search miss it. With the embeddings server down, remembering
 * still works (without a vector, counted) and the personal context ranks by words.
 */
class EmbeddingsTest {

  private static final String QUESTION = "How often do I go jogging?";
  private static final String RUNS = "Runs 10 km on Saturdays";

  private static StandInLlm llm;
  private static TestNode node;
  private static Api api;
  private static final Ids IDS = new Ids(Clock.systemUTC(), new SecureRandom());

  @BeforeAll
  static void start() throws Exception {
    llm = StandInLlm.start().always(StandInLlm.Reply.text("Noted."));
    node = TestNode.start(Map.of("PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_EMBEDDINGS_BASE_URL", llm.baseUrl(),
        "PARLEY_EMBEDDINGS_MODEL", "stand-in-embed"));
    api = node.api();
  }

  @AfterAll
  static void stop() throws Exception {
    TestNode.closeAll(node, llm);
  }

  private static UUID idOf(String token) {
    return UUID.fromString(api.get("/api/v1/users/me", token).json().getString("id"));
  }

  private static void remember(String token, String... contents) {
    for (String c : contents) {
      Api.Res r = api.post("/api/v1/memories", token, new JsonObject().put("content", c));
      assertThat(r.status()).as(r.body()).isEqualTo(201);
    }
  }

  /** How many of the user's memories have a vector, and of how many dimensions. */
  private static List<Integer> vectorLengths(UUID user) throws Exception {
    List<Integer> out = new ArrayList<>();
    for (Row r : node.server().pool().preparedQuery("SELECT embedding FROM memories WHERE user_id = $1")
        .execute(Tuple.of(user)).await(10, TimeUnit.SECONDS)) {
      out.add(Embeddings.read(r, "embedding") == null ? 0 : Embeddings.read(r, "embedding").length);
    }
    return out;
  }

  /** The memories the prompt of a chat completion asking {@code question} lists, in their order. */
  private static List<String> rememberedInPrompt(String token, String question) throws Exception {
    Api.Res r = api.post("/v1/chat/completions", token, new JsonObject().put("messages", new JsonArray()
        .add(new JsonObject().put("role", "user").put("content", question))));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    String system = StandInLlm.systemPrompt(llm.next());
    String section = system.substring(system.indexOf("Remembered (the user asked you to):"));
    return section.lines().skip(1).filter(l -> l.startsWith("- ")).map(l -> l.substring(2)).toList();
  }

  private static double failures() {
    for (String line : api.get("/metrics", null).body().split("\n")) {
      if (line.startsWith("parley_embeddings_failures_total ")) {
        return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("parley_embeddings_failures_total is not in /metrics");
  }

  @Test
  void aMemoryInOtherWordsThanTheQuestionRanksFirst() throws Exception {
    String token = api.newUser().getString("access_token");
    UUID user = idOf(token);
    remember(token, RUNS, "Prefers oat milk", "Works night shifts at the hospital");

    assertThat(vectorLengths(user)).as("every memory saved with its vector").containsOnly(StandInLlm.DIMENSIONS)
        .hasSize(3);
    List<Memory> byWords = new MemoryStore(node.server().pool(), IDS).ranked(user, QUESTION)
        .await(10, TimeUnit.SECONDS);
    assertThat(byWords.getFirst().content()).as("no shared word: newest first").isEqualTo(
        "Works night shifts at the hospital");

    assertThat(rememberedInPrompt(token, QUESTION)).as("by meaning").first().isEqualTo(RUNS);
    assertThat(rememberedInPrompt(token, "Any plant milk I like?")).first().isEqualTo("Prefers oat milk");
  }

  @Test
  void recallFindsAPastMessageInOtherWords() throws Exception {
    String token = api.newUser().getString("access_token");
    UUID user = idOf(token);
    OpenAiEmbeddings embeddings = new OpenAiEmbeddings(node.server().vertx(), new OpenAiEmbeddings.Settings(
        URI.create(llm.baseUrl()), Optional.empty(), "stand-in-embed"), new SimpleMeterRegistry());
    try {
      ConversationStore withVectors = new ConversationStore(node.server().pool(), IDS, embeddings);
      UUID said = withVectors.start(user, "default").await(10, TimeUnit.SECONDS);
      for (String text : List.of("My kneecap hurts on the stairs", "Did you say the gym opens at six?",
          "I had porridge for breakfast")) {
        withVectors.append(said, new ConversationLog.Message("user", text, false)).await(10, TimeUnit.SECONDS);
      }
      Poll.until(Duration.ofSeconds(10), "the messages' vectors", () -> node.server().pool()
          .preparedQuery("SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND embedding IS NOT NULL")
          .execute(Tuple.of(said)).await(10, TimeUnit.SECONDS).iterator().next().getLong("n"), n -> n == 3);

      String question = "What did I say about my joints?";
      List<ConversationStore.Recalled> fullText = new ConversationStore(node.server().pool(), IDS)
          .recall(user, question, Optional.empty(), 5).await(10, TimeUnit.SECONDS);
      assertThat(fullText).extracting(ConversationStore.Recalled::snippet).as("full text: the word say only")
          .containsExactly("Did you say the gym opens at six?");
      List<ConversationStore.Recalled> byMeaning = withVectors.recall(user, question, Optional.empty(), 2)
          .await(10, TimeUnit.SECONDS);
      assertThat(byMeaning).hasSize(2);
      assertThat(byMeaning.getFirst().snippet()).contains("kneecap");
      assertThat(byMeaning.getFirst().conversationId()).isEqualTo(said);
      JsonArray exported = api.get("/api/v1/users/me/export", token).json().getJsonArray("messages");
      assertThat(exported).hasSize(3);
      assertThat(exported.getJsonObject(0).containsKey("embedding")).as("the export carries texts, not vectors")
          .isFalse();
      String other = api.newUser().getString("access_token");
      assertThat(withVectors.recall(idOf(other), question, Optional.empty(), 5).await(10, TimeUnit.SECONDS))
          .as("another user's messages").isEmpty();
    } finally {
      embeddings.close();
    }
  }

  @Test
  void withTheEmbeddingsServerDownRememberingWorksAndTheContextRanksByWords() throws Exception {
    String token = api.newUser().getString("access_token");
    UUID user = idOf(token);
    double failedBefore = failures();
    llm.embeddingsDown(true);
    try {
      remember(token, "Knee hurts after long walks", RUNS, "Works night shifts at the hospital");
      assertThat(vectorLengths(user)).as("stored without vectors").containsExactly(0, 0, 0);
      assertThat(failures()).as("counted").isGreaterThanOrEqualTo(failedBefore + 3);
      assertThat(rememberedInPrompt(token, "Should I rest my knee today?")).as("by shared words")
          .first().isEqualTo("Knee hurts after long walks");
    } finally {
      llm.embeddingsDown(false);
    }
    assertThat(rememberedInPrompt(token, QUESTION)).as("memories without vectors rank by words, after any with one")
        .hasSize(3);
    remember(token, "Likes jazz on Sunday evenings");
    assertThat(rememberedInPrompt(token, "Should I rest my knee today?"))
        .as("a memory kept without a vector that matches by words is not lost behind unrelated ones with one")
        .first().isEqualTo("Knee hurts after long walks");
  }
}
