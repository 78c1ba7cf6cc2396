package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import io.parley.inference.llm.LlmOptions.LlmEngine;
import io.parley.inference.tts.TtsOptions.TtsEngine;
import io.parley.inference.vad.VadSegmenter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The voice keys: the session settings, each engine's options parsed with them, and every bad
 * value (the engines' included) named by its key.
 */
class VoiceOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    VoiceOptions v = VoiceOptions.from(ConfigSource.of(Map.of()));
    assertThat(v.enabled()).isTrue();
    assertThat(v.bargeIn()).isEqualTo(Duration.ofMillis(300));
    assertThat(v.contextMessages()).isEqualTo(20);
    assertThat(v.sessionGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(v.idleTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(v.maxSessionsPerUser()).isEqualTo(3);
    assertThat(v.vad().turnDetection()).isEqualTo(VadSegmenter.Settings.DEFAULTS);
    assertThat(v.stt().model()).isEmpty();
    assertThat(v.llm().effectiveEngine()).isEqualTo(LlmEngine.NONE);
    assertThat(v.tts().engine()).isEqualTo(TtsEngine.AUTO);
    assertThat(v.uploadMemory()).isEqualTo(128L << 20);
  }

  @Test
  void valuesAreHonoured() {
    VoiceOptions v = VoiceOptions.from(ConfigSource.of(Map.of("PARLEY_VOICE_ENABLED", "false",
        "PARLEY_VOICE_BARGE_IN_MS", "250", "PARLEY_LLM_CONTEXT_MESSAGES", "0", "PARLEY_VOICE_SESSION_GRACE", "0",
        "PARLEY_VOICE_MAX_SESSIONS_PER_USER", "50", "PARLEY_LLM_MAX_TOKENS", "48", "PARLEY_TTS_WORKERS", "4",
        "PARLEY_AUDIO_UPLOAD_MEMORY", "26214400")));
    assertThat(v.enabled()).isFalse();
    assertThat(v.bargeIn()).isEqualTo(Duration.ofMillis(250));
    assertThat(v.contextMessages()).isZero();
    assertThat(v.sessionGrace()).isZero();
    assertThat(v.maxSessionsPerUser()).isEqualTo(50);
    assertThat(v.llm().maxTokens()).isEqualTo(48);
    assertThat(v.tts().workers()).isEqualTo(4);
    assertThat(v.uploadMemory()).as("one upload of the 25 MiB limit").isEqualTo(26_214_400);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_VOICE_ENABLED|maybe",
      "PARLEY_VOICE_BARGE_IN_MS|10001",
      "PARLEY_LLM_CONTEXT_MESSAGES|-1",
      "PARLEY_VOICE_SESSION_GRACE|3601",
      "PARLEY_VOICE_IDLE_TIMEOUT|0",
      "PARLEY_VOICE_MAX_SESSIONS_PER_USER|0",
      "PARLEY_AUDIO_UPLOAD_MEMORY|26214399",
      "PARLEY_VAD_END_THRESHOLD|0.9",
      "PARLEY_WHISPER_THREADS|0",
      "PARLEY_LLM_ENGINE|gpt",
      "PARLEY_TTS_ENGINE|festival",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> VoiceOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
