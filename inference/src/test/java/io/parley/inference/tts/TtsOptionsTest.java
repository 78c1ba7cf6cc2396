package io.parley.inference.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import io.parley.inference.tts.TtsOptions.TtsEngine;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PARLEY_TTS_* keys: defaults, the server the openai engine needs, and every bad value named by its key. */
class TtsOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    TtsOptions t = TtsOptions.from(ConfigSource.of(Map.of()));
    assertThat(t.engine()).isEqualTo(TtsEngine.AUTO);
    assertThat(t.voice()).as("the engine's default").isEmpty();
    assertThat(t.workers()).isEqualTo(2);
  }

  @Test
  void theOpenAiEngineNeedsItsServer() {
    assertThatThrownBy(() -> TtsOptions.from(ConfigSource.of(Map.of("PARLEY_TTS_ENGINE", "openai"))))
        .hasMessage("PARLEY_TTS_BASE_URL: required with PARLEY_TTS_ENGINE=openai");
    TtsOptions t = TtsOptions.from(ConfigSource.of(Map.of("PARLEY_TTS_ENGINE", "openai",
        "PARLEY_TTS_BASE_URL", "http://localhost:8880/v1", "PARLEY_TTS_API_KEY", "sk-hunter2",
        "PARLEY_TTS_VOICE", "alloy")));
    try (OpenAiSpeech speech = OpenAiSpeech.from(t)) {
      assertThat(speech.voice()).isEqualTo("alloy");
    }
    assertThat(t.toString()).doesNotContain("hunter2");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_TTS_ENGINE|festival",
      "PARLEY_TTS_BASE_URL|http://",
      "PARLEY_TTS_WORKERS|0",
      "PARLEY_TTS_WORKERS|65",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> TtsOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
