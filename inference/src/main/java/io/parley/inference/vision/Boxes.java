package io.parley.inference.vision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The last step of every bundled detector: candidate boxes in the letterboxed input become the
 * photo's objects. The best {@link #MAX_CANDIDATES} by score enter class-wise non-maximum
 * suppression (a box overlapping a better one of its class by more than the IoU threshold goes),
 * at most {@link #MAX_OBJECTS} survive, and they are mapped back through the letterbox to the
 * photo's pixels, clipped; a box with nothing left inside the photo is dropped.
 */
final class Boxes {

  /** At most this many candidates per image enter NMS (highest scores first). */
  static final int MAX_CANDIDATES = 1000;
  /** At most this many objects are reported per image. */
  static final int MAX_OBJECTS = 100;

  private Boxes() {}

  /** A box in input pixels with its class index and score. */
  record Candidate(int cls, float score, float x1, float y1, float x2, float y2) {}

  static List<Detection> select(List<Candidate> candidates, float iouThreshold, Letterbox box, List<String> labels) {
    List<Candidate> sorted = new ArrayList<>(candidates);
    sorted.sort(Comparator.comparingDouble(Candidate::score).reversed());
    if (sorted.size() > MAX_CANDIDATES) {
      sorted = new ArrayList<>(sorted.subList(0, MAX_CANDIDATES));
    }
    List<Candidate> kept = new ArrayList<>();
    for (Candidate c : sorted) {
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
      float x1 = box.x(c.x1());
      float y1 = box.y(c.y1());
      float x2 = box.x(c.x2());
      float y2 = box.y(c.y2());
      if (x2 > x1 && y2 > y1) {
        out.add(new Detection(labels.get(c.cls()), c.score(), x1, y1, x2, y2));
      }
    }
    return out;
  }

  static float iou(Candidate a, Candidate b) {
    float ix = Math.max(0, Math.min(a.x2(), b.x2()) - Math.max(a.x1(), b.x1()));
    float iy = Math.max(0, Math.min(a.y2(), b.y2()) - Math.max(a.y1(), b.y1()));
    float inter = ix * iy;
    float union = (a.x2() - a.x1()) * (a.y2() - a.y1()) + (b.x2() - b.x1()) * (b.y2() - b.y1()) - inter;
    return union <= 0 ? 0 : inter / union;
  }
}
