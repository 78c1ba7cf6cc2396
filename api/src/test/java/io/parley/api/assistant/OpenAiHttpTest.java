package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.Speech;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.TinyWhisperModel;
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
    try (TestNode node = TestNode.start(Map.of(
        "PARLEY_TLS_CERT", tls.cert().toString(), "PARLEY_TLS_KEY", tls.key().toString(),
        "PARLEY_WHISPER_MODEL", whisper.toString(), "PARLEY_LLAMA_MODEL", llama.toString()))) {
      String base = "https://127.0.0.1:" + node.server().httpPort();
      String token = new Api(base, tls.client()).newUser().getString("access_token");
      try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve("api/src/test/js/openai-http.mjs"),
          List.of("--base", base + "/v1", "--token", token, "--wav", wav.toString()),
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
        JsonObject speech = r.getJsonObject("speech");
        assertThat(speech.getString("riff")).as(r.encodePrettily()).isEqualTo("RIFF");
        assertThat(speech.getInteger("bytes")).isGreaterThan(16_000);
      }
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
