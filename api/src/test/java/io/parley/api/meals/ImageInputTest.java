package io.parley.api.meals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.http.ApiProblem;
import io.parley.inference.vision.Photos;
import io.parley.inference.vision.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Sniffing, header dimensions (before decoding), decoding and EXIF orientation of uploads. */
class ImageInputTest {

  @TempDir
  Path dir;

  private final ImageInput input = new ImageInput(8 * 1024 * 1024, 10_000_000);

  /** A real WebP made by Debian's cwebp (package webp; ./parley test installs it). */
  private byte[] webp(Path jpeg, boolean lossless) throws Exception {
    Path cwebp = Path.of("/usr/bin/cwebp");
    assertThat(cwebp).as("cwebp from the Debian package webp").isExecutable();
    Path out = dir.resolve(lossless ? "lossless.webp" : "lossy.webp");
    Process p = new ProcessBuilder(cwebp.toString(), lossless ? "-lossless" : "-q", lossless ? "-q" : "80",
        lossless ? "10" : "-quiet", jpeg.toString(), "-o", out.toString()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return Files.readAllBytes(out);
  }

  @Test
  void jpegPngAndWebpAreSniffedSizedFromTheHeaderAndDecoded() throws Exception {
    Path dogFile = Photos.darknet("dog.jpg");
    byte[] jpeg = Files.readAllBytes(dogFile);
    BufferedImage img = ImageIO.read(dogFile.toFile());
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    for (byte[] bytes : new byte[][] {jpeg, png.toByteArray(), webp(dogFile, false), webp(dogFile, true)}) {
      ImageInput.Format f = ImageInput.sniff(bytes);
      assertThat(f).isNotNull();
      assertThat(ImageInput.dimensions(bytes, f)).as(f.name()).containsExactly(768, 576);
      ImageInput.Decoded d = input.decode(bytes);
      assertThat(d.image().width()).as(f.name()).isEqualTo(768);
      assertThat(d.image().height()).isEqualTo(576);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "GIF89a...,           unsupported_image_type, 415",
      "<html>,               unsupported_image_type, 415",
      "RIFF....WAVEfmt ,     unsupported_image_type, 415"})
  void otherBytesAreRefusedByWhatTheyAre(String text, String code, int status) {
    assertThatThrownBy(() -> input.decode(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)))
        .isInstanceOfSatisfying(ApiProblem.class, p -> {
          assertThat(p.status()).isEqualTo(status);
          assertThat(p.code()).isEqualTo(code);
        });
  }

  @Test
  void thePixelCapIsCheckedBeforeDecoding() throws Exception {
    byte[] bomb = VisionApiTest.pngBomb(20_000, 20_000);
    long before = System.nanoTime();
    assertThatThrownBy(() -> input.decode(bomb)).isInstanceOfSatisfying(ApiProblem.class,
        p -> assertThat(p.code()).isEqualTo("image_too_many_pixels"));
    // 400 million pixels were never allocated (1.2 GB): the refusal is a header read.
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - before)).isLessThan(5);
  }

  @Test
  void everyExifOrientationComesOutUpright() {
    // A 3x2 picture with a red pixel at the top left as stored.
    BufferedImage stored = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    stored.setRGB(0, 0, 0xFF0000);
    // Where the red pixel must be once displayed, per orientation (EXIF 2.3, tag 0x0112).
    int[][] expected = {{}, {0, 0}, {2, 0}, {2, 1}, {0, 1}, {0, 0}, {1, 0}, {1, 2}, {0, 2}};
    for (int o = 1; o <= 8; o++) {
      RgbImage up = ImageInput.orient(ImageInput.rgb(stored), o);
      boolean swapped = o >= 5;
      assertThat(up.width()).as("orientation " + o).isEqualTo(swapped ? 2 : 3);
      int x = expected[o][0];
      int y = expected[o][1];
      int at = (y * up.width() + x) * 3;
      assertThat(up.rgb()[at] & 0xff).as("red at (%d,%d) for orientation %d", x, y, o).isEqualTo(255);
    }
  }

  /**
   * JPEGs go through libjpeg-turbo here (./parley test installs Debian's libturbojpeg0 and runs on a
   * JDK with the foreign function API): present, and the same picture as the JDK's own decoder
   * within the rounding of two IDCT and chroma-upsampling implementations.
   */
  @Test
  void jpegsAreDecodedByLibjpegTurboWithTheJdkDecodersPixels() throws Exception {
    assertThat(NativeJpeg.get()).as("libjpeg-turbo through the foreign function API").isPresent();
    for (Path photo : new Path[] {Photos.darknet("dog.jpg"), Photos.opencv("fruits.jpg")}) {
      byte[] bytes = Files.readAllBytes(photo);
      RgbImage turbo = input.decode(bytes).image();
      RgbImage jdk = ImageInput.rgb(ImageInput.decodeWithImageIo(bytes, ImageInput.Format.JPEG, 1));
      assertThat(turbo.width()).isEqualTo(jdk.width());
      assertThat(turbo.height()).isEqualTo(jdk.height());
      long diff = 0;
      int worst = 0;
      for (int i = 0; i < turbo.rgb().length; i++) {
        int d = Math.abs((turbo.rgb()[i] & 0xff) - (jdk.rgb()[i] & 0xff));
        diff += d;
        worst = Math.max(worst, d);
      }
      assertThat((double) diff / turbo.rgb().length).as("mean difference per channel, " + photo.getFileName())
          .isLessThan(1.0);
      // Single pixels at sharp colour edges differ more (the two upsample subsampled chroma differently).
      assertThat(worst).as("largest difference, " + photo.getFileName()).isLessThan(64);
    }
  }

  @Test
  void truncatedAndDamagedFilesAre422() throws Exception {
    byte[] jpeg = Files.readAllBytes(Photos.darknet("dog.jpg"));
    for (int cut : new int[] {4, 20, 600, jpeg.length / 2}) {
      assertThatThrownBy(() -> input.decode(java.util.Arrays.copyOf(jpeg, cut))).as("cut at " + cut)
          .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.status()).isEqualTo(422));
    }
  }

  /** A WebP with its header and no image data (it was analysed as an empty photo: 200). */
  @Test
  void aWebpHeaderWithoutItsImageIs422() throws Exception {
    for (boolean lossless : new boolean[] {false, true}) {
      byte[] webp = webp(Photos.darknet("dog.jpg"), lossless);
      for (int cut : new int[] {30, 64, webp.length / 2}) {
        assertThatThrownBy(() -> input.decode(java.util.Arrays.copyOf(webp, cut))).as("cut at %d", cut)
            .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.status()).isEqualTo(422));
      }
    }
  }

  @Test
  void largePhotosAreDecodedAtAReducedSizeAndReportTheirFullSize() throws Exception {
    BufferedImage dog = ImageIO.read(Photos.darknet("dog.jpg").toFile());
    BufferedImage big = new BufferedImage(2304, 1728, BufferedImage.TYPE_3BYTE_BGR);
    var g = big.createGraphics();
    g.drawImage(dog, 0, 0, 2304, 1728, null);
    g.dispose();
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageIO.write(big, "jpg", jpeg);
    ImageInput.Decoded d = input.decode(jpeg.toByteArray());
    assertThat(d.subsampling()).as("2304 px read at half size").isEqualTo(2);
    assertThat(d.image().width()).isEqualTo(1152);
    assertThat(d.width()).isEqualTo(2304);
    assertThat(d.height()).isEqualTo(1728);
    assertThat(d.scaleX()).isEqualTo(2.0);
  }
}
