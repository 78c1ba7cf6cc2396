package io.parley.inference.audio;

/**
 * ITU-T G.711 companding: mu-law ({@code audio/pcmu}, North America and Japan) and A-law
 * ({@code audio/pcma}, elsewhere), one byte per sample at 8 kHz, as SIP/RTP telephony and the
 * OpenAI Realtime API carry them. Decoding is a 256-entry table per law; encoding finds the
 * segment (the position of the highest set bit) and keeps four mantissa bits, as the reference
 * implementation does.
 *
 * @see <a href="https://www.itu.int/rec/T-REC-G.711">ITU-T G.711</a>
 */
public final class G711 {

  /** The sample rate G.711 is defined at, in Hz. */
  public static final int RATE = 8_000;

  /** A companding law. */
  public enum Law {
    MU_LAW, A_LAW;

    /** Bytes of this law to linear PCM16 samples. */
    public short[] decode(byte[] coded) {
      short[] table = this == MU_LAW ? MU_DECODE : A_DECODE;
      short[] out = new short[coded.length];
      for (int i = 0; i < coded.length; i++) {
        out[i] = table[coded[i] & 0xFF];
      }
      return out;
    }

    /** Linear PCM16 samples to bytes of this law. */
    public byte[] encode(short[] pcm) {
      byte[] out = new byte[pcm.length];
      for (int i = 0; i < pcm.length; i++) {
        out[i] = this == MU_LAW ? muLaw(pcm[i]) : aLaw(pcm[i]);
      }
      return out;
    }
  }

  /** Mu-law: the magnitude plus this bias has its segment's leading bit in bits 7..14. */
  private static final int MU_BIAS = 0x84;
  private static final int MU_CLIP = 32_635;
  private static final short[] MU_DECODE = new short[256];
  private static final short[] A_DECODE = new short[256];

  static {
    for (int i = 0; i < 256; i++) {
      int u = ~i & 0xFF;
      int segment = (u >> 4) & 0x07;
      int magnitude = (((u & 0x0F) << 3) + MU_BIAS) << segment;
      MU_DECODE[i] = (short) ((u & 0x80) != 0 ? MU_BIAS - magnitude : magnitude - MU_BIAS);
      int a = i ^ 0x55;
      int aSegment = (a >> 4) & 0x07;
      int aMagnitude = (a & 0x0F) << 4;
      aMagnitude = aSegment == 0 ? aMagnitude + 8 : (aMagnitude + 0x108) << (aSegment - 1);
      A_DECODE[i] = (short) ((a & 0x80) != 0 ? aMagnitude : -aMagnitude);
    }
  }

  private G711() {}

  /** One sample to mu-law. */
  static byte muLaw(short sample) {
    int s = sample;
    int sign = s < 0 ? 0x80 : 0;
    int magnitude = Math.min(Math.abs(s), MU_CLIP) + MU_BIAS;
    int segment = 31 - Integer.numberOfLeadingZeros(magnitude) - 7;
    int mantissa = (magnitude >> (segment + 3)) & 0x0F;
    return (byte) ~(sign | (segment << 4) | mantissa);
  }

  /** One sample to A-law. */
  static byte aLaw(short sample) {
    int s = sample;
    int sign = s >= 0 ? 0x80 : 0;
    int magnitude = s >= 0 ? s : -s - 1; // the negative side is one step wider
    magnitude >>= 3; // A-law is defined on 13 bits
    int segment = magnitude < 0x20 ? 0 : 31 - Integer.numberOfLeadingZeros(magnitude) - 4;
    int mantissa = segment == 0 ? (magnitude >> 1) & 0x0F : (magnitude >> segment) & 0x0F;
    return (byte) ((sign | (segment << 4) | mantissa) ^ 0x55);
  }
}
