package io.parley.inference.vision;

/**
 * One detected object: a COCO class name, the model's confidence in [0, 1] and the box in the
 * original image's pixel coordinates ({@code x1 <= x2}, {@code y1 <= y2}, clipped to the image).
 */
public record Detection(String label, float confidence, float x1, float y1, float x2, float y2) {

  /** The box's area in pixels. */
  public float area() {
    return Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  }
}
