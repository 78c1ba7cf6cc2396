package io.parley.inference.audio;

import java.util.Base64;

/**
 * Conversions of 16-bit linear PCM between its byte encodings, {@code short} samples and
 * {@code float} samples in [-1, 1].
 *
 * <p>Parley's wire format is PCM16 little-endian (as WAV, the OpenAI Realtime API and the OpenAI
 * speech endpoint's {@code pcm} format use it); FreeTTS produces big-endian. A float {@code f}
 * stands for the sample {@code f * 32768}, so every short survives a round trip through float.
 */
public final class Pcm {

  /** Bytes per PCM16 sample. */
  public static final int BYTES_PER_SAMPLE = 2;

  private static final float SCALE = 32768f;

  private Pcm() {}

  /** Little-endian PCM16 bytes to samples; the length must be even. */
  public static short[] fromLittleEndian(byte[] bytes) {
    return fromLittleEndian(bytes, 0, bytes.length);
  }

  /** Little-endian PCM16 bytes {@code [offset, offset + length)} to samples; the length must be even. */
  public static short[] fromLittleEndian(byte[] bytes, int offset, int length) {
    checkRange(bytes, offset, length);
    short[] samples = new short[length / BYTES_PER_SAMPLE];
    for (int i = 0, b = offset; i < samples.length; i++, b += 2) {
      samples[i] = (short) ((bytes[b] & 0xff) | (bytes[b + 1] << 8));
    }
    return samples;
  }

  /** Big-endian PCM16 bytes {@code [offset, offset + length)} to samples; the length must be even. */
  public static short[] fromBigEndian(byte[] bytes, int offset, int length) {
    checkRange(bytes, offset, length);
    short[] samples = new short[length / BYTES_PER_SAMPLE];
    for (int i = 0, b = offset; i < samples.length; i++, b += 2) {
      samples[i] = (short) ((bytes[b] << 8) | (bytes[b + 1] & 0xff));
    }
    return samples;
  }

  /** Samples to little-endian PCM16 bytes. */
  public static byte[] toLittleEndian(short[] samples) {
    byte[] bytes = new byte[samples.length * BYTES_PER_SAMPLE];
    for (int i = 0, b = 0; i < samples.length; i++, b += 2) {
      bytes[b] = (byte) samples[i];
      bytes[b + 1] = (byte) (samples[i] >> 8);
    }
    return bytes;
  }

  /** Samples to floats in [-1, 1). */
  public static float[] toFloat(short[] samples) {
    float[] out = new float[samples.length];
    for (int i = 0; i < samples.length; i++) {
      out[i] = samples[i] / SCALE;
    }
    return out;
  }

  /** Floats to samples, rounded to nearest and clipped to the PCM16 range (NaN becomes 0). */
  public static short[] fromFloat(float[] samples) {
    short[] out = new short[samples.length];
    for (int i = 0; i < samples.length; i++) {
      out[i] = toShort(samples[i]);
    }
    return out;
  }

  /** One float sample to PCM16, rounded to nearest and clipped. */
  public static short toShort(float sample) {
    float scaled = sample * SCALE;
    if (scaled >= Short.MAX_VALUE) {
      return Short.MAX_VALUE;
    }
    if (scaled <= Short.MIN_VALUE) {
      return Short.MIN_VALUE;
    }
    return (short) Math.round(scaled); // NaN rounds to 0
  }

  /** Little-endian PCM16 floats, as the OpenAI Realtime API's base64 audio carries them. */
  public static float[] floatFromLittleEndian(byte[] bytes) {
    return toFloat(fromLittleEndian(bytes));
  }

  /** Samples as base64 of their little-endian bytes. */
  public static String toBase64(short[] samples) {
    return Base64.getEncoder().encodeToString(toLittleEndian(samples));
  }

  /**
   * Base64 of little-endian PCM16 bytes to samples.
   *
   * @throws IllegalArgumentException if the text is not base64 or decodes to an odd byte count
   */
  public static short[] fromBase64(String base64) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("PCM16 audio: not valid base64 (" + e.getMessage() + ")", e);
    }
    return fromLittleEndian(bytes);
  }

  /** Root mean square of the samples relative to full scale, in [0, 1]; 0 for no samples. */
  public static double rms(short[] samples) {
    if (samples.length == 0) {
      return 0;
    }
    double sum = 0;
    for (short s : samples) {
      double v = s / (double) SCALE;
      sum += v * v;
    }
    return Math.sqrt(sum / samples.length);
  }

  private static void checkRange(byte[] bytes, int offset, int length) {
    if (offset < 0 || length < 0 || offset > bytes.length - length) {
      throw new IndexOutOfBoundsException(
          "PCM16 range [" + offset + ", +" + length + ") outside " + bytes.length + " bytes");
    }
    if (length % BYTES_PER_SAMPLE != 0) {
      throw new IllegalArgumentException(
          "PCM16 audio: odd byte count " + length + " (2 bytes per sample)");
    }
  }
}
