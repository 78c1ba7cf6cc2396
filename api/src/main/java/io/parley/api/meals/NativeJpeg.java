package io.parley.api.meals;

import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * A native JPEG decoder: libjpeg-turbo through the JDK's foreign function API ({@link TurboJpeg}).
 * The project builds for Java 21, where that API is still a preview, so the implementation is
 * compiled for Java 22 on its own and loaded by name only on a JDK that has the API; everywhere
 * else (or without the library) {@link #get()} is empty and photos go through javax.imageio.
 */
interface NativeJpeg {

  /** A decoded picture: 3-byte RGB pixels, row-major, {@code width x height}. */
  record Pixels(int width, int height, byte[] rgb) {}

  /** Data the library refuses (corrupt, truncated, unsupported), with its message. */
  final class JpegException extends Exception {
    private static final long serialVersionUID = 1L;

    JpegException(String message) {
      super(message);
    }
  }

  /**
   * Decodes {@code jpeg} (stored size {@code width x height}) scaled down by {@code denominator}
   * (1, 2, 4 or 8) inside the decoder: the result is ceil(width / d) x ceil(height / d).
   */
  Pixels decode(byte[] jpeg, int width, int height, int denominator) throws JpegException;

  /** The decoder, when this JDK and system have it. */
  static Optional<NativeJpeg> get() {
    return Loaded.INSTANCE;
  }

  /** Loads the implementation once, on first use. */
  final class Loaded {
    private Loaded() {}

    static final Optional<NativeJpeg> INSTANCE = load();

    @SuppressWarnings("unchecked")
    private static Optional<NativeJpeg> load() {
      if (Runtime.version().feature() < 22) {
        LoggerFactory.getLogger(NativeJpeg.class).info(
            "vision: Java {} has no foreign function API; JPEG photos are decoded by the JDK's slower decoder",
            Runtime.version().feature());
        return Optional.empty();
      }
      try {
        return (Optional<NativeJpeg>) Class.forName("io.parley.api.meals.TurboJpeg").getDeclaredMethod("load")
            .invoke(null);
      } catch (ReflectiveOperationException | LinkageError e) {
        LoggerFactory.getLogger(NativeJpeg.class).warn("vision: libjpeg-turbo could not be used: {}", e.toString());
        return Optional.empty();
      }
    }
  }
}
