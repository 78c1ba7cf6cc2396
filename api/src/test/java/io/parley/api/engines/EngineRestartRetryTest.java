package io.parley.api.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.NodeScript;
import io.parley.api.support.Poll;
import io.parley.api.support.Speech;
import io.parley.api.support.TestNode;
import io.parley.inference.stt.TinyWhisperModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an unmodified OpenAI client does when a speech worker dies under its request: the `openai`
 * npm package gets 503 {@code engine_restarted} with {@code Retry-After}, sends the transcription
 * again by itself (it retries any 5xx, after the time the server asks for), and gets the transcript
 * once the node has started another worker. Nothing in the client was written for Parley.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class EngineRestartRetryTest {

  @TempDir
  Path dir;

  @Test
  void theOpenAiClientRetriesATranscriptionCutByItsWorkersDeathAndGetsItsTranscript() throws Exception {
    NodeScript.requirePackages("openai");
    Path whisper = TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    // A few minutes of speech: the tiny model takes long enough over it to be killed in the middle.
    Path sentence = Speech.wav("Two eggs and a slice of whole wheat toast for breakfast.", 16_000, dir, "sentence");
    Path wav = dir.resolve("long.wav");
    Process sox = new ProcessBuilder(NodeScript.requireCommand("sox", "sox").toString(), sentence.toString(),
        wav.toString(), "repeat", "40").redirectErrorStream(true).start();
    assertThat(sox.waitFor(60, TimeUnit.SECONDS) && sox.exitValue() == 0)
        .as("sox: %s", new String(sox.getInputStream().readAllBytes())).isTrue();
    assertThat(Files.size(wav)).isGreaterThan(16_000 * 2 * 60);

    try (TestNode node = TestNode.start(Map.of("PARLEY_ENGINE_ISOLATION", "process",
        "PARLEY_WHISPER_MODEL", whisper.toString()))) {
      EngineWorkers workers = (EngineWorkers) node.server().engines();
      long restarts = workers.restarts(EngineGroup.SPEECH);
      String token = node.api().newUser().getString("access_token");
      try (NodeScript script = NodeScript.start(Path.of("api/src/test/js/openai-retry.mjs"),
          List.of("--base", node.baseUrl() + "/v1", "--token", token, "--wav", wav.toString()), Map.of())) {
        assertThat(script.nextLine(Duration.ofSeconds(60))).as(script.output()).isEqualTo("sending 1");
        Poll.until(Duration.ofSeconds(60), "the speech worker has the transcription in hand",
            () -> workers.inFlight(EngineGroup.SPEECH) > 0);
        long pid = workers.pid(EngineGroup.SPEECH).orElseThrow();
        assertThat(ProcessHandle.of(pid).orElseThrow().destroyForcibly()).isTrue();

        assertThat(script.await(Duration.ofSeconds(300))).as(script.output()).isZero();
        JsonObject r = new JsonObject(script.lastLine());
        JsonArray attempts = r.getJsonArray("attempts");
        assertThat(r.containsKey("error")).as(r.encodePrettily()).isFalse();
        assertThat(r.getInteger("chars")).as(r.encodePrettily()).isNotNull();
        JsonObject first = attempts.getJsonObject(0);
        assertThat(first.getInteger("status")).as(r.encodePrettily()).isEqualTo(503);
        assertThat(first.getString("code")).isEqualTo("engine_restarted");
        assertThat(Integer.parseInt(first.getString("retryAfter"))).isPositive();
        assertThat(attempts.getJsonObject(attempts.size() - 1).getInteger("status")).as(r.encodePrettily())
            .isEqualTo(200);
        for (int i = 1; i < attempts.size(); i++) {
          JsonObject before = attempts.getJsonObject(i - 1);
          assertThat(before.getInteger("status")).as("only 503s are retried: %s", r.encodePrettily()).isEqualTo(503);
          assertThat(attempts.getJsonObject(i).getLong("waitedMs")).as("the client waited as asked: %s", r.encodePrettily())
              .isGreaterThanOrEqualTo(Long.parseLong(before.getString("retryAfter")) * 1000 - 50);
        }
        assertThat(workers.restarts(EngineGroup.SPEECH)).isGreaterThan(restarts);
      }
    }
  }
}
