package io.parley.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.ParleyConfig;
import io.parley.core.testing.ConfigErrors;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad value of any feature's key stops the node before it starts anything, naming the key. */
class FeatureOptionsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_TURN_PORT|70000",
      "PARLEY_CALL_LIMIT|0",
      "PARLEY_SIGNAL_RATE|0",
      "PARLEY_VOICE_IDLE_TIMEOUT|0",
      "PARLEY_VAD_THREADS|0",
      "PARLEY_STT_WORKERS|0",
      "PARLEY_LLM_MAX_TOKENS|0",
      "PARLEY_TTS_WORKERS|0",
      "PARLEY_VISION_MAX_BATCH|0",
  })
  void aBadFeatureKeyStopsTheNodeBeforeItStarts(String key, String value, @TempDir Path dir) {
    Path home = dir.resolve("home");
    ParleyConfig config = ParleyConfig.of(Map.of("PARLEY_HOME", home.toString(), key, value));
    ConfigErrors.assertRefusedNaming(key, () -> ParleyServer.FeatureOptions.of(config));
    ConfigErrors.assertRefusedNaming(key, () -> ParleyServer.start(config));
    assertThat(home).doesNotExist();
  }
}
