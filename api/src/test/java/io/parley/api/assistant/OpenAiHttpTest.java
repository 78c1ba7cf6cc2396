package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.Speech;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.audio.codec.EncodedSpeech;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Parley's OpenAI-compatible HTTP endpoints with the {@code openai} npm package as the client, on
 * the real engines (tiny random-weight Whisper and llama files, FreeTTS); and a node without any
 * model, which still starts and names the fix.
 */
class OpenAiHttpTest {

  @Test
  void theOpenAiClientChatsTranscribesAndSpeaks() throws Exception {
    NodeScript.requirePackages("openai");
    Path dir = Files.createTempDirectory("parley-openai-");
    TestTls tls = TestTls.create(dir);
    Path whisper = TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    Path llama = TinyGguf.write(dir.resolve("tiny-llama.gguf"));
    Path wav = Speech.wav("Please log my breakfast.", 16_000, dir, "breakfast");
    Path m4a = EncodedSpeech.encode(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", wav.toString(),
        "-c:a", "aac", dir.resolve("breakfast.m4a").toString()), "ffmpeg", dir.resolve("breakfast.m4a"));
    Path ogg = EncodedSpeech.opusenc(wav, dir.resolve("breakfast.ogg"));
    try (TestNode node = TestNode.start(Map.of(
        "PARLEY_TLS_CERT", tls.cert().toString(), "PARLEY_TLS_KEY", tls.key().toString(),
        "PARLEY_WHISPER_MODEL", whisper.toString(), "PARLEY_LLAMA_MODEL", llama.toString()))) {
      String base = "https://127.0.0.1:" + node.server().httpPort();
      String token = new Api(base, tls.client()).newUser().getString("access_token");
      try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/openai-http.mjs"),
          List.of("--base", base + "/v1", "--token", token, "--wav", wav.toString(), "--m4a", m4a.toString(),
              "--ogg", ogg.toString()),
          Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
        assertThat(script.await(Duration.ofSeconds(120))).as(script.stderr()).isZero();
        JsonObject r = new JsonObject(script.lastLine());
        JsonObject stream = r.getJsonObject("stream");
        assertThat(stream.getInteger("chunks")).as(r.encodePrettily()).isGreaterThan(2);
        assertThat(stream.getInteger("chars")).isPositive();
        assertThat(stream.getString("finish")).isIn("length", "stop");
        JsonObject whole = r.getJsonObject("whole");
        assertThat(whole.getString("object")).as(r.encodePrettily()).isEqualTo("chat.completion");
        assertThat(whole.getString("role")).isEqualTo("assistant");
        assertThat(whole.getInteger("chars")).isPositive();
        assertThat(r.getJsonObject("invalid").getInteger("status")).isEqualTo(400);
        assertThat(r.getJsonObject("transcription").getInteger("chars")).as(r.encodePrettily()).isPositive();
        JsonObject verbose = r.getJsonObject("m4a");
        assertThat(verbose.getString("task")).as(r.encodePrettily()).isEqualTo("transcribe");
        assertThat(verbose.getDouble("duration")).isCloseTo(EncodedSpeech.probeSeconds(wav),
            org.assertj.core.data.Offset.offset(0.15));
        assertThat(verbose.getInteger("segments")).isPositive();
        assertThat(verbose.getDouble("lastEnd")).isLessThanOrEqualTo(verbose.getDouble("duration"));
        assertThat(r.getJsonObject("ogg").getString("srt")).as(r.encodePrettily())
            .startsWith("1\n00:00:").contains(" --> ");
        JsonObject mp3 = r.getJsonObject("mp3");
        assertThat(mp3.getString("type")).as(r.encodePrettily()).isEqualTo("audio/mpeg");
        assertThat(mp3.getInteger("bytes")).isGreaterThan(1_000);
        JsonObject speech = r.getJsonObject("speech");
        assertThat(speech.getString("riff")).as(r.encodePrettily()).isEqualTo("RIFF");
        assertThat(speech.getInteger("bytes")).isGreaterThan(16_000);
      }
    } finally {
      TestNode.deleteTree(dir);
    }
  }

  /**
   * A client tool round trip: the model (a scripted stand-in behind Parley) calls a tool; the npm
   * client reads the streamed call, sends the result as a {@code role: tool} message and gets the
   * answer; the stand-in checks that the call and its result reached it.
   */
  @Test
  void theOpenAiClientCallsAToolAndSendsTheResultBack() throws Exception {
    NodeScript.requirePackages("openai");
    Path dir = Files.createTempDirectory("parley-openai-tools-");
    TestTls tls = TestTls.create(dir);
    ToolCall call = new ToolCall("call_weather_1", "get_weather", "{\"city\": \"Paris\", \"unit\": \"celsius\"}");
    try (StandInLlm llm = StandInLlm.start();
         TestNode node = TestNode.start(Map.of(
             "PARLEY_TLS_CERT", tls.cert().toString(), "PARLEY_TLS_KEY", tls.key().toString(),
             "PARLEY_LLM_BASE_URL", llm.baseUrl(), "PARLEY_LLM_MODEL", "stand-in"))) {
      llm.then(StandInLlm.Reply.toolCalls(call))
          .then(body -> {
            JsonArray messages = body.getJsonArray("messages");
            JsonObject assistant = messages.getJsonObject(messages.size() - 2);
            JsonObject result = messages.getJsonObject(messages.size() - 1);
            assertThat(assistant.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function")
                .getString("arguments")).isEqualTo(call.arguments());
            assertThat(result.getString("role")).isEqualTo("tool");
            assertThat(result.getString("tool_call_id")).isEqualTo(call.id());
            assertThat(new JsonObject(result.getString("content")).getString("sky")).isEqualTo("sunny");
            return new StandInLlm.Answer("It is sunny in Paris, 22 degrees.", List.of());
          })
          .then(StandInLlm.Reply.toolCalls(call));
      String base = "https://127.0.0.1:" + node.server().httpPort();
      String token = new Api(base, tls.client()).newUser().getString("access_token");
      try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/openai-tools.mjs"),
          List.of("--base", base + "/v1", "--token", token), Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
        assertThat(script.await(Duration.ofSeconds(120))).as(script.stderr()).isZero();
        JsonObject r = new JsonObject(script.lastLine());

        JsonObject stream = r.getJsonObject("stream");
        assertThat(stream.getString("finish")).as(r.encodePrettily()).isEqualTo("tool_calls");
        assertThat(stream.getJsonArray("firstDeltas").getJsonObject(0)).isEqualTo(new JsonObject()
            .put("id", call.id()).put("type", "function").put("function", new JsonObject()
                .put("name", "get_weather").put("arguments", "")).put("index", 0));
        assertThat(stream.getJsonArray("calls")).isEqualTo(new JsonArray().add(new JsonObject()
            .put("id", call.id()).put("type", "function").put("name", "get_weather").put("arguments", call.arguments())));

        JsonObject answer = r.getJsonObject("answer");
        assertThat(answer.getString("content")).as(r.encodePrettily()).isEqualTo("It is sunny in Paris, 22 degrees.");
        assertThat(answer.getString("finish")).isEqualTo("stop");

        JsonObject whole = r.getJsonObject("whole");
        assertThat(whole.getString("finish")).as(r.encodePrettily()).isEqualTo("tool_calls");
        assertThat(whole.getValue("content")).isNull();
        assertThat(whole.getJsonArray("tool_calls")).isEqualTo(new JsonArray().add(new JsonObject()
            .put("id", call.id()).put("type", "function").put("function", new JsonObject()
                .put("name", "get_weather").put("arguments", call.arguments()))));

        JsonObject orphan = r.getJsonObject("orphanToolMessage");
        assertThat(orphan.getInteger("status")).as(r.encodePrettily()).isEqualTo(400);
        assertThat(orphan.getString("type")).isEqualTo("invalid_request_error");
        assertThat(orphan.getString("param")).isEqualTo("messages[1].tool_call_id");
        assertThat(orphan.getString("error")).contains("call_nowhere");
        JsonObject badTool = r.getJsonObject("badTool");
        assertThat(badTool.getInteger("status")).isEqualTo(400);
        assertThat(badTool.getString("param")).isEqualTo("tools[0].function.name");
      }

      List<JsonObject> seen = llm.requests();
      assertThat(seen).hasSize(3); // the invalid requests never reached the model
      assertThat(seen.get(0).getJsonArray("tools").getJsonObject(0).getJsonObject("function").getString("name"))
          .isEqualTo("get_weather");
      assertThat(seen.get(0).getString("tool_choice")).isEqualTo("auto");
      assertThat(seen.get(2).getJsonObject("tool_choice")).isEqualTo(new JsonObject().put("type", "function")
          .put("function", new JsonObject().put("name", "get_weather")));
    } finally {
      TestNode.deleteTree(dir);
    }
  }

  @Test
  void withoutModelsTheServerRunsAndNamesTheFix() {
    TestNode node = TestNode.shared();
    String token = node.api().newUser().getString("access_token");
    Api.Res chat = node.api().post("/v1/chat/completions", token, new JsonObject()
        .put("messages", new io.vertx.core.json.JsonArray().add(new JsonObject().put("role", "user").put("content", "hi"))));
    assertThat(chat.status()).isEqualTo(503);
    assertThat(chat.error().getString("message")).contains("PARLEY_LLAMA_MODEL").contains("PARLEY_LLM_BASE_URL");
    Api.Res anonymous = node.api().post("/v1/chat/completions", null, new JsonObject());
    assertThat(anonymous.status()).isEqualTo(401);
  }
}
