package io.parley.inference.audio.codec;

import static io.parley.core.config.ConfigKey.PARLEY_TRANSCRIBE_MAX_SECONDS;

import io.parley.core.config.ConfigSource;
import java.time.Duration;

/**
 * Limits on uploaded audio: the {@code PARLEY_TRANSCRIBE_*} keys of
 * {@link io.parley.core.config.ConfigKey}, read and validated by {@link #from}.
 *
 * @param maxDuration the longest audio a file may decode to; longer files are refused, by their
 *     declared duration before any decoding where the container states one, else as soon as the
 *     decoded audio passes it (so the decoded size is at most this many seconds of 16 kHz mono)
 */
public record CodecOptions(Duration maxDuration) {

  /** The most {@code PARLEY_TRANSCRIBE_MAX_SECONDS} may be: four hours. */
  public static final int MAX_SECONDS = 4 * 3600;

  public CodecOptions {
    if (maxDuration.isNegative() || maxDuration.isZero() || maxDuration.toSeconds() > MAX_SECONDS) {
      throw new IllegalArgumentException("maxDuration must be 1.." + MAX_SECONDS + " s, got " + maxDuration);
    }
  }

  /** The limits of {@code c}; fails naming the key of a bad value. */
  public static CodecOptions from(ConfigSource c) {
    return new CodecOptions(c.seconds(PARLEY_TRANSCRIBE_MAX_SECONDS, 1, MAX_SECONDS));
  }

  /** The most samples a file may decode to at {@link AudioDecoder#SAMPLE_RATE}. */
  public long maxSamples() {
    return maxDuration.toSeconds() * AudioDecoder.SAMPLE_RATE;
  }
}
