package io.parley.inference.audio;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** G.711 against values of the ITU reference tables (sox decodes every code to the same samples). */
class G711Test {

  private static byte[] everyCode() {
    byte[] codes = new byte[256];
    for (int i = 0; i < 256; i++) {
      codes[i] = (byte) i;
    }
    return codes;
  }

  @Test
  void muLawDecodesAsTheReference() {
    short[] pcm = G711.Law.MU_LAW.decode(everyCode());
    assertThat(pcm[0x00]).isEqualTo((short) -32124);
    assertThat(pcm[0x01]).isEqualTo((short) -31100);
    assertThat(pcm[0x7F]).isEqualTo((short) 0);
    assertThat(pcm[0x80]).isEqualTo((short) 32124);
    assertThat(pcm[0xFF]).isEqualTo((short) 0);
    assertThat(pcm[0xEF]).isEqualTo((short) 132);
  }

  @Test
  void aLawDecodesAsTheReference() {
    short[] pcm = G711.Law.A_LAW.decode(everyCode());
    assertThat(pcm[0x00]).isEqualTo((short) -5504);
    assertThat(pcm[0x01]).isEqualTo((short) -5248);
    assertThat(pcm[0x55]).isEqualTo((short) -8);
    assertThat(pcm[0xD5]).isEqualTo((short) 8);
    assertThat(pcm[0xAA]).isEqualTo((short) 32256);
    assertThat(pcm[0x2A]).isEqualTo((short) -32256);
  }

  @Test
  void silenceEncodesToTheLawsZeroCodes() {
    assertThat(G711.Law.MU_LAW.encode(new short[] {0})).containsExactly((byte) 0xFF);
    assertThat(G711.Law.A_LAW.encode(new short[] {0})).containsExactly((byte) 0xD5);
  }

  @Test
  void everyCodeSurvivesDecodeThenEncode() {
    for (G711.Law law : G711.Law.values()) {
      byte[] codes = everyCode();
      byte[] again = law.encode(law.decode(codes));
      for (int i = 0; i < 256; i++) {
        // mu-law has two zeros (0x7F and 0xFF): both decode to 0, which encodes as 0xFF.
        if (law == G711.Law.MU_LAW && i == 0x7F) {
          assertThat(again[i]).isEqualTo((byte) 0xFF);
        } else {
          assertThat(again[i] & 0xFF).as(law + " code " + Integer.toHexString(i)).isEqualTo(i);
        }
      }
    }
  }

  @Test
  void encodingIsWithinHalfAStepOfTheSignal() {
    for (G711.Law law : G711.Law.values()) {
      for (int s = -32768; s <= 32767; s += 7) {
        short back = law.decode(law.encode(new short[] {(short) s}))[0];
        // The steps grow with the level: 1/32 of the magnitude at most, plus the smallest step.
        assertThat(Math.abs(back - s)).as(law + " " + s).isLessThanOrEqualTo(Math.abs(s) / 16 + 16);
      }
    }
  }
}
