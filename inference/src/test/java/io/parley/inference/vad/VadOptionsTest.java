package io.parley.inference.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PARLEY_VAD_* keys: defaults, values honoured, the threshold rule, and every bad value named by its key. */
class VadOptionsTest {

  @Test
  void defaultsAreTheSegmentersDefaults() {
    VadOptions v = VadOptions.from(ConfigSource.of(Map.of()));
    assertThat(v.turnDetection()).isEqualTo(VadSegmenter.Settings.DEFAULTS);
    assertThat(v.silero()).isEqualTo(SileroVad.Settings.DEFAULTS);
  }

  @Test
  void theTurnDetectionFollowsTheKeys() {
    VadOptions v = VadOptions.from(ConfigSource.of(Map.of("PARLEY_VAD_START_THRESHOLD", "0.6",
        "PARLEY_VAD_MIN_SILENCE_MS", "800", "PARLEY_VAD_THREADS", "3")));
    assertThat(v.turnDetection().startThreshold()).isEqualTo(0.6);
    assertThat(v.turnDetection().minSilence()).isEqualTo(Duration.ofMillis(800));
    assertThat(v.silero().intraOpThreads()).isEqualTo(3);
  }

  @Test
  void theEndThresholdMayNotExceedTheStart() {
    assertThatThrownBy(() -> VadOptions.from(ConfigSource.of(Map.of("PARLEY_VAD_START_THRESHOLD", "0.4",
        "PARLEY_VAD_END_THRESHOLD", "0.6"))))
        .isInstanceOf(ParleyException.class)
        .hasMessage("PARLEY_VAD_END_THRESHOLD: must not be above PARLEY_VAD_START_THRESHOLD (0.4)");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_VAD_THREADS|0",
      "PARLEY_VAD_START_THRESHOLD|1.5",
      "PARLEY_VAD_END_THRESHOLD|zero",
      "PARLEY_VAD_MIN_SPEECH_MS|-1",
      "PARLEY_VAD_MIN_SILENCE_MS|10",
      "PARLEY_VAD_PREROLL_MS|6000",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> VadOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
