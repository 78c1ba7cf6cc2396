package io.parley.inference.stt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed model files are refused in Java with an error naming PARLEY_WHISPER_MODEL, before
 * whisper.cpp sees them. Several of these files abort the JVM if they reach native code (f32 ftype,
 * ftype 4, absurd sizes, no " " token): that this class finishes at all is part of the test.
 */
class WhisperModelFileTest {

  @TempDir static Path dir;
  static Path valid;
  static byte[] bytes;

  @BeforeAll
  static void writeValid() throws IOException {
    valid = TinyWhisperModel.builder().write(dir.resolve("valid.bin"));
    bytes = Files.readAllBytes(valid);
  }

  /** Header field index (0 = magic, 1 = n_vocab ... 11 = ftype) set to {@code value}. */
  static Function<byte[], byte[]> header(int index, int value) {
    return b -> {
      byte[] c = b.clone();
      ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(4 * index, value);
      return c;
    };
  }

  /** Field {@code field} (0 n_dims, 1 name length, 2 type) of tensor {@code name}'s record set to {@code value}. */
  static Function<byte[], byte[]> tensorField(String name, int dims, int field, int value) {
    return b -> {
      byte[] c = b.clone();
      int at = indexOf(c, (name).getBytes(StandardCharsets.UTF_8));
      int record = at - 4 * (3 + dims);
      ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(record + 4 * field, value);
      return c;
    };
  }

  static Function<byte[], byte[]> cut(double fraction) {
    return b -> Arrays.copyOf(b, (int) (b.length * fraction));
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("empty", cut(0), "truncated"),
        Arguments.of("3 bytes", (Function<byte[], byte[]>) b -> Arrays.copyOf(b, 3), "truncated"),
        Arguments.of("header only", (Function<byte[], byte[]>) b -> Arrays.copyOf(b, 48), "truncated"),
        Arguments.of("cut in the mel filters", (Function<byte[], byte[]>) b -> Arrays.copyOf(b, 20_000), "truncated"),
        Arguments.of("cut in the vocabulary", (Function<byte[], byte[]>) b -> Arrays.copyOf(b, 300_000), "truncated"),
        Arguments.of("cut in the token embedding", cut(0.5), "truncated"),
        Arguments.of("one byte short", (Function<byte[], byte[]>) b -> Arrays.copyOf(b, b.length - 1), "truncated"),
        Arguments.of("trailing garbage", (Function<byte[], byte[]>) b -> Arrays.copyOf(b, b.length + 7), "truncated"),
        Arguments.of("GGUF file", header(0, 0x46554747), "magic"),
        Arguments.of("zero magic", header(0, 0), "magic"),
        Arguments.of("n_vocab 1e9", header(1, 1_000_000_000), "n_vocab"),
        Arguments.of("n_audio_ctx -1", header(2, -1), "n_audio_ctx"),
        Arguments.of("width 0", header(3, 0), "n_audio_state"),
        Arguments.of("heads do not divide the width", header(4, 3), "n_audio_head"),
        Arguments.of("1000 layers", header(5, 1000), "layers"),
        Arguments.of("n_text_ctx huge", header(6, Integer.MAX_VALUE), "n_text_ctx"),
        Arguments.of("text width differs", header(7, 128), "n_text_state"),
        Arguments.of("n_mels 7", header(10, 7), "n_mels"),
        Arguments.of("f32 ftype", header(11, 0), "f32"),
        Arguments.of("ftype 4 (GGML_ASSERT in whisper.cpp)", header(11, 4), "ftype"),
        Arguments.of("ftype 99", header(11, 99), "ftype"),
        Arguments.of("negative ftype", header(11, -1), "ftype"),
        Arguments.of("five dimensions", tensorField("encoder.positional_embedding", 2, 0, 5), "dimensions"),
        Arguments.of("absurd name length", tensorField("encoder.positional_embedding", 2, 1, 1 << 30), "name"),
        Arguments.of("f32 conv weights", tensorField("encoder.conv1.weight", 3, 2, 0), "type"),
        Arguments.of("unknown tensor type", tensorField("encoder.conv1.weight", 3, 2, 1234), "type"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedFilesAreRefusedBeforeNativeCode(String what, Function<byte[], byte[]> damage, String mentions)
      throws IOException {
    Path file = Files.write(dir.resolve(what.replaceAll("\\W+", "_") + ".bin"), damage.apply(bytes));

    assertThatThrownBy(() -> new WhisperStt(file, 1, 1))
        .isInstanceOf(ParleyException.class)
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.CONFIG))
        .hasMessageStartingWith("PARLEY_WHISPER_MODEL: " + file)
        .hasMessageContaining(mentions);
  }

  @Test
  void generatedF32ModelIsRefused() {
    Path f32 = TinyWhisperModel.builder().ftype(0).write(dir.resolve("f32.bin"));
    assertThatThrownBy(() -> new WhisperStt(f32, 1, 1))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("all-f32");
  }

  @Test
  void vocabularyWithoutSpaceIsRefused() {
    Path noSpace = TinyWhisperModel.builder().spaceToken(false).write(dir.resolve("nospace.bin"));
    assertThatThrownBy(() -> new WhisperStt(noSpace, 1, 1))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("\" \" token");
  }

  @Test
  void headerOfAnotherWidthMustMatchItsTensors() {
    Path wide = TinyWhisperModel.builder().write(dir.resolve("wide.bin"));
    byte[] b = header(3, 128).andThen(header(7, 128)).apply(readAll(wide));
    assertThatThrownBy(() -> new WhisperStt(write("wide-header.bin", b), 1, 1))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("has shape");
  }

  @Test
  void missingFileAndDirectoryAreConfigErrors() {
    assertThatThrownBy(() -> new WhisperStt(dir.resolve("nope.bin"), 1, 1))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("PARLEY_WHISPER_MODEL")
        .hasMessageContaining("./parley models --whisper");
    assertThatThrownBy(() -> new WhisperStt(dir, 1, 1))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("directory");
  }

  @Test
  void unsetModelNamesTheKey() {
    SttOptions unset = SttOptions.from(ConfigSource.of(Map.of()));
    assertThatThrownBy(() -> WhisperStt.open(unset))
        .isInstanceOf(ParleyException.class)
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.UNAVAILABLE))
        .hasMessageContaining("PARLEY_WHISPER_MODEL")
        .hasMessageContaining("./parley models --whisper base-q5_1 fetches it");
  }

  @Test
  void validModelReportsItsShapeAndStillRunsAfterTheBadOnes() {
    WhisperModelFile.Info info = WhisperModelFile.validate(valid);
    assertThat(info.tensors()).isEqualTo(50);
    assertThat(info.hparams().nVocab()).isEqualTo(51864);
    assertThat(info.weightType()).isEqualTo(WhisperModelFile.GgmlType.F16);
    assertThat(info.bytes()).isEqualTo(bytes.length);
    try (WhisperStt stt = new WhisperStt(valid, 1, 1)) {
      assertThat(stt.transcribe(new float[16_000], Optional.of("en")).text()).isNotNull();
    }
  }

  private static byte[] readAll(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path write(String name, byte[] b) {
    try {
      return Files.write(dir.resolve(name), b);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }
}
