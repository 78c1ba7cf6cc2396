package io.parley.api.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import io.parley.api.support.NodeScript;
import io.parley.api.support.SpeechWav;
import io.parley.api.support.TestNode;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.vision.Photos;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web client served at {@code /}, used the way a person uses it ({@code api/src/test/js/web-client.mjs}):
 * Debian's Chromium driven by playwright-core, a fake microphone playing an espeak-ng WAV. One node
 * with every real engine (tiny random-weight Whisper and chat models, FreeTTS, NanoDet-m) and a
 * one-minute call limit; the script signs up, has a voice turn and a barge-in, searches a food, logs
 * a typed meal after its preview and corrects it, checks a meal photo's foods before logging them,
 * and makes a relay-only call between two browsers that the server ends at its limit.
 * Screenshots of each page land in {@code api/target/screenshots} (the README shows copies from
 * {@code docs/screenshots}).
 */
class WebClientTest {

  /** Speech, then a pause long enough to end the turn: the loop starts talking again mid-answer. */
  private static final String SPEECH = "Hello Parley. What should I eat before a long run tomorrow morning?";
  private static final int CALL_LIMIT_SECONDS = 60;

  @TempDir
  Path dir;

  @Test
  void everyPageWorksInARealBrowser() throws Exception {
    Path chromium = NodeScript.requireCommand("chromium", "chromium");
    NodeScript.requirePackages("playwright-core");
    // The pause ends the turn; the loop then talks over the answer. 3 s, not 1.2: on a loaded machine
    // the answer's first audio came after the loop had started again, so every answer was cut before
    // its first chunk (a clean-clone run: 10 answers, no audio).
    Path wav = SpeechWav.write(dir, SPEECH, 3.0);
    Path whisper = TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    Path llama = TinyGguf.write(dir.resolve("tiny-llama.gguf"));
    Path shots = NodeScript.repositoryRoot().resolve("api/target/screenshots");

    try (TestNode node = TestNode.start(Map.ofEntries(
        Map.entry("PARLEY_WHISPER_MODEL", whisper.toString()),
        Map.entry("PARLEY_LLAMA_MODEL", llama.toString()),
        Map.entry("PARLEY_LLM_MAX_TOKENS", "48"),
        Map.entry("PARLEY_VOICE_BARGE_IN_MS", "250"),
        Map.entry("PARLEY_VISION_ENABLED", "true"),
        Map.entry("PARLEY_VISION_SCORE_THRESHOLD", "0.2"), // the fruit in the meal photo scores 0.2..0.35
        Map.entry("PARLEY_RATE_LIMIT_VISION_PER_MINUTE", "1000"),
        Map.entry("PARLEY_TURN_ALLOW_PEERS", "127.0.0.0/8"), // the browsers' relayed addresses are loopback
        Map.entry("PARLEY_CALL_LIMIT", String.valueOf(CALL_LIMIT_SECONDS)),
        Map.entry("PARLEY_ACCESS_TOKEN_TTL", "30"))); // the page must refresh its token during the run
         NodeScript script = NodeScript.start(Path.of("api/src/test/js/web-client.mjs"), List.of(
             "--base", node.baseUrl(), "--wav", wav.toString(),
             "--photo", Photos.darknet("dog.jpg").toString(), "--meal", Photos.opencv("fruits.jpg").toString(),
             "--shots", shots.toString(), "--profiles", dir.resolve("profiles").toString(),
             "--chromium", chromium.toString()), Map.of())) {
      String line = script.nextLine(Duration.ofMinutes(5));
      int exit = script.await(Duration.ofSeconds(30));
      if (line == null) {
        fail("web-client.mjs printed no result (exit " + exit + "):\n" + script.stderr());
      }
      JsonObject r = new JsonObject(line);
      assertThat(r.getJsonArray("failures", new JsonArray()).getList()).as(script.stderr()).isEmpty();
      assertThat(r.getBoolean("ok")).isTrue();
      assertThat(exit).isZero();

      // Signed up through the page; every control has an accessible name.
      assertThat(r.getBoolean("signedUp")).isTrue();
      assertThat(r.getJsonArray("unlabelled").getList()).isEmpty();
      // Access tokens lived 30 s: the page refreshed them (rotating refresh tokens) and stayed signed in.
      assertThat(r.getInteger("refreshes")).isGreaterThanOrEqualTo(2);
      // The assistant heard speech, answered with audio, and stopped at the barge-in; the server
      // acknowledged the truncate and the page marked the answer as cut.
      assertThat(r.getInteger("speechStarted")).isGreaterThanOrEqualTo(1);
      assertThat(r.getInteger("audioChunks")).isGreaterThanOrEqualTo(3);
      assertThat(r.getLong("audioBytes")).isGreaterThan(24_000L); // over half a second of 24 kHz PCM16
      assertThat(r.getInteger("bargeIns")).isGreaterThanOrEqualTo(1);
      assertThat(r.getInteger("truncated")).isGreaterThanOrEqualTo(1);
      assertThat(r.getInteger("cutAnswers")).isGreaterThanOrEqualTo(1);
      assertMeals(r);
      // The call: relay-only, connected, ended by the server at the limit for both, with the 30 s
      // warning on the way and the stored summary on the ended screen.
      assertThat(r.getBoolean("relayOnly")).isTrue();
      assertThat(r.getString("userEnded")).isEqualTo("time_limit");
      assertThat(r.getString("expertEnded")).isEqualTo("time_limit");
      assertThat(r.getJsonArray("warnings").getList()).contains(30);
      JsonObject summary = r.getJsonObject("summary");
      assertThat(summary.getString("end_reason")).isEqualTo("time_limit");
      assertThat(summary.getLong("duration_seconds")).isEqualTo((long) CALL_LIMIT_SECONDS);
      for (String page : List.of("login", "assistant", "foods", "meal-preview", "meal-edit", "meal-log", "photos",
          "meal-photo-confirm", "appointments", "call", "call-ended")) {
        assertThat(shots.resolve(page + ".png")).as("screenshot of " + page).isNotEmptyFile();
      }
    }
  }

  /** What the meal steps of web-client.mjs saw. */
  private static void assertMeals(JsonObject r) {
    // A food searched: the raw banana, its energy per 100 g and its portions.
    assertThat(r.getString("foodFound")).isEqualTo("Bananas, raw");
    assertThat(r.getString("foodShown")).contains("89 kcal per 100 g", "medium");
    // A typed meal: the part it cannot read, and why, before anything is logged; editing the text
    // takes the stale preview's log button away.
    assertThat(r.getString("unresolvedShown")).contains("a bowl of xyzzy", "no food in the table matches");
    assertThat(r.getBoolean("staleLogHidden")).isTrue();
    assertThat(r.getInteger("previewItems")).isEqualTo(2);
    assertThat(r.getInteger("previewUnresolved")).isZero();
    assertThat(r.getString("previewShown")).contains("Egg, whole, raw, fresh", "2 × medium (88 g)", "126 kcal",
        "slice (25 g)", "Total: 202 kcal").doesNotContain("null");
    assertThat(r.getInteger("mealsBeforeLog")).isZero();
    assertThat(r.getInteger("mealsLogged")).isEqualTo(1);
    assertThat(r.getDouble("textMealKcal")).isCloseTo(202.3, within(0.1));
    assertThat(r.getString("textMealShown")).isEqualTo("202 kcal");
    assertThat(r.getInteger("dayHeadings")).isEqualTo(1);
    // Corrected: three eggs, not two. The editor's total follows as you type; the server's after
    // the PATCH is one medium egg (44 g of 143 kcal per 100 g) more.
    assertThat(r.getString("editorTotal")).startsWith("Total: 157 g · 265 kcal");
    assertThat(r.getInteger("alternativesShown")).isPositive();
    assertThat(r.getJsonArray("unlabelledMeals").getList()).isEmpty();
    assertThat(r.getBoolean("pickerClosed")).isTrue();
    assertThat(r.getDouble("correctedKcal") - r.getDouble("textMealKcal")).isCloseTo(62.9, within(0.2));
    assertThat(r.getString("correctedShown")).isEqualTo("265 kcal");
    assertThat(r.getString("correctedEggs")).contains("3 × medium (132 g)");
    // Photos: boxes over the dog photo.
    assertThat(r.getInteger("boxes")).isPositive();
    assertThat(r.getInteger("boxElements")).isEqualTo(r.getInteger("boxes"));
    assertThat(r.getJsonArray("labels").getList()).contains("dog");
    // The meal photo's foods, shown for checking and not logged until confirmed: one removed, the
    // first swapped for an apple through a search and given in grams, a banana added.
    int found = r.getInteger("photoItems");
    assertThat(found).isPositive();
    assertThat(r.getInteger("photoRows")).isEqualTo(found);
    assertThat(r.getInteger("mealsAfterAnalysis")).isEqualTo(1);
    assertThat(r.getInteger("confirmedRows")).isEqualTo(found);
    JsonObject confirmed = r.getJsonObject("photoMeal");
    assertThat(confirmed.getString("source")).isEqualTo("items");
    JsonArray items = confirmed.getJsonArray("items");
    assertThat(items).hasSize(found);
    assertThat(items.getJsonObject(0).getString("description")).isEqualTo("Apples, raw, with skin");
    assertThat(items.getJsonObject(0).getDouble("grams")).isEqualTo(150.0);
    assertThat(items.getJsonObject(found - 1).getString("description")).isEqualTo("Bananas, raw");
    assertThat(r.getInteger("mealsAfterPhoto")).isEqualTo(2);
    // The same photo logged as detected with the photo kept: a photo meal with every food found.
    assertThat(r.getJsonObject("keptPhotoMeal").getString("source")).isEqualTo("photo");
    assertThat(r.getJsonObject("keptPhotoMeal").getJsonArray("items")).hasSize(found);
    assertThat(r.getInteger("mealsAfterKept")).isEqualTo(3);
    assertThat(r.getInteger("mealsAfterDelete")).isZero();
  }

  @Test
  void withoutASpeechModelThePageSaysWhichSettingIsMissing() throws Exception {
    String message = noModelMessage(Map.of(), "PARLEY_WHISPER_MODEL"); // voice on, but no Whisper model configured
    // Which model is missing and the one command that fetches it (the node's PARLEY_MODELS has none).
    assertThat(message).contains("no speech model", "whisper/ggml-base-q5_1.bin",
        "./parley models --whisper base-q5_1", "PARLEY_WHISPER_MODEL");
  }

  @Test
  void withoutAChatModelThePageSaysWhichSettingIsMissing() throws Exception {
    // Speech is heard and transcribed; the answer is what cannot be made.
    Path whisper = TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    String message = noModelMessage(Map.of("PARLEY_WHISPER_MODEL", whisper.toString()), "PARLEY_LLAMA_MODEL");
    assertThat(message).contains("no chat model", "llm/qwen2.5-0.5b-instruct-q4_k_m.gguf",
        "./parley models --llm qwen2.5-0.5b-instruct", "PARLEY_LLAMA_MODEL", "PARLEY_LLM_BASE_URL");
  }

  /** What the assistant page says after one try at talking to a node with {@code settings}, once it names {@code missing}. */
  private String noModelMessage(Map<String, String> settings, String missing) throws Exception {
    Path chromium = NodeScript.requireCommand("chromium", "chromium");
    NodeScript.requirePackages("playwright-core");
    Path wav = SpeechWav.write(dir, SPEECH, 1.2); // the pause ends the turn; the loop then talks over the answer
    try (TestNode node = TestNode.start(settings);
         NodeScript script = NodeScript.start(Path.of("api/src/test/js/web-client.mjs"), List.of(
             "--flow", "no-model", "--missing", missing, "--base", node.baseUrl(), "--wav", wav.toString(),
             "--shots", dir.resolve("shots").toString(), "--profiles", dir.resolve("profiles").toString(),
             "--chromium", chromium.toString()), Map.of())) {
      String line = script.nextLine(Duration.ofMinutes(3));
      int exit = script.await(Duration.ofSeconds(30));
      if (line == null) {
        fail("web-client.mjs printed no result (exit " + exit + "):\n" + script.stderr());
      }
      JsonObject r = new JsonObject(line);
      assertThat(r.getJsonArray("failures", new JsonArray()).getList()).as(script.stderr()).isEmpty();
      assertThat(exit).isZero();
      return r.getString("noModelMessage");
    }
  }
}
