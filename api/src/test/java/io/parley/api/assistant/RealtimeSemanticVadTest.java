package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.core.config.ConfigSource;
import io.parley.inference.vad.Eagerness;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code turn_detection.type: "semantic_vad"} in a session's configuration: its eagerness reaches
 * the pipeline's turn detection (threshold and silence fallback), the session object shows it in
 * the GA shape, a bad eagerness refuses the update naming the field, and going back to server VAD
 * restores the node's silence.
 */
class RealtimeSemanticVadTest {

  /** This node has an end-of-turn model (without one, semantic_vad is refused: RealtimeSessionFieldsTest). */
  private static final java.util.function.BooleanSupplier MODEL_LOADED = () -> true;

  private static final VoiceOptions NODE = VoiceOptions.from(ConfigSource.of(Map.of()));

  private static RealtimeSessionConfig session() {
    return RealtimeSessionConfig.initial(NODE, "assistant", null, true, 24_000);
  }

  private static JsonObject turnDetection(JsonObject td) {
    return new JsonObject().put("audio", new JsonObject().put("input", new JsonObject().put("turn_detection", td)));
  }

  private static JsonObject shown(RealtimeSessionConfig c) {
    return c.toJson(NODE, UUID.randomUUID(), "token", false, "kevin16").getJsonObject("audio")
        .getJsonObject("input").getJsonObject("turn_detection");
  }

  @Test
  void theEagernessReachesTheTurnDetectionAndTheSessionShowsIt() throws Exception {
    RealtimeSessionConfig c = session().update(turnDetection(new JsonObject().put("type", "semantic_vad")
        .put("eagerness", "high").put("create_response", false)), "e1", n -> n, l -> { }, MODEL_LOADED).config();
    assertThat(c.settings(NODE).turnDetection().eagerness()).contains(Eagerness.HIGH);
    assertThat(c.settings(NODE).turnDetection().endSilence()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.settings(NODE).serverVad()).isTrue();
    assertThat(shown(c)).isEqualTo(new JsonObject().put("type", "semantic_vad").put("eagerness", "high")
        .put("create_response", false).put("interrupt_response", true));

    RealtimeSessionConfig auto = session().update(turnDetection(new JsonObject().put("type", "semantic_vad")),
        "e2", n -> n, l -> { }, MODEL_LOADED).config();
    assertThat(auto.turnDetection().eagerness()).contains(Eagerness.AUTO);
    assertThat(shown(auto).getString("eagerness")).isEqualTo("auto");
  }

  @Test
  void aBadEagernessRefusesTheUpdateNamingTheField() {
    for (Object bad : new Object[] {"eager", 3}) {
      assertThatThrownBy(() -> session().update(turnDetection(new JsonObject().put("type", "semantic_vad")
          .put("eagerness", bad)), "e1", n -> n, l -> { }, MODEL_LOADED).config())
          .isInstanceOf(RealtimeProtocolException.class)
          .hasMessageContaining("eagerness must be low, medium, high or auto")
          .extracting(e -> ((RealtimeProtocolException) e).param())
          .isEqualTo("session.audio.input.turn_detection.eagerness");
    }
  }

  @Test
  void serverVadAgainEndsTurnsOnTheNodesSilence() throws Exception {
    RealtimeSessionConfig semantic = session().update(turnDetection(new JsonObject().put("type", "semantic_vad")
        .put("eagerness", "low")), "e1", n -> n, l -> { }, MODEL_LOADED).config();
    RealtimeSessionConfig server = semantic.update(turnDetection(new JsonObject().put("type", "server_vad")),
        "e2", n -> n, l -> { }, MODEL_LOADED).config();
    assertThat(server.turnDetection().eagerness()).isEmpty();
    assertThat(server.turnDetection().endSilence()).isEqualTo(NODE.vad().minSilence());
    assertThat(shown(server).getString("type")).isEqualTo("server_vad");
  }
}
