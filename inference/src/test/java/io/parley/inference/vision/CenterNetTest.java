package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CenterNet's decoding on hand-made outputs: peaks of the class heatmaps become boxes from the
 * cell's corner point and the four side distances, a value below a neighbour or the threshold is
 * no object, the best 100 are kept, class-wise NMS runs, and boxes map back through the letterbox.
 * And its input: pixel values 0..255, black borders.
 */
class CenterNetTest {

  private static final int G = CenterNet.GRID;
  private static final int C = CenterNet.CLASSES;
  private static final Letterbox SQUARE = new Letterbox(1f, 0, 0, CenterNet.SIZE, CenterNet.SIZE);

  /** Empty outputs for {@code n} images: heatmaps [n, G, G, 80], sides [n, G, G, 4]. */
  private static float[][] outputs(int n) {
    return new float[][] {new float[n * G * G * C], new float[n * G * G * 4]};
  }

  private static void put(float[][] out, int image, int x, int y, int cls, float score, float... sides) {
    out[0][((image * G + y) * G + x) * C + cls] = score;
    if (sides.length == 4) {
      System.arraycopy(sides, 0, out[1], ((image * G + y) * G + x) * 4, 4);
    }
  }

  private static List<Detection> decode(float[][] out, int image, Letterbox box, float threshold) {
    return CenterNet.decode(FloatBuffer.wrap(out[0]), FloatBuffer.wrap(out[1]), image, box, threshold, 0.5f);
  }

  @Test
  void aPeakIsABoxAroundItsCellsCornerPoint() {
    float[][] out = outputs(1);
    // Class 16 (dog) peaks at cell (x 20, y 30): corner point (80, 120) in input pixels.
    put(out, 0, 20, 30, 16, 0.8f, 10, 20, 30, 40);
    put(out, 0, 21, 30, 16, 0.6f, 1, 1, 1, 1); // its neighbour: lower, so not a peak
    List<Detection> d = decode(out, 0, SQUARE, 0.35f);
    assertThat(d).hasSize(1);
    Detection dog = d.getFirst();
    assertThat(dog.label()).isEqualTo("dog");
    assertThat(dog.confidence()).isEqualTo(0.8f);
    assertThat(new float[] {dog.x1(), dog.y1(), dog.x2(), dog.y2()}).containsExactly(70, 100, 110, 160);
  }

  @Test
  void valuesBelowTheThresholdOrANeighbourAreNoObjects() {
    float[][] out = outputs(1);
    put(out, 0, 5, 5, 0, 0.34f, 4, 4, 4, 4);          // below 0.35
    put(out, 0, 50, 50, 47, 0.5f, 4, 4, 4, 4);        // apple, beaten by the diagonal neighbour below
    put(out, 0, 51, 51, 47, 0.7f, 4, 4, 4, 4);
    put(out, 0, 51, 50, 49, 0.9f, 4, 4, 4, 4);        // orange next to them: its own map, its own peak
    put(out, 0, 0, 0, 46, 0.4f, 0, 0, 8, 8);          // banana in the corner: no neighbours outside the grid
    put(out, 0, 127, 127, 52, 0.4f, 8, 8, 0, 0);      // hot dog in the opposite corner
    List<Detection> d = decode(out, 0, SQUARE, 0.35f);
    assertThat(d).extracting(Detection::label).containsExactly("orange", "apple", "banana", "hot dog");
    assertThat(d.get(1).confidence()).isEqualTo(0.7f);
  }

  @Test
  void equalNeighboursAreBothPeaksAndNmsKeepsOne() {
    float[][] out = outputs(1);
    // Two cells of one class with the same value (the graph's max-pool test keeps both) and nearly
    // the same box: class-wise NMS keeps the first; another class's box in the same place stays.
    put(out, 0, 40, 40, 2, 0.6f, 20, 20, 20, 20);
    put(out, 0, 41, 40, 2, 0.6f, 24, 20, 16, 20);
    put(out, 0, 60, 40, 7, 0.5f, 100, 20, 0, 20); // a truck over the same pixels
    List<Detection> d = decode(out, 0, SQUARE, 0.35f);
    assertThat(d).extracting(Detection::label).containsExactly("car", "truck");
  }

  @Test
  void atMostTheBest100Peaks() {
    float[][] out = outputs(1);
    // 150 isolated peaks of one class with scores rising with their index, boxes apart (no NMS).
    for (int i = 0; i < 150; i++) {
      put(out, 0, (i % 30) * 4, (i / 30) * 4, 0, 0.4f + i * 0.001f, 1, 1, 1, 1);
    }
    List<Detection> d = decode(out, 0, SQUARE, 0.35f);
    assertThat(d).hasSize(100);
    assertThat(d.getFirst().confidence()).isCloseTo(0.549f, within(1e-6f));
    assertThat(d.getLast().confidence()).isCloseTo(0.45f, within(1e-6f));
  }

  @Test
  void theSecondImageOfABatchAndTheLetterboxMapping() {
    float[][] out = outputs(2);
    put(out, 0, 10, 10, 0, 0.9f, 4, 4, 4, 4);
    put(out, 1, 64, 64, 16, 0.7f, 64, 32, 64, 32);
    // A 1024x512 photo letterboxed at scale 0.5: 128 rows of border above it.
    Letterbox box = new Letterbox(0.5f, 0, 128, 1024, 512);
    List<Detection> d = decode(out, 1, box, 0.35f);
    assertThat(d).hasSize(1);
    Detection dog = d.getFirst();
    assertThat(dog.label()).isEqualTo("dog");
    // Input box (192, 224)-(320, 288) -> photo ((192 - 0) * 2, (224 - 128) * 2)-(640, 320).
    assertThat(new float[] {dog.x1(), dog.y1(), dog.x2(), dog.y2()}).containsExactly(384, 192, 640, 320);
  }

  @Test
  void theInputIsPixelValuesWithBlackBorders() {
    byte[] rgb = new byte[4 * 2 * 3];
    for (int i = 0; i < rgb.length; i += 3) {
      rgb[i] = (byte) 200;
      rgb[i + 1] = (byte) 100;
      rgb[i + 2] = 50;
    }
    float[] in = new float[CenterNet.SIZE * CenterNet.SIZE * 3];
    Letterbox box = CenterNet.preprocess(new RgbImage(4, 2, rgb), in, 0);
    assertThat(box.scale()).isEqualTo(128f);
    assertThat(box.dy()).isEqualTo(128f);
    int centre = (256 * CenterNet.SIZE + 256) * 3;
    assertThat(new float[] {in[centre], in[centre + 1], in[centre + 2]}).containsExactly(new float[] {200, 100, 50},
        within(1e-3f));
    assertThat(new float[] {in[0], in[1], in[2]}).containsExactly(0, 0, 0);
  }
}
