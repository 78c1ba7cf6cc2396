package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.Speech;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.TinyWhisperModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Transport, auth and session formats as the SDKs use them, over wss with a certificate the clients
 * trust: the browsers' subprotocol handshake, transcription-only sessions, G.711 telephony audio in
 * and out, fields Parley cannot honour named in errors (the {@code openai} npm client), and server
 * VAD's {@code idle_timeout_ms}.
 */
class RealtimeTransportTest {

  private static Path dir;
  private static TestNode node;
  private static TestTls tls;
  private static String token;
  private static Path speech;

  @BeforeAll
  static void start() throws Exception {
    NodeScript.requirePackages("openai", "ws");
    dir = Files.createTempDirectory("parley-realtime-transport-");
    tls = TestTls.create(dir);
    Path whisper = TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    Path llama = TinyGguf.write(dir.resolve("tiny-llama.gguf"));
    speech = Speech.wav("Hello there. How many calories are in a banana?", 24_000, dir, "question");
    node = TestNode.start(Map.of(
        "PARLEY_TLS_CERT", tls.cert().toString(),
        "PARLEY_TLS_KEY", tls.key().toString(),
        "PARLEY_WHISPER_MODEL", whisper.toString(),
        "PARLEY_LLAMA_MODEL", llama.toString(),
        "PARLEY_LLM_MAX_TOKENS", "24"));
    token = new Api("https://127.0.0.1:" + node.server().httpPort(), tls.client()).newUser()
        .getString("access_token");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (dir != null) {
      TestNode.deleteTree(dir);
    }
  }

  private static JsonObject run(String mode, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--base", "https://127.0.0.1:" + node.server().httpPort() + "/v1",
        "--token", token, "--mode", mode));
    args.addAll(List.of(extra));
    try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/realtime-modes.mjs"),
        args, Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
      int code = script.await(Duration.ofSeconds(120));
      String line = script.lastLine();
      assertThat(line).as("result line; stderr:\n" + script.stderr()).isNotNull();
      JsonObject result = new JsonObject(line);
      assertThat(code).as("exit code; result " + result.encodePrettily() + "\nstderr:\n" + script.stderr()).isZero();
      return result;
    }
  }

  private static List<JsonObject> events(JsonObject result) {
    return result.getJsonArray("events").stream().map(o -> (JsonObject) o).toList();
  }

  private static List<String> types(JsonObject result) {
    return events(result).stream().map(e -> e.getString("type")).toList();
  }

  @Test
  void aBrowsersHandshakeSelectsTheRealtimeSubprotocolAndTakesTheKeyFromIt() throws Exception {
    JsonObject result = run("subprotocols");
    assertThat(result.getString("protocol")).isEqualTo("realtime");
    assertThat(types(result)).containsExactly("session.created");
  }

  @Test
  void aTranscriptionSessionGivesLiveCaptionsAndNoAnswers() throws Exception {
    JsonObject result = run("transcription", "--wav", speech.toString());
    List<String> types = types(result);
    assertThat(types).containsSubsequence("session.created", "session.updated", "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed", "error");
    assertThat(types).as("no answer").noneMatch(t -> t.startsWith("response."));
    List<JsonObject> events = events(result);
    assertThat(events.get(0).getJsonObject("session").getString("type")).as("?intent=transcription")
        .isEqualTo("transcription");
    JsonObject updated = events.stream().filter(e -> "session.updated".equals(e.getString("type"))).findFirst()
        .orElseThrow().getJsonObject("session");
    assertThat(updated.getString("type")).isEqualTo("transcription");
    JsonObject transcription = updated.getJsonObject("audio").getJsonObject("input").getJsonObject("transcription");
    assertThat(transcription.getString("model")).isEqualTo("gpt-4o-transcribe");
    assertThat(transcription.getString("language")).isEqualTo("en");
    JsonObject refused = events.stream().filter(e -> "error".equals(e.getString("type"))).findFirst().orElseThrow()
        .getJsonObject("error");
    assertThat(refused.getString("code")).isEqualTo("transcription_session");
    assertThat(refused.getString("event_id")).isEqualTo("answer_me");
  }

  @Test
  void telephonyAudioInG711MuLawIsHeardAndAnsweredInKind() throws Exception {
    telephony("audio/pcmu");
  }

  @Test
  void muLawInAndALawOutAreIndependentOfEachOther() throws Exception {
    telephony("audio/pcma");
  }

  private static void telephony(String outFormat) throws Exception {
    Path ulaw = Speech.mulaw("Hello there. How many calories are in a banana?", dir, "question-pcmu");
    JsonObject result = run("g711", "--ulaw", ulaw.toString(), "--out-format", outFormat);
    List<String> types = types(result);
    assertThat(types).as("no error events").doesNotContain("error");
    assertThat(types).containsSubsequence("session.created", "session.updated", "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped", "conversation.item.input_audio_transcription.completed",
        "response.created", "response.done");
    JsonObject session = events(result).stream().filter(e -> "session.updated".equals(e.getString("type")))
        .findFirst().orElseThrow().getJsonObject("session").getJsonObject("audio");
    assertThat(session.getJsonObject("input").getJsonObject("format")).isEqualTo(new JsonObject().put("type",
        "audio/pcmu"));
    assertThat(session.getJsonObject("output").getJsonObject("format")).isEqualTo(new JsonObject().put("type",
        outFormat));
    // One byte per 8 kHz sample: a spoken answer of half a second or more, at speech level (about
    // 2,400 here): not G.711's silence, and not PCM16 bytes read as G.711, whose level would be near
    // that of random bytes (about 10,000).
    assertThat(result.getLong("audio_bytes")).isGreaterThan(4_000L);
    assertThat(result.getDouble("audio_rms")).isBetween(300.0, 6_000.0);
  }

  /**
   * Each refused field is named in an error; a value Parley cannot honour (semantic_vad on a node
   * without an end-of-turn model, truncation "disabled") is refused alone, the rest of its update
   * applied and a session.updated showing what is in force; a bad value refuses its whole update.
   */
  @Test
  void fieldsParleyCannotHonourAreNamedAndTheSessionLivesOn() throws Exception {
    JsonObject result = run("fields");
    Map<String, String[]> expected = Map.of(
        "bad_0", new String[] {"unsupported_value", "session.audio.input.turn_detection.type"},
        "bad_1", new String[] {"invalid_value", "session.audio.output.format.type"},
        "bad_2", new String[] {"unsupported_value", "session.truncation"},
        "bad_3", new String[] {"unknown_parameter", "session.temperature"},
        "bad_4", new String[] {"invalid_value", "session.max_output_tokens"});
    List<JsonObject> errors = events(result).stream().filter(e -> "error".equals(e.getString("type")))
        .map(e -> e.getJsonObject("error")).toList();
    assertThat(errors).hasSize(expected.size());
    for (JsonObject error : errors) {
      String[] want = expected.get(error.getString("event_id"));
      assertThat(want).as(error.encode()).isNotNull();
      assertThat(error.getString("type")).isEqualTo("invalid_request_error");
      assertThat(error.getString("code")).as(error.encode()).isEqualTo(want[0]);
      assertThat(error.getString("param")).as(error.encode()).isEqualTo(want[1]);
    }
    List<JsonObject> updated = events(result).stream().filter(e -> "session.updated".equals(e.getString("type")))
        .map(e -> e.getJsonObject("session")).toList();
    assertThat(updated).as("bad_0 and bad_2 applied in part, then the good update").hasSize(3);
    JsonObject afterSemantic = updated.getFirst();
    assertThat(afterSemantic.getString("instructions")).as("the rest of bad_0 applied").contains("Speak like a sailor.");
    assertThat(afterSemantic.getJsonObject("audio").getJsonObject("input").getJsonObject("turn_detection")
        .getString("type")).as("what is in force: server VAD").isEqualTo("server_vad");
    JsonObject session = updated.getLast();
    assertThat(session.getJsonArray("output_modalities")).as("the rest of bad_2 applied").containsExactly("text");
    assertThat(session.getInteger("max_output_tokens")).isEqualTo(RealtimeSessionConfig.MAX_OUTPUT_TOKENS);
    assertThat(session.getJsonObject("audio").getJsonObject("input").getJsonObject("noise_reduction")
        .getString("type")).isEqualTo("near_field");
    assertThat(session.getJsonObject("audio").getJsonObject("input").getJsonObject("turn_detection")
        .getString("type")).as("still server VAD: semantic_vad was refused, not swapped in").isEqualTo("server_vad");
  }

  @Test
  void silenceLongerThanIdleTimeoutTriggersAPromptingAnswer() throws Exception {
    BlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
    WebSocket ws = tls.client().newWebSocketBuilder().header("Authorization", "Bearer " + token)
        .buildAsync(URI.create("wss://127.0.0.1:" + node.server().httpPort() + "/v1/realtime?model=gpt-realtime"),
            new RealtimeClient.Inbox(inbox)).get(10, TimeUnit.SECONDS);
    try {
      assertThat(next(inbox).getString("type")).isEqualTo("session.created");
      ws.sendText(new JsonObject().put("type", "session.update").put("session", new JsonObject()
          .put("output_modalities", new JsonArray().add("text"))
          .put("audio", new JsonObject().put("input", new JsonObject().put("turn_detection", new JsonObject()
              .put("type", "server_vad").put("idle_timeout_ms", 2_000))))).encode(), true).get();
      JsonObject updated = next(inbox);
      assertThat(updated.getString("type")).isEqualTo("session.updated");
      assertThat(updated.getJsonObject("session").getJsonObject("audio").getJsonObject("input")
          .getJsonObject("turn_detection").getLong("idle_timeout_ms")).isEqualTo(2_000L);
      // The clock is the audio: 1.5 s of silence is not enough, 2.5 s is, however fast it arrives.
      byte[] second = new byte[24_000 * 2];
      ws.sendBinary(ByteBuffer.wrap(second), true).get();
      ws.sendBinary(ByteBuffer.wrap(second, 0, second.length / 2), true).get();
      ws.sendText(new JsonObject().put("type", "session.update").put("event_id", "marker")
          .put("session", new JsonObject()).encode(), true).get();
      assertThat(next(inbox).getString("type")).as("nothing before 2 s of silence").isEqualTo("session.updated");
      ws.sendBinary(ByteBuffer.wrap(second), true).get();
      JsonObject timeout = next(inbox);
      assertThat(timeout.getString("type")).isEqualTo("input_audio_buffer.timeout_triggered");
      assertThat(timeout.getLong("audio_end_ms") - timeout.getLong("audio_start_ms")).isBetween(2_000L, 2_600L);
      assertThat(timeout.getString("item_id")).isNotBlank();
      JsonObject e;
      do {
        e = next(inbox);
        assertThat(e.getString("type")).as(e.encode()).isNotEqualTo("error");
      } while (!"response.done".equals(e.getString("type")));
    } finally {
      ws.abort();
    }
  }

  private static JsonObject next(BlockingQueue<JsonObject> inbox) throws InterruptedException {
    JsonObject e = inbox.poll(30, TimeUnit.SECONDS);
    assertThat(e).as("an event within 30 s").isNotNull();
    return e;
  }
}
