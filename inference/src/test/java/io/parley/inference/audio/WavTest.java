package io.parley.inference.audio;

import static io.parley.inference.audio.WavFixture.extensibleFmt;
import static io.parley.inference.audio.WavFixture.fmt;
import static io.parley.inference.audio.WavFixture.pcmFmt;
import static io.parley.inference.audio.WavFixture.wave;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class WavTest {

  private static final byte[] FOUR_SAMPLES = Pcm.toLittleEndian(new short[] {1, -1, 1000, -1000});

  @Test
  void monoRoundTrip() {
    short[] samples = new short[1001];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) (i * 37 - 16000);
    }
    byte[] file = Wav.write(samples, 22_050);
    assertThat(file).hasSize(Wav.CANONICAL_HEADER_BYTES + 2002);
    assertThat(new String(file, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
    Wav.Audio audio = Wav.read(file);
    assertThat(audio.sampleRate()).isEqualTo(22_050);
    assertThat(audio.channels()).isEqualTo(1);
    assertThat(audio.samples()).containsExactly(samples);
    assertThat(audio.seconds()).isEqualTo(1001 / 22_050.0);
  }

  @Test
  void stereoWithExtraChunksAndPaddingIsRead() {
    byte[] file = wave()
        .chunk("LIST", "odd".getBytes(StandardCharsets.US_ASCII)) // 3 bytes + pad byte
        .chunk("fmt ", pcmFmt(2, 44_100))
        .chunk("fact", new byte[4])
        .chunk("data", FOUR_SAMPLES)
        .bytes();
    Wav.Audio audio = Wav.read(file);
    assertThat(audio.channels()).isEqualTo(2);
    assertThat(audio.frames()).isEqualTo(2);
    assertThat(audio.mono()).containsExactly((short) 0, (short) 0);
  }

  @Test
  void extensiblePcmIsRead() {
    byte[] file = wave().chunk("fmt ", extensibleFmt(1, 48_000, 1)).chunk("data", FOUR_SAMPLES).bytes();
    assertThat(Wav.read(file).samples()).containsExactly((short) 1, (short) -1, (short) 1000, (short) -1000);
  }

  @Test
  void bytesAfterTheRiffChunkAreIgnored() {
    byte[] good = wave().chunk("fmt ", pcmFmt(1, 16_000)).chunk("data", FOUR_SAMPLES).bytes();
    byte[] trailing = Arrays.copyOf(good, good.length + 7);
    assertThat(Wav.read(trailing).samples()).hasSize(4);
  }

  static Stream<Arguments> malformed() {
    byte[] mono16k = pcmFmt(1, 16_000);
    return Stream.of(
        Arguments.of("empty", new byte[0], Reason.INVALID, "shorter than the 12-byte RIFF header"),
        Arguments.of("not RIFF", "RIFX\0\0\0\0WAVE".getBytes(StandardCharsets.ISO_8859_1), Reason.INVALID,
            "not a RIFF file (starts with 'RIFX')"),
        Arguments.of("not WAVE", "RIFF\4\0\0\0AVI ".getBytes(StandardCharsets.ISO_8859_1), Reason.INVALID,
            "RIFF form 'AVI ', not WAVE"),
        Arguments.of("RIFF size beyond the file",
            wave().chunk("fmt ", mono16k).chunk("data", FOUR_SAMPLES).riffSize(0x7fff_fff0L).bytes(),
            Reason.INVALID, "RIFF size 2147483632 does not fit the file's 52 bytes"),
        Arguments.of("RIFF size 0xFFFFFFFF",
            wave().chunk("fmt ", mono16k).chunk("data", FOUR_SAMPLES).riffSize(0xFFFF_FFFFL).bytes(),
            Reason.INVALID, "RIFF size 4294967295"),
        Arguments.of("huge declared data size",
            wave().chunk("fmt ", mono16k).chunk("data", 0xFFFF_FFF0L, FOUR_SAMPLES).bytes(),
            Reason.INVALID, "chunk 'data' at byte 36 declares 4294967280 bytes, only 8 remain"),
        Arguments.of("chunk running past the end",
            wave().chunk("LIST", 1000, new byte[10]).bytes(), Reason.INVALID,
            "chunk 'LIST' at byte 12 declares 1000 bytes, only 10 remain"),
        Arguments.of("odd data length", wave().chunk("fmt ", mono16k).chunk("data", new byte[3]).bytes(),
            Reason.INVALID, "data chunk of 3 bytes is not a whole number of 2-byte frames"),
        Arguments.of("half a stereo frame",
            wave().chunk("fmt ", pcmFmt(2, 16_000)).chunk("data", new byte[6]).bytes(),
            Reason.INVALID, "data chunk of 6 bytes is not a whole number of 4-byte frames"),
        Arguments.of("no fmt", wave().chunk("LIST", new byte[4]).bytes(), Reason.INVALID, "no fmt chunk"),
        Arguments.of("no data", wave().chunk("fmt ", mono16k).bytes(), Reason.INVALID, "no data chunk"),
        Arguments.of("data before fmt", wave().chunk("data", FOUR_SAMPLES).chunk("fmt ", mono16k).bytes(),
            Reason.INVALID, "data chunk before the fmt chunk"),
        Arguments.of("second fmt", wave().chunk("fmt ", mono16k).chunk("fmt ", mono16k).bytes(), Reason.INVALID,
            "second fmt chunk at byte 36"),
        Arguments.of("short fmt", wave().chunk("fmt ", new byte[14]).bytes(), Reason.INVALID,
            "fmt chunk of 14 bytes, at least 16 expected"),
        Arguments.of("IEEE float", wave().chunk("fmt ", fmt(3, 1, 16_000, 64_000, 4, 32)).bytes(), Reason.INVALID,
            "format tag 0x3, only PCM (1) is supported"),
        Arguments.of("8-bit", wave().chunk("fmt ", fmt(1, 1, 8_000, 8_000, 1, 8)).bytes(), Reason.INVALID,
            "8 bits per sample, only 16 is supported"),
        Arguments.of("three channels", wave().chunk("fmt ", pcmFmt(3, 16_000)).bytes(), Reason.INVALID,
            "3 channels, only mono or stereo is supported"),
        Arguments.of("zero channels", wave().chunk("fmt ", fmt(1, 0, 16_000, 0, 0, 16)).bytes(), Reason.INVALID,
            "0 channels"),
        Arguments.of("rate 0", wave().chunk("fmt ", fmt(1, 1, 0, 0, 2, 16)).bytes(), Reason.INVALID,
            "sample rate 0 Hz outside [1000, 384000]"),
        Arguments.of("rate 4 GHz", wave().chunk("fmt ", fmt(1, 1, -1, -2, 2, 16)).bytes(), Reason.INVALID,
            "sample rate 4294967295 Hz"),
        Arguments.of("wrong block align", wave().chunk("fmt ", fmt(1, 2, 16_000, 64_000, 2, 16)).bytes(),
            Reason.INVALID, "block align 2, 4 expected"),
        Arguments.of("wrong byte rate", wave().chunk("fmt ", fmt(1, 1, 16_000, 16_000, 2, 16)).bytes(),
            Reason.INVALID, "byte rate 16000, 32000 expected"),
        Arguments.of("extensible float", wave().chunk("fmt ", extensibleFmt(1, 16_000, 3)).bytes(), Reason.INVALID,
            "sub-format 0x3"),
        Arguments.of("extensible too short",
            wave().chunk("fmt ", fmt(0xFFFE, 1, 16_000, 32_000, 2, 16)).bytes(), Reason.INVALID,
            "WAVE_FORMAT_EXTENSIBLE fmt chunk of 16 bytes, 40 expected"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedFilesAreClearErrors(String name, byte[] file, Reason reason, String message) {
    assertThatThrownBy(() -> Wav.read(file))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageStartingWith("WAV: ")
        .hasMessageContaining(message);
  }

  @Test
  void writingRejectsRatesOutsideTheRange() {
    assertThatThrownBy(() -> Wav.write(new short[1], 500)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("500 Hz");
  }
}
