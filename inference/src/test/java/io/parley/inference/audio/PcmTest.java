package io.parley.inference.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PcmTest {

  @Test
  void littleEndianBytesRoundTrip() {
    short[] samples = {0, 1, -1, Short.MAX_VALUE, Short.MIN_VALUE, 0x1234};
    byte[] bytes = Pcm.toLittleEndian(samples);
    assertThat(bytes).startsWith(0, 0, 1, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0, (byte) 0x80, 0x34, 0x12);
    assertThat(Pcm.fromLittleEndian(bytes)).containsExactly(samples);
  }

  @Test
  void bigEndianBytesAreSwapped() {
    byte[] bigEndian = {0x12, 0x34, (byte) 0x80, 0x00, 0x7f, (byte) 0xff};
    assertThat(Pcm.fromBigEndian(bigEndian, 0, 6)).containsExactly((short) 0x1234, Short.MIN_VALUE, Short.MAX_VALUE);
    assertThat(Pcm.fromBigEndian(bigEndian, 2, 2)).containsExactly(Short.MIN_VALUE);
  }

  @Test
  void everyShortSurvivesFloat() {
    short[] all = new short[65536];
    for (int i = 0; i < all.length; i++) {
      all[i] = (short) (i + Short.MIN_VALUE);
    }
    float[] floats = Pcm.toFloat(all);
    assertThat(floats[0]).isEqualTo(-1f);
    assertThat(floats[65535]).isLessThan(1f);
    assertThat(Pcm.fromFloat(floats)).containsExactly(all);
  }

  @Test
  void floatsAreClippedAndNanIsSilence() {
    assertThat(Pcm.fromFloat(new float[] {1.5f, -2f, 1f, Float.NaN, 0.5f}))
        .containsExactly(Short.MAX_VALUE, Short.MIN_VALUE, Short.MAX_VALUE, (short) 0, (short) 16384);
  }

  @Test
  void base64RoundTrip() {
    short[] samples = {1, -2, 300, -32768};
    String text = Pcm.toBase64(samples);
    assertThat(text).isEqualTo("AQD+/ywBAIA=");
    assertThat(Pcm.fromBase64(text)).containsExactly(samples);
  }

  @Test
  void oddByteCountsAndBadBase64AreRejected() {
    assertThatThrownBy(() -> Pcm.fromLittleEndian(new byte[3])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("odd byte count 3");
    assertThatThrownBy(() -> Pcm.fromBase64("A?==")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base64");
    assertThatThrownBy(() -> Pcm.fromBase64("AQ==")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("odd byte count 1");
    assertThatThrownBy(() -> Pcm.fromBase64("AQA=AQ==")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pcm.fromBigEndian(new byte[4], 2, 4)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void rmsOfFullScaleSquareIsOne() {
    assertThat(Pcm.rms(new short[] {Short.MIN_VALUE, Short.MIN_VALUE})).isEqualTo(1.0);
    assertThat(Pcm.rms(new short[0])).isZero();
  }
}
