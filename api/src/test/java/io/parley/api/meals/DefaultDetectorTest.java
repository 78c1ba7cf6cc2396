package io.parley.api.meals;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.TestNode;
import io.parley.core.config.ConfigSource;
import io.parley.inference.vision.Detection;
import io.parley.inference.vision.Photos;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The detector a node runs without any vision setting, at the default score threshold, sees the
 * food in opencv's {@code fruits.jpg} (oranges, a banana): NanoDet-m, the default before, saw only a
 * dining table and a vase there. The models come with {@code ./parley models}; without them this fails.
 */
class DefaultDetectorTest {

  @Test
  void theDefaultDetectorFindsTheFruit() throws Exception {
    VisionOptions defaults = VisionOptions.from(ConfigSource.of(Map.of()));
    Vertx vertx = Vertx.vertx();
    try (VisionServices vision = VisionServices.start(vertx, defaults, TestNode.modelsDir())) {
      assertThat(vision.detector()).as(String.valueOf(vision.missing())).isPresent();
      byte[] photo = Files.readAllBytes(Photos.opencv("fruits.jpg"));
      VisionServices.Analysis a = vision.analyze(photo).toCompletionStage().toCompletableFuture()
          .get(120, TimeUnit.SECONDS);
      List<String> labels = a.objects().stream().map(Detection::label).toList();
      assertThat(labels).as("at the default threshold %s", defaults.scoreThreshold())
          .containsAnyOf("orange", "apple", "banana");
      assertThat(a.objects()).allSatisfy(o -> assertThat(o.confidence()).isGreaterThanOrEqualTo(
          (float) defaults.scoreThreshold()));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
