package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import io.parley.api.support.Api;
import io.parley.api.support.FuzzSocket;
import io.parley.api.support.JsonFuzzer;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.core.testing.LogCapture;
import io.parley.inference.stt.TinyWhisperModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 100,000 mutated client events ({@link JsonFuzzer} over valid GA events of every type) on
 * {@code /v1/realtime} of a real node (stand-in model, whisper.cpp on a tiny model), with Netty's
 * leak detector on paranoid. Every {@value #BATCH} frames a known event must still be answered
 * (the socket is alive and in order); a socket the server closes must close with a code, and the
 * fuzz goes on with a new one. Afterwards: no {@code server_error}, nothing Parley, Vert.x or Netty
 * logged at WARN or above, no leak, the heap where it was, and a fresh session answers a typed
 * question. {@code -Dparley.fuzz.seed=N} replays a run; {@code -Dparley.fuzz.frames} changes the count.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RealtimeFuzzTest {

  private static final long SEED = Long.getLong("parley.fuzz.seed", 0x5EA1_71L);
  private static final int FRAMES = Integer.getInteger("parley.fuzz.frames", 100_000);
  private static final int BATCH = 50;
  private static final Duration SYNC_WAIT = Duration.ofSeconds(60);
  private static final long MAX_HEAP_GROWTH = 48L << 20;
  private static final List<String> TYPES = List.of("session.update", "input_audio_buffer.append",
      "input_audio_buffer.commit", "input_audio_buffer.clear", "conversation.item.create",
      "conversation.item.retrieve", "conversation.item.truncate", "conversation.item.delete", "response.create",
      "response.cancel", "output_audio_buffer.clear");

  private static Path dir;
  private static StandInLlm llm;
  private static TestNode node;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-realtime-fuzz-");
    llm = StandInLlm.start().always(body -> new StandInLlm.Answer("Fine.", List.of()));
    node = TestNode.start(Map.of("PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in",
        "PARLEY_WHISPER_MODEL", TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin")).toString(),
        "PARLEY_RATE_LIMIT_VOICE_PER_MINUTE", "100000"));
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

  /** Valid events of every client type, the fuzzer's seeds. */
  private static List<JsonObject> seeds() {
    byte[] pcm = new byte[960]; // 20 ms at 24 kHz, PCM16
    new SplittableRandom(1).nextBytes(pcm);
    String audio = Base64.getEncoder().encodeToString(pcm);
    JsonObject message = new JsonObject().put("type", "message").put("role", "user").put("content",
        new JsonArray().add(new JsonObject().put("type", "input_text").put("text", "How many calories in a pear?")));
    return List.of(
        new JsonObject().put("type", "session.update").put("session", new JsonObject().put("type", "realtime")
            .put("instructions", "Be brief.").put("output_modalities", new JsonArray().add("text"))
            .put("audio", new JsonObject().put("input", new JsonObject()
                .put("format", new JsonObject().put("type", "audio/pcm").put("rate", 24000))
                .put("transcription", new JsonObject().put("model", "whisper-1").put("language", "en"))
                .put("turn_detection", new JsonObject().put("type", "server_vad").put("threshold", 0.5)
                    .put("silence_duration_ms", 500).put("create_response", true).put("interrupt_response", true)))
                .put("output", new JsonObject().put("voice", "alloy").put("speed", 1.0)
                    .put("format", new JsonObject().put("type", "audio/pcmu"))))
            .put("tools", new JsonArray().add(new JsonObject().put("type", "function").put("name", "f")
                .put("parameters", new JsonObject().put("type", "object"))))
            .put("tool_choice", "auto").put("max_output_tokens", 100)),
        new JsonObject().put("type", "input_audio_buffer.append").put("audio", audio),
        new JsonObject().put("type", "input_audio_buffer.commit"),
        new JsonObject().put("type", "input_audio_buffer.clear"),
        new JsonObject().put("type", "conversation.item.create").put("previous_item_id", "root").put("item", message),
        new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject()
            .put("type", "function_call_output").put("call_id", "call_1").put("output", "{\"ok\":true}")),
        new JsonObject().put("type", "conversation.item.retrieve").put("item_id", "item_1"),
        new JsonObject().put("type", "conversation.item.truncate").put("item_id", "item_1").put("content_index", 0)
            .put("audio_end_ms", 1500),
        new JsonObject().put("type", "conversation.item.delete").put("item_id", "item_1"),
        new JsonObject().put("type", "response.create").put("response", new JsonObject()
            .put("output_modalities", new JsonArray().add("text")).put("instructions", "Answer.")
            .put("conversation", "auto").put("metadata", new JsonObject().put("k", "v"))),
        new JsonObject().put("type", "response.cancel"),
        new JsonObject().put("type", "output_audio_buffer.clear"));
  }

  private static FuzzSocket open() throws Exception {
    String token = api.newUser().getString("access_token");
    return FuzzSocket.open(URI.create("ws://127.0.0.1:" + node.server().httpPort() + "/v1/realtime"), token);
  }

  @Test
  void mutatedEventsGetErrorsNotFailuresAndTheNodeServesAfterwards() throws Exception {
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    JsonFuzzer fuzzer = new JsonFuzzer(SEED, TYPES);
    List<JsonObject> seeds = seeds();
    Map<String, Integer> seen = new TreeMap<>();
    Map<Integer, Integer> closes = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long heapBefore = 0;
    try (LogCapture logs = new LogCapture("io.parley", "io.vertx", "io.netty")) {
      FuzzSocket socket = open();
      List<String> batch = new ArrayList<>();
      for (int sent = 0, sync = 0; sent < FRAMES; ) {
        JsonFuzzer.Frame frame = fuzzer.mutate(seeds.get(fuzzer.nextInt(seeds.size())));
        batch.add(frame.shown());
        boolean open = socket.send(frame);
        sent++;
        if (open && sent % BATCH != 0) {
          continue;
        }
        String id = "sync-" + sync++;
        open = open && socket.send(new JsonObject().put("type", "conversation.item.retrieve").put("event_id", id)
            .put("item_id", "missing-" + id));
        JsonObject reply = open ? socket.until(m -> "error".equals(m.getString("type"))
            && id.equals(m.getJsonObject("error").getString("event_id")), m -> count(m, seen, failures, batch),
            SYNC_WAIT) : null;
        if (reply == null) {
          // The server closed the socket: with a code, never 1006 (a dropped connection).
          Integer code = socket.closeCode();
          closes.merge(code, 1, Integer::sum);
          if (code == null || code == 1006 || code == 1011) {
            failures.add("closed with " + code + " after " + batch);
          }
          socket.close();
          socket = open();
        }
        batch.clear();
        if (sent == 2_000) {
          heapBefore = FuzzSocket.heapAfterGc();
        }
      }
      socket.close();
      System.out.println("realtime fuzz: " + FRAMES + " frames, seed " + SEED + ", events " + seen + ", closes "
          + closes);
      assertThat(failures).as("server errors, non-JSON replies and bad closes").isEmpty();
      assertThat(seen).as("the fuzz reached the handlers: errors answered").containsKey("error");
      assertThat(FuzzSocket.unexpected(logs.warnings())).as("logged at WARN or above").isEmpty();
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
    long growth = FuzzSocket.heapAfterGc() - heapBefore;
    assertThat(growth).as("heap growth after the fuzz, bytes").isLessThan(MAX_HEAP_GROWTH);

    String token = api.newUser().getString("access_token");
    try (RealtimeClient c = RealtimeClient.connect(node, token, "")) {
      c.next("session.created");
      c.send(new JsonObject().put("type", "session.update").put("session", new JsonObject()
          .put("output_modalities", new JsonArray().add("text"))));
      c.next("session.updated");
      c.say("How many calories are in a pear?");
      JsonObject done = c.next("response.done", Duration.ofSeconds(60));
      assertThat(done.getJsonObject("response").getString("status")).isEqualTo("completed");
    }
  }

  private static void count(JsonObject m, Map<String, Integer> seen, List<String> failures, List<String> batch) {
    String type = m.getString("type");
    seen.merge(type, 1, Integer::sum);
    if ("fuzz.not_json".equals(type) || "fuzz.binary".equals(type)) {
      failures.add("the server sent " + m.encode());
    } else if ("error".equals(type) && "server_error".equals(m.getJsonObject("error").getString("type"))) {
      failures.add(m.encode() + " after " + batch);
    }
  }
}
