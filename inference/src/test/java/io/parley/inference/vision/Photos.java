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
    return RgbImage.of(img);
  }
}
