package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.Speech;
import io.parley.api.support.TestNode;
import io.parley.inference.audio.Pcm;
import io.parley.inference.audio.Wav;
import io.parley.inference.vad.TinySmartTurn;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code semantic_vad} through a running node whose end-of-turn model (a generated one of Smart
 * Turn's interface, {@link TinySmartTurn}) finds every turn complete: espeak-ng speech followed by
 * 1.5 s of silence ends its turn under {@code eagerness: "low"}, whose silence fallback alone (8 s)
 * would not have, so the model's answer, batched on the node's worker, ended it.
 */
class SemanticVadEndToEndTest {

  private static final int RATE = 24_000;
  private static Path dir;
  private static TestNode node;
  private static String token;
  private static short[] speech;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-semantic-vad-");
    Path model = TinySmartTurn.write(dir.resolve("smart-turn.onnx"), 0f, 10f);
    speech = Wav.read(Files.readAllBytes(Speech.wav("How many calories are in a banana?", RATE, dir, "question")))
        .mono();
    node = TestNode.start(Map.of("PARLEY_SEMANTIC_VAD_MODEL", model.toString()));
    token = new Api("http://127.0.0.1:" + node.server().httpPort()).newUser().getString("access_token");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (dir != null) {
      TestNode.deleteTree(dir);
    }
  }

  @Test
  void theEndOfTurnModelEndsATurnLongBeforeTheSilenceFallback() throws Exception {
    try (RealtimeClient c = RealtimeClient.connect(node, token, "")) {
      c.next("session.created");
      c.send(new JsonObject().put("type", "session.update").put("session", new JsonObject()
          .put("audio", new JsonObject().put("input", new JsonObject().put("turn_detection", new JsonObject()
              .put("type", "semantic_vad").put("eagerness", "low").put("create_response", false))))));
      JsonObject td = c.next("session.updated").getJsonObject("session").getJsonObject("audio")
          .getJsonObject("input").getJsonObject("turn_detection");
      assertThat(td.getString("type")).isEqualTo("semantic_vad");
      assertThat(td.getString("eagerness")).isEqualTo("low");

      short[] turn = Arrays.copyOf(speech, speech.length + RATE * 3 / 2); // then 1.5 s of silence
      for (int from = 0; from < turn.length; from += RATE / 10) {
        short[] part = Arrays.copyOfRange(turn, from, Math.min(turn.length, from + RATE / 10));
        c.send(new JsonObject().put("type", "input_audio_buffer.append").put("audio", Pcm.toBase64(part)));
      }
      c.next("input_audio_buffer.speech_started");
      JsonObject stopped = c.next("input_audio_buffer.speech_stopped");
      assertThat(stopped.getLong("audio_end_ms")).isLessThanOrEqualTo(speech.length * 1000L / RATE + 100);
      c.next("input_audio_buffer.committed");
    }
    // The node's end-of-turn model was asked (the pause, on its worker) before the turn ended.
    assertThat(node.server().voice().semanticTurns()).hasValueSatisfying(s -> assertThat(s.runs()).isPositive());
  }
}
