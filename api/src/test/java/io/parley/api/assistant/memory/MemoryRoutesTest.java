package io.parley.api.assistant.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.core.Ids;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code /api/v1/memories}: a user sees, adds and removes what the assistant keeps about them;
 * another user's memory is a 404; memories are in the export and go with the account. And the
 * store's own operations for the assistant: forget by what a memory says, and choose the relevant.
 */
class MemoryRoutesTest {

  private final TestNode node = TestNode.shared();
  private final Api api = node.api();
  private final MemoryStore store = new MemoryStore(node.server().pool(), new Ids(Clock.systemUTC(), new SecureRandom()));

  private static JsonObject content(String text) {
    return new JsonObject().put("content", text);
  }

  private UUID idOf(String token) {
    return UUID.fromString(api.get("/api/v1/users/me", token).json().getString("id"));
  }

  @Test
  void aUserAddsListsAndRemovesTheirOwnMemoriesOnly() {
    String a = api.newUser().getString("access_token");
    String b = api.newUser().getString("access_token");

    Api.Res first = api.post("/api/v1/memories", a, content("  I train on Tuesdays  "));
    assertThat(first.status()).as(first.body()).isEqualTo(201);
    assertThat(first.json().getString("content")).isEqualTo("I train on Tuesdays");
    assertThat(first.json().getValue("source_conversation_id")).isNull();
    String trains = first.json().getString("id");
    Api.Res again = api.post("/api/v1/memories", a, content("i train on tuesdays"));
    assertThat(again.json().getString("id")).as("the same words are kept once").isEqualTo(trains);
    String knee = api.post("/api/v1/memories", a, content("My left knee hurts after long runs")).json().getString("id");

    assertThat(api.post("/api/v1/memories", a, content("x".repeat(501))).status()).isEqualTo(400);
    assertThat(api.post("/api/v1/memories", a, content("   ")).status()).isEqualTo(400);
    assertThat(api.post("/api/v1/memories", a, new JsonObject()).status()).isEqualTo(400);
    assertThat(api.get("/api/v1/memories", null).status()).isEqualTo(401);

    JsonArray items = api.get("/api/v1/memories", a).json().getJsonArray("items");
    assertThat(items.stream().map(o -> ((JsonObject) o).getString("id")).toList())
        .as("newest first").containsExactly(knee, trains);
    assertThat(api.get("/api/v1/memories", b).json().getJsonArray("items")).isEmpty();

    assertThat(api.delete("/api/v1/memories/" + knee, b).status()).as("another user's memory").isEqualTo(404);
    assertThat(api.delete("/api/v1/memories/" + UUID.randomUUID(), a).status()).isEqualTo(404);
    assertThat(api.delete("/api/v1/memories/not-a-uuid", a).status()).isEqualTo(400);
    assertThat(api.delete("/api/v1/memories/" + knee, a).status()).isEqualTo(204);
    assertThat(api.delete("/api/v1/memories/" + knee, a).status()).isEqualTo(404);
    assertThat(api.get("/api/v1/memories", a).json().getJsonArray("items")).hasSize(1);
  }

  @Test
  void memoriesAreExportedAndGoWithTheAccount() throws Exception {
    String a = api.newUser().getString("access_token");
    String b = api.newUser().getString("access_token");
    UUID aId = idOf(a);
    api.post("/api/v1/memories", a, content("Prefers oat milk"));
    api.post("/api/v1/memories", b, content("Plays tennis on Sundays"));

    JsonArray exported = api.get("/api/v1/users/me/export", a).json().getJsonArray("memories");
    assertThat(exported).hasSize(1);
    assertThat(exported.getJsonObject(0).getString("content")).isEqualTo("Prefers oat milk");
    assertThat(api.get("/api/v1/users/me/export", a).body()).doesNotContain("tennis");

    assertThat(api.delete("/api/v1/users/me", a).status()).isEqualTo(204);
    long left = node.server().pool().preparedQuery("SELECT count(*) AS n FROM memories WHERE user_id = $1")
        .execute(Tuple.of(aId)).await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
    assertThat(left).isZero();
    assertThat(api.get("/api/v1/memories", b).json().getJsonArray("items")).hasSize(1);
  }

  @Test
  void theAssistantForgetsByWhatAMemorySaysAndChoosesTheRelevantWithinABudget() throws Exception {
    String a = api.newUser().getString("access_token");
    String b = api.newUser().getString("access_token");
    UUID aId = idOf(a);
    UUID bId = idOf(b);
    store.remember(aId, "Trains on Tuesdays and Thursdays", null).await(10, TimeUnit.SECONDS);
    store.remember(aId, "Left knee hurts after running", null).await(10, TimeUnit.SECONDS);
    store.remember(aId, "Likes spicy food", null).await(10, TimeUnit.SECONDS);
    store.remember(bId, "Knee surgery in 2020", null).await(10, TimeUnit.SECONDS);

    List<Memory> relevant = store.relevant(aId, "what about my knees?", 400).await(10, TimeUnit.SECONDS);
    assertThat(relevant).extracting(Memory::content).as("sharing words first, then newest; never b's")
        .containsExactly("Left knee hurts after running", "Likes spicy food", "Trains on Tuesdays and Thursdays");
    assertThat(store.relevant(aId, "knee", 10).await(10, TimeUnit.SECONDS)).extracting(Memory::content)
        .as("10 tokens: about 40 characters").containsExactly("Left knee hurts after running");

    assertThat(store.forgetMatching(aId, "KNEE").await(10, TimeUnit.SECONDS)).extracting(Memory::content)
        .containsExactly("Left knee hurts after running");
    assertThat(store.forgetMatching(aId, "%").await(10, TimeUnit.SECONDS)).as("no wildcard").isEmpty();
    assertThat(store.list(aId, 10).await(10, TimeUnit.SECONDS)).hasSize(2);
    assertThat(store.list(bId, 10).await(10, TimeUnit.SECONDS)).extracting(Memory::content)
        .containsExactly("Knee surgery in 2020");
  }
}
