package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.support.Tools;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** NanoDet-m on DJL's PyTorch engine, on real photos, with tolerant assertions. */
class NanoDetPhotosTest {

  static GraphDetector detector;

  @BeforeAll
  static void open() {
    detector = GraphDetector.open(GraphModel.NANODET, new GraphDetector.Settings(Tools.modelsDir().resolve("nanodet"),
        1, 2, Duration.ofMillis(5), 8, 0.15f, 0.5f, "cpu"));
  }

  @AfterAll
  static void close() {
    if (detector != null) {
      detector.close();
    }
  }

  static Detections detect(RgbImage image) throws Exception {
    return detector.detect(image).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static final List<String> FOOD = List.of("banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog",
      "pizza", "donut", "cake");

  /** The labels found with at least {@code min} confidence. */
  static List<String> labels(Detections d, double min) {
    return d.objects().stream().filter(o -> o.confidence() >= min).map(Detection::label).toList();
  }

  /** Animals and vehicles: NanoDet-m is sure of them. */
  static List<String> labels(Detections d) {
    return labels(d, 0.35);
  }

  /** Fruit: the model is far less sure of it (0.2 to 0.35 on these photos), as its authors' demos use 0.15 to 0.2. */
  static List<String> food(Detections d) {
    return labels(d, 0.2);
  }

  @Test
  void dogBicycleAndCar() throws Exception {
    RgbImage img = Photos.rgb(Photos.darknet("dog.jpg"));
    Detections d = detect(img);

    assertThat(labels(d)).contains("dog", "bicycle");
    assertThat(labels(d)).containsAnyOf("car", "truck");
    Detection dog = d.objects().stream().filter(o -> o.label().equals("dog")).findFirst().orElseThrow();
    // The dog sits in the lower left of the 768x576 photo.
    assertThat((dog.x1() + dog.x2()) / 2).isLessThan(img.width() / 2f);
    assertThat((dog.y1() + dog.y2()) / 2).isGreaterThan(img.height() / 2f);
    for (Detection o : d.objects()) {
      assertThat(o.x1()).isBetween(0f, (float) img.width());
      assertThat(o.x2()).isBetween(o.x1(), (float) img.width());
      assertThat(o.y2()).isBetween(o.y1(), (float) img.height());
    }
  }

  @Test
  void personHorseDog() throws Exception {
    Detections d = detect(Photos.rgb(Photos.darknet("person.jpg")));

    assertThat(labels(d)).contains("person", "horse", "dog");
  }

  @Test
  void horses() throws Exception {
    Detections d = detect(Photos.rgb(Photos.darknet("horses.jpg")));

    assertThat(labels(d).stream().filter("horse"::equals).count()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void fruit() throws Exception {
    Detections fruits = detect(Photos.rgb(Photos.opencv("fruits.jpg")));

    assertThat(food(fruits)).contains("orange", "banana", "apple");
    Detections apple = detect(Photos.rgb(Photos.opencv("apple.jpg")));

    assertThat(food(apple)).contains("apple");
    Detections orange = detect(Photos.rgb(Photos.opencv("orange.jpg")));

    // A frame-filling close-up of one orange: NanoDet-m does not call it an orange at all, but it
    // does see food there (cake, apple, banana at 0.15 to 0.2 on this photo).
    assertThat(labels(orange, 0.15)).containsAnyElementsOf(FOOD);
  }
}
