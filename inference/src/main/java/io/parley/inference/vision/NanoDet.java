package io.parley.inference.vision;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
 * kept per class, then class-wise non-maximum suppression, then boxes are mapped back through the
 * letterbox to original pixels and clipped.
 */
public final class NanoDet {

  /** The network's input side. */
  public static final int SIZE = 416;
  public static final int[] STRIDES = {8, 16, 32};
  public static final int BINS = 11;
  public static final int CLASSES = 80;
  /** At most this many candidates per image enter NMS (highest scores first). */
  public static final int MAX_CANDIDATES = 1000;
  /** At most this many objects are reported per image. */
  public static final int MAX_OBJECTS = 100;
  static final float PAD = 0.5f;

  private NanoDet() {}

  /** Where an image sits in the letterbox: scale, then offset. */
  public record Letterbox(float scale, float dx, float dy, int width, int height) {}

  /** Letterboxes {@code image} into {@code out} at {@code offset} (3 x SIZE x SIZE floats, planar RGB). */
  public static Letterbox preprocess(RgbImage image, float[] out, int offset) {
    return letterbox(image, out, offset, 1, SIZE * SIZE);
  }

  /**
   * As {@link #preprocess}, channels-last: SIZE x SIZE x 3 floats, RGB interleaved (for
   * {@link GraphRunner#runChannelsLast}).
   */
  public static Letterbox preprocessChannelsLast(RgbImage image, float[] out, int offset) {
    return letterbox(image, out, offset, 3, 1);
  }

  /** Pixel p's channel c goes to {@code out[offset + p * pixelStride + c * channelStride]}. */
  private static Letterbox letterbox(RgbImage image, float[] out, int offset, int pixelStride, int channelStride) {
    int w = image.width();
    int h = image.height();
    float scale = Math.min((float) SIZE / w, (float) SIZE / h);
    int nw = Math.max(1, Math.round(w * scale));
    int nh = Math.max(1, Math.round(h * scale));
    int x0 = (SIZE - nw) / 2;
    int y0 = (SIZE - nh) / 2;
    int plane = SIZE * SIZE;
    Arrays.fill(out, offset, offset + 3 * plane, PAD);
    byte[] rgb = image.rgb();
    float sx = (float) w / nw;
    float sy = (float) h / nh;
    for (int y = 0; y < nh; y++) {
      float fy = Math.max(0f, (y + 0.5f) * sy - 0.5f);
      int y1 = Math.min((int) fy, h - 1);
      int y2 = Math.min(y1 + 1, h - 1);
      float wy = fy - y1;
      for (int x = 0; x < nw; x++) {
        float fx = Math.max(0f, (x + 0.5f) * sx - 0.5f);
        int x1 = Math.min((int) fx, w - 1);
        int x2 = Math.min(x1 + 1, w - 1);
        float wx = fx - x1;
        int o = offset + ((y0 + y) * SIZE + (x0 + x)) * pixelStride;
        for (int c = 0; c < 3; c++) {
          float a = rgb[(y1 * w + x1) * 3 + c] & 0xff;
          float b = rgb[(y1 * w + x2) * 3 + c] & 0xff;
          float d = rgb[(y2 * w + x1) * 3 + c] & 0xff;
          float e = rgb[(y2 * w + x2) * 3 + c] & 0xff;
          float top = a + (b - a) * wx;
          float bottom = d + (e - d) * wx;
          out[o + c * channelStride] = (top + (bottom - top) * wy) / 255f;
        }
      }
    }
    return new Letterbox(scale, x0, y0, w, h);
  }

  private record Candidate(int cls, float score, float x1, float y1, float x2, float y2) {}

  /**
   * Decodes one image's outputs: {@code scores[s]} and {@code boxes[s]} per stride (flattened
   * [cells, 80] and [cells, 44], at {@code offset} cells times the row width into batch arrays).
   */
  public static List<Detection> decode(FloatBuffer[] scores, FloatBuffer[] boxes, int image, Letterbox box,
                                       float scoreThreshold, float iouThreshold, List<String> labels) {
    List<Candidate> candidates = new ArrayList<>();
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
            candidates.add(new Candidate(c, v, cx - side[0], cy - side[1], cx + side[2], cy + side[3]));
          }
        }
      }
    }
    candidates.sort(Comparator.comparingDouble(Candidate::score).reversed());
    if (candidates.size() > MAX_CANDIDATES) {
      candidates = new ArrayList<>(candidates.subList(0, MAX_CANDIDATES));
    }
    List<Candidate> kept = new ArrayList<>();
    for (Candidate c : candidates) {
      boolean suppressed = false;
      for (Candidate k : kept) {
        if (k.cls() == c.cls() && iou(k, c) > iouThreshold) {
          suppressed = true;
          break;
        }
      }
      if (!suppressed) {
        kept.add(c);
        if (kept.size() == MAX_OBJECTS) {
          break;
        }
      }
    }
    List<Detection> out = new ArrayList<>(kept.size());
    for (Candidate c : kept) {
      float x1 = clamp((c.x1() - box.dx()) / box.scale(), box.width());
      float y1 = clamp((c.y1() - box.dy()) / box.scale(), box.height());
      float x2 = clamp((c.x2() - box.dx()) / box.scale(), box.width());
      float y2 = clamp((c.y2() - box.dy()) / box.scale(), box.height());
      if (x2 > x1 && y2 > y1) {
        out.add(new Detection(labels.get(c.cls()), c.score(), x1, y1, x2, y2));
      }
    }
    return out;
  }

  private static float clamp(float v, int max) {
    return Math.max(0f, Math.min(max, v));
  }

  private static float iou(Candidate a, Candidate b) {
    float ix = Math.max(0, Math.min(a.x2(), b.x2()) - Math.max(a.x1(), b.x1()));
    float iy = Math.max(0, Math.min(a.y2(), b.y2()) - Math.max(a.y1(), b.y1()));
    float inter = ix * iy;
    float union = (a.x2() - a.x1()) * (a.y2() - a.y1()) + (b.x2() - b.x1()) * (b.y2() - b.y1()) - inter;
    return union <= 0 ? 0 : inter / union;
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
