package io.parley.api.meals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The photo keys: defaults, the rules that join two keys, and every bad value named by its key. */
class VisionOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    VisionOptions v = VisionOptions.from(ConfigSource.of(Map.of()));
    assertThat(v.model()).isEqualTo(VisionOptions.VisionModel.CENTERNET);
    assertThat(v.uploadMemory()).isEqualTo(256L * 1024 * 1024);
    assertThat(v.maxPhotoBytes()).isEqualTo(10 * 1024 * 1024);
    assertThat(v.imageRetention()).isEqualTo(Duration.ofDays(30));
  }

  @Test
  void theUploadMemoryMustHoldAtLeastOnePhoto() {
    assertThatThrownBy(() -> VisionOptions.from(ConfigSource.of(Map.of("PARLEY_PHOTO_MAX_BYTES", "2000000",
        "PARLEY_PHOTO_UPLOAD_MEMORY", "1000000"))))
        .hasMessageStartingWith("PARLEY_PHOTO_UPLOAD_MEMORY (1000000 bytes) must be at least PARLEY_PHOTO_MAX_BYTES");
  }

  @Test
  void aYoloModelNeedsItsFile() {
    assertThatThrownBy(() -> VisionOptions.from(ConfigSource.of(Map.of("PARLEY_VISION_MODEL", "yolo"))))
        .hasMessageStartingWith("PARLEY_VISION_YOLO_FILE: required");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_VISION_MODEL|resnet",
      "PARLEY_VISION_SCORE_THRESHOLD|1.5",
      "PARLEY_VISION_MAX_BATCH|0",
      "PARLEY_PHOTO_MAX_BYTES|12",
      "PARLEY_VISION_DEVICE|tpu",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> VisionOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
