package io.parley.inference.audio.codec;

/**
 * An uploaded file decoded for speech recognition.
 *
 * @param samples the audio at {@link AudioDecoder#SAMPLE_RATE} mono, in [-1, 1]
 * @param container FFmpeg's name for the container, e.g. {@code ogg} or {@code mov,mp4,m4a,3gp,3g2,mj2}
 * @param codec FFmpeg's name for the audio codec, e.g. {@code opus}
 */
public record DecodedAudio(float[] samples, String container, String codec) {

  /** The decoded duration in seconds. */
  public double seconds() {
    return samples.length / (double) AudioDecoder.SAMPLE_RATE;
  }
}
