package io.parley.api.meals;

import io.parley.api.http.ApiProblem;
import io.parley.inference.vision.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns uploaded bytes into an upright {@link RgbImage}, safely:
 *
 * <ol>
 *   <li>the type is sniffed from the bytes (JPEG, PNG, WebP), never taken from a name or header;</li>
 *   <li>the dimensions are read from the file's own header (JPEG SOFn, PNG IHDR, WebP VP8/VP8L/VP8X)
 *       and checked against the pixel cap <em>before</em> anything is decoded, so a small file that
 *       would expand to gigabytes (a decompression bomb) is refused at a few bytes' cost;</li>
 *   <li>the image is decoded: JPEG with libjpeg-turbo ({@link TurboJpeg}) where the system has it,
 *       scaled inside the decoder for large photos, else javax.imageio (WebP through the
 *       TwelveMonkeys plugin); a corrupt or truncated file is a 422;</li>
 *   <li>the JPEG EXIF orientation (tag 0x0112 in the APP1 Exif segment) is applied, so boxes are
 *       in the coordinates of the picture as people see it.</li>
 * </ol>
 *
 * Blocking (decoding): call on a worker thread. Errors are {@link ApiProblem}s with the API's
 * error shape: 400 empty, 413 too large, 415 not an image type we read, 422 corrupt.
 */
public final class ImageInput {

  /** The formats read. */
  public enum Format { JPEG, PNG, WEBP }

  /**
   * A decoded photo: its format, its size as stored, its EXIF orientation, and the upright pixels,
   * possibly decoded at a reduced size ({@code subsampling} > 1: every n-th pixel). {@link #width()}
   * and {@link #height()} are the upright picture's full size; multiply coordinates in
   * {@code image} by {@link #scaleX()} and {@link #scaleY()} to get there.
   */
  public record Decoded(Format format, int storedWidth, int storedHeight, int orientation, int subsampling,
                        RgbImage image) {
    public int width() {
      return orientation >= 5 ? storedHeight : storedWidth;
    }

    public int height() {
      return orientation >= 5 ? storedWidth : storedHeight;
    }

    public double scaleX() {
      return (double) width() / image.width();
    }

    public double scaleY() {
      return (double) height() / image.height();
    }
  }

  /**
   * Photos are decoded at most this many times larger than the detector's input side: a 12 Mpx
   * phone photo is read as every n-th pixel (JPEG and PNG decoders skip the rest), which the
   * detector cannot tell apart after its own resize to 416 but which costs a fraction of the time
   * and memory.
   */
  public static final int DECODE_SIDE = 2 * 416;

  private final long maxBytes;
  private final long maxPixels;

  public ImageInput(long maxBytes, long maxPixels) {
    this.maxBytes = maxBytes;
    this.maxPixels = maxPixels;
  }

  /** The format by magic bytes, or null. */
  public static Format sniff(byte[] b) {
    if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
      return Format.JPEG;
    }
    if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0D
        && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
      return Format.PNG;
    }
    if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E'
        && b[10] == 'B' && b[11] == 'P') {
      return Format.WEBP;
    }
    return null;
  }

  /** Width and height from the header, without decoding; null when the header is broken. */
  public static int[] dimensions(byte[] b, Format f) {
    try {
      return switch (f) {
        case PNG -> pngSize(b);
        case JPEG -> jpegSize(b);
        case WEBP -> webpSize(b);
      };
    } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
      return null;
    }
  }

  private static int[] pngSize(byte[] b) {
    // Signature (8), then the IHDR chunk: length (4), "IHDR", width (4), height (4), big-endian.
    if (b.length < 24 || b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') {
      return null;
    }
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
    return new int[] {bb.getInt(16), bb.getInt(20)};
  }

  private static int[] jpegSize(byte[] b) {
    int i = 2;
    while (i + 4 <= b.length) {
      if ((b[i] & 0xff) != 0xFF) {
        return null;
      }
      int marker = b[i + 1] & 0xff;
      if (marker == 0xFF) {
        i++; // fill byte
        continue;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        i += 2;
        continue;
      }
      int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
      if (length < 2) {
        return null;
      }
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        int h = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff);
        int w = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
        return new int[] {w, h};
      }
      if (marker == 0xDA || marker == 0xD9) {
        return null; // image data or the end before any frame header
      }
      i += 2 + length;
    }
    return null;
  }

  private static int[] webpSize(byte[] b) {
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    String chunk = new String(b, 12, 4, java.nio.charset.StandardCharsets.US_ASCII);
    // The first chunk's payload must be in the file: a header without its image data is damaged
    // (TwelveMonkeys' reader would hand back an empty picture).
    long chunkSize = bb.getInt(16) & 0xFFFFFFFFL;
    if (chunkSize < 10 || 20 + chunkSize > b.length) {
      return null;
    }
    switch (chunk) {
      case "VP8 " -> {
        // Frame tag (3), start code 9D 01 2A, then 14-bit width and height.
        if ((b[23] & 0xff) != 0x9D || (b[24] & 0xff) != 0x01 || (b[25] & 0xff) != 0x2A) {
          return null;
        }
        return new int[] {bb.getShort(26) & 0x3FFF, bb.getShort(28) & 0x3FFF};
      }
      case "VP8L" -> {
        if ((b[20] & 0xff) != 0x2F) {
          return null;
        }
        int bits = bb.getInt(21);
        return new int[] {(bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1};
      }
      case "VP8X" -> {
        int w = 1 + ((b[24] & 0xff) | (b[25] & 0xff) << 8 | (b[26] & 0xff) << 16);
        int h = 1 + ((b[27] & 0xff) | (b[28] & 0xff) << 8 | (b[29] & 0xff) << 16);
        return new int[] {w, h};
      }
      default -> {
        return null;
      }
    }
  }

  /** The EXIF orientation (1..8) of a JPEG, 1 when there is none. */
  public static int orientation(byte[] b) {
    try {
      int i = 2;
      while (i + 4 <= b.length && (b[i] & 0xff) == 0xFF) {
        int marker = b[i + 1] & 0xff;
        int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
        if (marker == 0xDA || length < 2) {
          return 1;
        }
        if (marker == 0xE1 && length >= 16 && b[i + 4] == 'E' && b[i + 5] == 'x' && b[i + 6] == 'i' && b[i + 7] == 'f') {
          int tiff = i + 10;
          ByteOrder order = b[tiff] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
          ByteBuffer bb = ByteBuffer.wrap(b).order(order);
          int ifd = tiff + bb.getInt(tiff + 4);
          int entries = bb.getShort(ifd) & 0xffff;
          for (int e = 0; e < entries && e < 512; e++) {
            int at = ifd + 2 + e * 12;
            if ((bb.getShort(at) & 0xffff) == 0x0112) {
              int v = bb.getShort(at + 8) & 0xffff;
              return v >= 1 && v <= 8 ? v : 1;
            }
          }
          return 1;
        }
        i += 2 + length;
      }
    } catch (IndexOutOfBoundsException e) {
      return 1;
    }
    return 1;
  }

  /** Sniffs, checks and decodes {@code bytes}; see the class comment. */
  public Decoded decode(byte[] bytes) {
    if (bytes.length == 0) {
      throw new ApiProblem(400, "empty_image", "the image is empty (0 bytes)", null);
    }
    if (bytes.length > maxBytes) {
      throw new ApiProblem(413, "image_too_large", "the image is " + bytes.length + " bytes; at most " + maxBytes
          + " (PARLEY_PHOTO_MAX_BYTES)", null);
    }
    Format format = sniff(bytes);
    if (format == null) {
      throw new ApiProblem(415, "unsupported_image_type", "not a JPEG, PNG or WebP image (judged by its bytes)", null);
    }
    int[] size = dimensions(bytes, format);
    if (size == null || size[0] <= 0 || size[1] <= 0) {
      throw new ApiProblem(422, "corrupt_image", "the " + format + " header is damaged or truncated", null);
    }
    if ((long) size[0] * size[1] > maxPixels) {
      throw new ApiProblem(413, "image_too_many_pixels", "the image is " + size[0] + " x " + size[1] + " pixels; at most "
          + maxPixels + " pixels in all (PARLEY_PHOTO_MAX_PIXELS)", null);
    }
    RgbImage stored;
    int subsampling = Math.max(1, Math.max(size[0], size[1]) / DECODE_SIDE);
    Optional<NativeJpeg> turbo = format == Format.JPEG ? NativeJpeg.get() : Optional.empty();
    if (turbo.isPresent()) {
      // libjpeg-turbo scales inside the decoder, by 1/2, 1/4 or 1/8: the largest of those that
      // still leaves DECODE_SIDE pixels on the long side. It writes RGB straight into the result.
      subsampling = Integer.highestOneBit(Math.min(subsampling, 8));
      try {
        NativeJpeg.Pixels px = turbo.get().decode(bytes, size[0], size[1], subsampling);
        stored = new RgbImage(px.width(), px.height(), px.rgb());
      } catch (NativeJpeg.JpegException e) {
        throw new ApiProblem(422, "corrupt_image", "the JPEG image is damaged or truncated: " + e.getMessage(), null);
      }
    } else {
      BufferedImage img = decodeWithImageIo(bytes, format, subsampling);
      stored = img == null ? null : RgbImage.of(img);
    }
    int expectW = (size[0] + subsampling - 1) / subsampling;
    int expectH = (size[1] + subsampling - 1) / subsampling;
    if (stored == null || stored.width() != expectW || stored.height() != expectH) {
      throw new ApiProblem(422, "corrupt_image", "the " + format + " image does not decode to its header's size", null);
    }
    int orientation = format == Format.JPEG ? orientation(bytes) : 1;
    RgbImage upright = orient(stored, orientation);
    return new Decoded(format, size[0], size[1], orientation, subsampling, upright);
  }

  /** The JDK's decoders (with TwelveMonkeys' WebP), every n-th pixel when {@code subsampling} > 1. */
  static BufferedImage decodeWithImageIo(byte[] bytes, Format format, int subsampling) {
    BufferedImage img;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      var readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new ApiProblem(415, "unsupported_image_type", "no decoder for this " + format + " image", null);
      }
      ImageReader reader = readers.next();
      // A truncated JPEG decodes "successfully" with a warning and grey rows: warnings are damage.
      java.util.List<String> warnings = new java.util.ArrayList<>();
      reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      try {
        reader.setInput(in, true, true);
        var param = reader.getDefaultReadParam();
        if (subsampling > 1) {
          param.setSourceSubsampling(subsampling, subsampling, 0, 0);
        }
        img = reader.read(0, param);
      } finally {
        reader.dispose();
      }
      if (!warnings.isEmpty()) {
        throw new ApiProblem(422, "corrupt_image", "the " + format + " image is damaged or truncated: "
            + warnings.getFirst(), null);
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ApiProblem p) {
        throw p;
      }
      throw new ApiProblem(422, "corrupt_image", "the " + format + " image could not be decoded: " + e.getMessage(), null);
    }
    return img;
  }

  /**
   * Applies EXIF orientation 2..8 (mirror and/or rotate) to stored pixels; 1 (or an unknown value)
   * is as stored. Each output pixel (x', y') is read from the stored one the orientation puts there.
   */
  static RgbImage orient(RgbImage in, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return in;
    }
    int w = in.width();
    int h = in.height();
    boolean swap = orientation >= 5;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    byte[] src = in.rgb();
    byte[] out = new byte[src.length];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int sx;
        int sy;
        switch (orientation) {
          case 2 -> { sx = w - 1 - x; sy = y; }
          case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
          case 4 -> { sx = x; sy = h - 1 - y; }
          case 5 -> { sx = y; sy = x; }
          case 6 -> { sx = y; sy = h - 1 - x; }
          case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
          default -> { sx = w - 1 - y; sy = x; } // 8
        }
        int s = (sy * w + sx) * 3;
        int o = (y * ow + x) * 3;
        out[o] = src[s];
        out[o + 1] = src[s + 1];
        out[o + 2] = src[s + 2];
      }
    }
    return new RgbImage(ow, oh, out);
  }

  static RgbImage rgb(BufferedImage img) {
    return RgbImage.of(img);
  }
}
