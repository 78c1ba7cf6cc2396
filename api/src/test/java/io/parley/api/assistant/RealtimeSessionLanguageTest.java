package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.core.config.ConfigSource;
import io.parley.inference.stt.Languages;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A realtime session's transcription language: the node's until the client names its own in
 * {@code session.audio.input.transcription.language} (GA) or {@code input_audio_transcription.language}
 * (beta); null, "" or "auto" to detect; an unknown code, or one the model cannot take, refuses the
 * whole update naming the parameter and the code.
 */
class RealtimeSessionLanguageTest {

  /** Voice names as the node's engine resolves them (this test does not change voices). */
  private static final java.util.function.UnaryOperator<String> VOICES = name -> name;

  static final RealtimeSessionConfig.LanguageCheck ANY = language -> { };
  static final RealtimeSessionConfig.LanguageCheck ENGLISH_ONLY =
      language -> Languages.requireSupported(language, false, "whisper-base.en");

  static VoiceOptions node(String language) {
    return VoiceOptions.from(ConfigSource.of(Map.of("PARLEY_STT_LANGUAGE", language)));
  }

  static RealtimeSessionConfig session(VoiceOptions node) {
    return RealtimeSessionConfig.initial(node, "assistant", null, true, 24_000);
  }

  static JsonObject ga(Object language) {
    return new JsonObject().put("audio", new JsonObject().put("input", new JsonObject()
        .put("transcription", new JsonObject().put("model", "whisper").put("language", language))));
  }

  static String shown(VoiceOptions node, RealtimeSessionConfig c) {
    return c.toJson(node, UUID.randomUUID(), "token", false, "kevin16").getJsonObject("audio").getJsonObject("input")
        .getJsonObject("transcription").getString("language");
  }

  @Test
  void aSessionStartsWithTheNodesLanguage() {
    VoiceOptions french = node("fr");
    assertThat(session(french).language()).contains("fr");
    assertThat(session(french).settings(french).language()).contains("fr");
    assertThat(shown(french, session(french))).isEqualTo("fr");
    assertThat(session(node("auto")).language()).isEmpty();
    assertThat(shown(node("auto"), session(node("auto")))).isNull();
  }

  @Test
  void theClientsLanguageOverridesItAndNullOrAutoMeanDetection() throws Exception {
    VoiceOptions n = node("en");
    RealtimeSessionConfig es = session(n).update(ga("ES"), "e1", VOICES, ANY).config();
    assertThat(es.language()).contains("es");
    assertThat(es.settings(n).language()).contains("es");
    assertThat(shown(n, es)).isEqualTo("es");
    assertThat(es.update(ga(null), "e2", VOICES, ANY).config().language()).isEmpty();
    assertThat(es.update(ga("auto"), "e3", VOICES, ANY).config().language()).isEmpty();
    assertThat(es.update(new JsonObject().put("instructions", "be brief"), "e4", VOICES, ANY).config().language())
        .as("an update without the field keeps the language").contains("es");
    assertThat(session(n).update(new JsonObject().put("input_audio_transcription",
        new JsonObject().put("language", "de")), "e5", VOICES, ANY).config().language()).as("the beta shape").contains("de");
  }

  @Test
  void anUnknownCodeRefusesTheWholeUpdateNamingIt() throws Exception {
    RealtimeSessionConfig before = session(node("auto")).update(ga("es"), "e1", VOICES, ANY).config();
    JsonObject update = ga("xx").put("instructions", "changed");

    assertThatThrownBy(() -> before.update(update, "e2", VOICES, ANY).config())
        .isInstanceOf(RealtimeProtocolException.class)
        .hasMessageContaining("unknown language 'xx'")
        .satisfies(e -> {
          RealtimeProtocolException p = (RealtimeProtocolException) e;
          assertThat(p.code()).isEqualTo("invalid_value");
          assertThat(p.param()).isEqualTo("session.audio.input.transcription.language");
          assertThat(p.eventId()).isEqualTo("e2");
        });
    assertThatThrownBy(() -> before.update(ga(7), "e3", VOICES, ANY).config()).isInstanceOf(RealtimeProtocolException.class);
    assertThat(before.language()).contains("es");
    assertThat(before.instructions()).isNull();
  }

  @Test
  void anEnglishOnlyModelRefusesAnotherLanguage() throws Exception {
    RealtimeSessionConfig s = session(node("auto"));
    assertThatThrownBy(() -> s.update(ga("es"), "e1", VOICES, ENGLISH_ONLY).config())
        .isInstanceOf(RealtimeProtocolException.class)
        .hasMessageContaining("English-only");
    assertThat(s.update(ga("en"), "e2", VOICES, ENGLISH_ONLY).config().language()).contains("en");
    assertThat(s.update(ga(null), "e3", VOICES, ENGLISH_ONLY).config().language()).isEqualTo(Optional.empty());
  }

  @Test
  void aResumedSessionKeepsItsLanguage() throws Exception {
    VoiceOptions n = node("auto");
    JsonObject kept = session(n).update(ga("hi"), "e1", VOICES, ANY).config().kept();
    RealtimeSessionConfig back = RealtimeSessionConfig.resumed(n, kept, "assistant", 24_000, VOICES);
    assertThat(back.language()).contains("hi");
    // Kept as JSON in Redis between nodes: the same after a round trip.
    assertThat(RealtimeSessionConfig.resumed(n, new JsonObject(kept.encode()), "assistant", 24_000, VOICES)
        .language()).contains("hi");
    assertThat(RealtimeSessionConfig.resumed(n, session(n).kept(), "assistant", 24_000, VOICES).language())
        .isEqualTo(session(n).language());
  }
}
