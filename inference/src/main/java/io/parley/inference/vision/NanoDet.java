package io.parley.inference.vision;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * NanoDet-m's pre- and post-processing, in plain Java (cheap next to the network, and exact).
 *
 * <p><b>Input</b>: the image is letterboxed into {@link #SIZE} x {@link #SIZE}: scaled by one factor
 * to fit, centred, the borders grey (0.5), bilinear sampling; RGB in [0, 1], NCHW.
 *
 * <p><b>Output</b>, per stride 8/16/32 (a 52/26/13 grid over the 416 input): class scores already
 * through a sigmoid [cells, 80], and box sides [cells, 44] = left/top/right/bottom distances, each an
 * 11-bin distribution (softmax over the bins; the expectation times the stride). Cell {@code i}
 * centres at ((i mod W) + 0.5, (i div W) + 0.5) x stride. Candidates above the score threshold are
 * kept per class, then {@link Boxes#select}: class-wise non-maximum suppression, then boxes mapped
 * back through the letterbox to original pixels and clipped.
 */
public final class NanoDet {

  /** The network's input side. */
  public static final int SIZE = 416;
  public static final int[] STRIDES = {8, 16, 32};
  public static final int BINS = 11;
  public static final int CLASSES = 80;
  static final float PAD = 0.5f;

  private NanoDet() {}

  /** Letterboxes {@code image} into {@code out} at {@code offset} (3 x SIZE x SIZE floats, planar RGB). */
  public static Letterbox preprocess(RgbImage image, float[] out, int offset) {
    return Letterbox.fit(image, SIZE, PAD, 1f, out, offset, 1, SIZE * SIZE);
  }

  /**
   * As {@link #preprocess}, channels-last: SIZE x SIZE x 3 floats, RGB interleaved (for
   * {@link GraphRunner#runChannelsLast}).
   */
  public static Letterbox preprocessChannelsLast(RgbImage image, float[] out, int offset) {
    return Letterbox.fit(image, SIZE, PAD, 1f, out, offset, 3, 1);
  }

  /**
   * Decodes image {@code image} of a batch of {@code n} from the graph's six outputs in any order
   * ([n, cells, 80] scores and [n, cells, 44] sides per stride, told apart by their sizes).
   */
  static List<Detection> decode(FloatBuffer[] outputs, int image, int n, Letterbox box, float scoreThreshold,
                                float iouThreshold) {
    FloatBuffer[] scores = new FloatBuffer[STRIDES.length];
    FloatBuffer[] sides = new FloatBuffer[STRIDES.length];
    for (FloatBuffer o : outputs) {
      sort(o, n, scores, sides);
    }
    return decode(scores, sides, image, box, scoreThreshold, iouThreshold, COCO);
  }

  /** Places an output by its size: [n, cells, 80] scores or [n, cells, 44] sides, cells giving the stride. */
  private static void sort(FloatBuffer o, int n, FloatBuffer[] scores, FloatBuffer[] sides) {
    for (int s = 0; s < STRIDES.length; s++) {
      int grid = SIZE / STRIDES[s];
      int cells = grid * grid;
      if (o.remaining() == n * cells * CLASSES) {
        scores[s] = o;
        return;
      }
      if (o.remaining() == n * cells * 4 * BINS) {
        sides[s] = o;
        return;
      }
    }
    throw new ParleyException(Reason.INTERNAL, "unexpected NanoDet output of " + o.remaining() + " values");
  }

  /**
   * Decodes one image's outputs: {@code scores[s]} and {@code boxes[s]} per stride (flattened
   * [cells, 80] and [cells, 44], at {@code offset} cells times the row width into batch arrays).
   */
  public static List<Detection> decode(FloatBuffer[] scores, FloatBuffer[] boxes, int image, Letterbox box,
                                       float scoreThreshold, float iouThreshold, List<String> labels) {
    List<Boxes.Candidate> candidates = new ArrayList<>();
    float[] dist = new float[BINS];
    for (int s = 0; s < STRIDES.length; s++) {
      int stride = STRIDES[s];
      int grid = SIZE / stride;
      int cells = grid * grid;
      int scoreBase = image * cells * CLASSES;
      int boxBase = image * cells * 4 * BINS;
      for (int i = 0; i < cells; i++) {
        int best = -1;
        float bestScore = scoreThreshold;
        for (int c = 0; c < CLASSES; c++) {
          float v = scores[s].get(scoreBase + i * CLASSES + c);
          if (v >= bestScore) {
            bestScore = v;
            best = c;
          }
        }
        if (best < 0) {
          continue;
        }
        float cx = (i % grid + 0.5f) * stride;
        float cy = (i / grid + 0.5f) * stride;
        float[] side = new float[4];
        for (int k = 0; k < 4; k++) {
          int at = boxBase + i * 4 * BINS + k * BINS;
          float max = Float.NEGATIVE_INFINITY;
          for (int j = 0; j < BINS; j++) {
            max = Math.max(max, boxes[s].get(at + j));
          }
          float sum = 0;
          for (int j = 0; j < BINS; j++) {
            dist[j] = (float) Math.exp(boxes[s].get(at + j) - max);
            sum += dist[j];
          }
          float expectation = 0;
          for (int j = 0; j < BINS; j++) {
            expectation += j * dist[j] / sum;
          }
          side[k] = expectation * stride;
        }
        // Every class above the threshold at this cell is a candidate (class-wise NMS follows).
        for (int c = 0; c < CLASSES; c++) {
          float v = scores[s].get(scoreBase + i * CLASSES + c);
          if (v >= scoreThreshold) {
            candidates.add(new Boxes.Candidate(c, v, cx - side[0], cy - side[1], cx + side[2], cy + side[3]));
          }
        }
      }
    }
    return Boxes.select(candidates, iouThreshold, box, labels);
  }

  /** The 80 COCO class names in the order of the model's score columns. */
  public static final List<String> COCO = List.of("person", "bicycle", "car", "motorcycle", "airplane", "bus", "train",
      "truck", "boat", "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
      "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie",
      "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard",
      "surfboard", "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
      "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
      "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
      "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush");
}
