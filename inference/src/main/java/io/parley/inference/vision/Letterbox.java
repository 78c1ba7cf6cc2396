package io.parley.inference.vision;

import java.util.Arrays;

/**
 * Where a photo sits in a detector's square input: scaled by one factor ({@code scale}) to fit,
 * centred ({@code dx}, {@code dy}: the left and top border), the photo {@code width} x
 * {@code height} pixels. Boxes found in the input map back to the photo by {@link #x} and {@link #y}.
 */
public record Letterbox(float scale, float dx, float dy, int width, int height) {

  /**
   * Letterboxes {@code image} into {@code side} x {@code side} values per channel: bilinear
   * sampling, borders {@code pad}, each 8-bit channel value v written as {@code v * range / 255}.
   * Pixel p's channel c goes to {@code out[offset + p * pixelStride + c * channelStride]} (planar:
   * 1, side x side; channels-last: 3, 1).
   */
  static Letterbox fit(RgbImage image, int side, float pad, float range, float[] out, int offset, int pixelStride,
                       int channelStride) {
    int w = image.width();
    int h = image.height();
    float scale = Math.min((float) side / w, (float) side / h);
    int nw = Math.max(1, Math.round(w * scale));
    int nh = Math.max(1, Math.round(h * scale));
    int x0 = (side - nw) / 2;
    int y0 = (side - nh) / 2;
    Arrays.fill(out, offset, offset + 3 * side * side, pad);
    byte[] rgb = image.rgb();
    float sx = (float) w / nw;
    float sy = (float) h / nh;
    float unit = range / 255f;
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
        int o = offset + ((y0 + y) * side + (x0 + x)) * pixelStride;
        for (int c = 0; c < 3; c++) {
          float a = rgb[(y1 * w + x1) * 3 + c] & 0xff;
          float b = rgb[(y1 * w + x2) * 3 + c] & 0xff;
          float d = rgb[(y2 * w + x1) * 3 + c] & 0xff;
          float e = rgb[(y2 * w + x2) * 3 + c] & 0xff;
          float top = a + (b - a) * wx;
          float bottom = d + (e - d) * wx;
          out[o + c * channelStride] = (top + (bottom - top) * wy) * unit;
        }
      }
    }
    return new Letterbox(scale, x0, y0, w, h);
  }

  /** An x in the input, in the photo's pixels (clipped to it). */
  float x(float input) {
    return Math.max(0f, Math.min(width, (input - dx) / scale));
  }

  /** A y in the input, in the photo's pixels (clipped to it). */
  float y(float input) {
    return Math.max(0f, Math.min(height, (input - dy) / scale));
  }
}
