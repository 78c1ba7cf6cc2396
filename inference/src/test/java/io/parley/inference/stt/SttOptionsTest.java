package io.parley.inference.stt;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PARLEY_WHISPER_* and PARLEY_STT_* keys: defaults, values honoured, and every bad value named by its key. */
class SttOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    SttOptions s = SttOptions.from(ConfigSource.of(Map.of()));
    assertThat(s.model()).isEmpty();
    assertThat(s.threads()).isEqualTo(2);
    assertThat(s.workers()).isEqualTo(1);
    assertThat(s.interimEvery()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.language()).as("auto: Whisper detects the language").isEmpty();
  }

  @Test
  void valuesAreHonouredAndAutoMeansDetection() {
    SttOptions s = SttOptions.from(ConfigSource.of(Map.of("PARLEY_WHISPER_MODEL", "/srv/ggml-base.bin",
        "PARLEY_STT_INTERIM_MS", "0", "PARLEY_STT_LANGUAGE", "Auto")));
    assertThat(s.model()).contains(Path.of("/srv/ggml-base.bin"));
    assertThat(s.interimEvery()).isZero();
    assertThat(s.language()).isEmpty();
  }

  @Test
  void withoutTheKeyTheDefaultModelUnderTheModelsDirectoryIsUsedWhenItIsThere(@TempDir Path models) throws IOException {
    Map<String, String> settings = Map.of("PARLEY_MODELS", models.toString());
    assertThat(SttOptions.from(ConfigSource.of(settings)).model()).isEmpty();
    Path base = Files.createDirectories(models.resolve("whisper")).resolve("ggml-base-q5_1.bin");
    Files.write(base, new byte[] {1});
    assertThat(SttOptions.from(ConfigSource.of(settings)).model()).contains(base);
    assertThat(SttOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", models.toString(),
        "PARLEY_WHISPER_MODEL", "/srv/other.bin"))).model()).contains(Path.of("/srv/other.bin"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_WHISPER_THREADS|0",
      "PARLEY_WHISPER_THREADS|65",
      "PARLEY_STT_WORKERS|many",
      "PARLEY_STT_INTERIM_MS|-1",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> SttOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
