package io.parley.inference.vision;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Real photos from Debian packages ({@code darknet}, {@code opencv-doc}; {@code ./parley test}
 * installs both), decoded into {@link RgbImage}s. A missing photo fails the test that needs it.
 */
public final class Photos {

  public static final Path DARKNET = Path.of("/usr/share/darknet/data");
  public static final Path OPENCV = Path.of("/usr/share/doc/opencv-doc/examples/data");

  private Photos() {}

  public static Path darknet(String name) {
    return require(DARKNET.resolve(name), "darknet");
  }

  public static Path opencv(String name) {
    return require(OPENCV.resolve(name), "opencv-doc");
  }

  private static Path require(Path p, String pkg) {
    if (!Files.isRegularFile(p)) {
      throw new AssertionError(p + " is missing: install the Debian package " + pkg + " (./parley test does)");
    }
    return p;
  }

  public static RgbImage rgb(Path file) throws IOException {
    BufferedImage img = ImageIO.read(file.toFile());
    if (img == null) {
      throw new IOException("not an image: " + file);
    }
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] rgb = new byte[w * h * 3];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        int o = (y * w + x) * 3;
        rgb[o] = (byte) (p >> 16);
        rgb[o + 1] = (byte) (p >> 8);
        rgb[o + 2] = (byte) p;
      }
    }
    return new RgbImage(w, h, rgb);
  }
}
