package io.parley.inference.vision;

import java.util.Objects;

/**
 * A decoded picture as the detector takes it: {@code width x height} pixels, row-major, three bytes
 * per pixel in R, G, B order, already turned upright (EXIF orientation applied by whoever decoded it).
 */
public record RgbImage(int width, int height, byte[] rgb) {

  public RgbImage {
    Objects.requireNonNull(rgb, "rgb");
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
    }
    if ((long) width * height * 3 != rgb.length) {
      throw new IllegalArgumentException(
          "rgb has " + rgb.length + " bytes, " + width + "x" + height + " needs " + (long) width * height * 3);
    }
  }
}
