package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.parley.core.config.ConfigKey;
import io.parley.inference.support.Tools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CenterNet on DJL's PyTorch engine, on real photos, at the API's default score threshold. The
 * model comes with {@code ./parley models}; without it the detector does not open and these tests
 * fail.
 */
class CenterNetPhotosTest {

  static final float THRESHOLD = Float.parseFloat(ConfigKey.PARLEY_VISION_SCORE_THRESHOLD.defaultValue());

  static GraphDetector detector;

  @BeforeAll
  static void open() {
    detector = open(Duration.ofMillis(5), 8, true);
  }

  static GraphDetector open(Duration window, int maxBatch, boolean compiled) {
    return GraphDetector.open(GraphModel.CENTERNET, new GraphDetector.Settings(Tools.modelsDir().resolve("centernet"),
        1, 2, window, maxBatch, THRESHOLD, 0.5f, "cpu", compiled));
  }

  @AfterAll
  static void close() {
    if (detector != null) {
      detector.close();
    }
  }

  static Detections detect(GraphDetector d, RgbImage image) throws Exception {
    return d.detect(image).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  static List<String> labels(Detections d) {
    return d.objects().stream().map(Detection::label).toList();
  }

  @Test
  void dogBicycleAndCar() throws Exception {
    RgbImage img = Photos.rgb(Photos.darknet("dog.jpg"));
    Detections d = detect(detector, img);

    assertThat(d.model()).isEqualTo("centernet-mobilenetv3");
    assertThat(labels(d)).contains("dog", "bicycle").containsAnyOf("car", "truck");
    Detection dog = d.objects().stream().filter(o -> o.label().equals("dog")).findFirst().orElseThrow();
    // The dog sits in the lower left of the 768x576 photo; the pickup is at the top right.
    assertThat((dog.x1() + dog.x2()) / 2).isLessThan(img.width() / 2f);
    assertThat((dog.y1() + dog.y2()) / 2).isGreaterThan(img.height() / 2f);
    Detection car = d.objects().stream().filter(o -> o.label().equals("car") || o.label().equals("truck"))
        .findFirst().orElseThrow();
    assertThat(car.x1()).isGreaterThan(img.width() / 2f);
    assertThat(car.y2()).isLessThan(img.height() / 2f);
    for (Detection o : d.objects()) {
      assertThat(o.confidence()).isGreaterThanOrEqualTo(THRESHOLD);
      assertThat(o.x1()).isBetween(0f, (float) img.width());
      assertThat(o.x2()).isBetween(o.x1(), (float) img.width());
      assertThat(o.y2()).isBetween(o.y1(), (float) img.height());
    }
  }

  @Test
  void giraffeAndZebraPersonAndDog() throws Exception {
    assertThat(labels(detect(detector, Photos.rgb(Photos.darknet("giraffe.jpg"))))).contains("giraffe", "zebra");
    assertThat(labels(detect(detector, Photos.rgb(Photos.darknet("person.jpg"))))).contains("person", "dog");
  }

  /** The photo NanoDet-m sees only a dining table and a vase in at this threshold. */
  @Test
  void theFruitIsFood() throws Exception {
    RgbImage img = Photos.rgb(Photos.opencv("fruits.jpg"));
    Detections d = detect(detector, img);

    assertThat(labels(d)).containsAnyOf("orange", "apple", "banana");
    // The whole orange in the top left corner of the 512x480 photo.
    assertThat(d.objects()).anySatisfy(o -> {
      assertThat(o.label()).isEqualTo("orange");
      assertThat(o.x2()).isLessThan(200);
      assertThat(o.y2()).isLessThan(200);
    });
  }

  @Test
  void batchedCompiledAndOpByOpAnswersAgree() throws Exception {
    RgbImage dog = Photos.rgb(Photos.darknet("dog.jpg"));
    RgbImage fruits = Photos.rgb(Photos.opencv("fruits.jpg"));
    List<Detections> alone = List.of(detect(detector, dog), detect(detector, fruits));
    try (GraphDetector batching = open(Duration.ofMillis(300), 8, true);
         GraphDetector eager = open(Duration.ZERO, 1, false)) {
      assertThat(eager.compiled()).isFalse();
      List<io.vertx.core.Future<Detections>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        futures.add(batching.detect(i % 2 == 0 ? dog : fruits));
      }
      int largest = 0;
      for (int i = 0; i < 4; i++) {
        Detections d = futures.get(i).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        largest = Math.max(largest, d.timings().batchSize());
        assertSame(d, alone.get(i % 2), "batched image " + i);
      }
      assertThat(largest).as("images that arrived together ran as one batch").isGreaterThan(1);
      assertSame(detect(eager, dog), alone.get(0), "op by op");
    }
  }

  private static void assertSame(Detections d, Detections expected, String what) {
    assertThat(labels(d)).as(what).isEqualTo(labels(expected));
    for (int k = 0; k < d.objects().size(); k++) {
      Detection a = d.objects().get(k);
      Detection b = expected.objects().get(k);
      assertThat(a.confidence()).as(what).isCloseTo(b.confidence(), within(1e-3f));
      assertThat(a.x1()).as(what).isCloseTo(b.x1(), within(0.5f));
      assertThat(a.y2()).as(what).isCloseTo(b.y2(), within(0.5f));
    }
  }
}
