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

  /**
   * The pixels of a decoded picture, read straight off the raster for the layouts decoders produce
   * (3-byte BGR, grey, interleaved RGB), else through {@code getRGB} (alpha dropped).
   */
  public static RgbImage of(java.awt.image.BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] out = new byte[w * h * 3];
    // Fast paths straight off the raster for what the decoders produce (getRGB converts per pixel).
    if (img.getRaster().getDataBuffer() instanceof java.awt.image.DataBufferByte db
        && img.getRaster().getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel sm
        && db.getNumBanks() == 1 && sm.getPixelStride() * w == sm.getScanlineStride()
        && img.getRaster().getSampleModelTranslateX() == 0 && img.getRaster().getSampleModelTranslateY() == 0) {
      byte[] src = db.getData();
      int[] offsets = sm.getBandOffsets();
      int stride = sm.getPixelStride();
      if (img.getType() == java.awt.image.BufferedImage.TYPE_3BYTE_BGR && stride == 3) {
        for (int i = 0, o = 0; o < out.length; i += 3, o += 3) {
          out[o] = src[i + 2];
          out[o + 1] = src[i + 1];
          out[o + 2] = src[i];
        }
        return new RgbImage(w, h, out);
      }
      if (img.getType() == java.awt.image.BufferedImage.TYPE_BYTE_GRAY && stride == 1) {
        for (int i = 0, o = 0; i < w * h; i++, o += 3) {
          out[o] = src[i];
          out[o + 1] = src[i];
          out[o + 2] = src[i];
        }
        return new RgbImage(w, h, out);
      }
      if (img.getType() == java.awt.image.BufferedImage.TYPE_CUSTOM && stride == 3 && offsets.length == 3 && offsets[0] == 0
          && offsets[1] == 1 && offsets[2] == 2 && img.getColorModel().getColorSpace().isCS_sRGB()) {
        System.arraycopy(src, 0, out, 0, out.length); // already R, G, B
        return new RgbImage(w, h, out);
      }
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        int o = (y * w + x) * 3;
        out[o] = (byte) (p >> 16);
        out[o + 1] = (byte) (p >> 8);
        out[o + 2] = (byte) p;
      }
    }
    return new RgbImage(w, h, out);
  }
}
