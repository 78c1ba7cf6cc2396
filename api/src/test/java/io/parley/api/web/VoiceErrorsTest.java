package io.parley.api.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.NodeScript;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the web client says for the realtime errors a person can meet: what happened and when to
 * try again, by the error's code, not the server's developer-facing message; a missing model keeps
 * the server's message (it names the command that fetches it); an unknown code shows the message.
 */
class VoiceErrorsTest {

  private static JsonObject error(String code, String message) {
    return new JsonObject().put("type", "server_error").put("code", code).put("message", message);
  }

  @Test
  void theAssistantPageExplainsErrorsByTheirCode() throws Exception {
    JsonArray in = new JsonArray()
        .add(error("engine_restarted", "the speech engine's worker process died (exit 137); it is started again "
            + "automatically: retry in 4 s"))
        .add(error("engine_busy", "the speech engine's worker process has 300000000 bytes of calls waiting for it "
            + "(PARLEY_ENGINE_QUEUE_BYTES 268435456); retry in 1 s"))
        .add(error("vad_failed", "the VAD model failed: java.lang.IllegalStateException"))
        .add(error("model_not_configured", "No chat model: set PARLEY_LLM_BASE_URL, or run ./parley models --llm"))
        .add(error("something_new", "a message for developers"))
        .addNull();
    try (NodeScript script = NodeScript.start(Path.of("api/src/test/js/voice-errors.mjs"), List.of(), Map.of())) {
      script.writeLine(in.encode());
      script.closeInput();
      assertThat(script.await(Duration.ofSeconds(30))).as(script.output()).isZero();
      List<Object> said = new JsonArray(script.lastLine()).getList();
      assertThat(said).containsExactly(
          "The assistant's speech engine restarted and this answer was lost. Try again in 4 s.",
          "The assistant is busy right now. Try again in 1 s.",
          "Speech detection stopped working; the assistant may not hear you until it recovers.",
          "No chat model: set PARLEY_LLM_BASE_URL, or run ./parley models --llm",
          "a message for developers",
          "The assistant reported an error.");
    }
  }
}
