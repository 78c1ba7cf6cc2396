package io.parley.inference.vad;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.time.Duration;

/**
 * Voice activity detection: the {@code PARLEY_VAD_*} keys of {@link io.parley.core.config.ConfigKey},
 * read and validated by {@link #from}.
 *
 * @param threads threads scoring frames ({@code PARLEY_VAD_THREADS})
 * @param startThreshold probability at which speech starts
 * @param endThreshold probability below which silence may end it; not above {@code startThreshold}
 */
public record VadOptions(int threads, double startThreshold, double endThreshold, Duration minSpeech,
                         Duration minSilence, Duration preRoll) {
  public VadOptions {
    if (endThreshold > startThreshold) {
      throw new ParleyException(Reason.CONFIG,
          "PARLEY_VAD_END_THRESHOLD: must not be above PARLEY_VAD_START_THRESHOLD (" + startThreshold + ")");
    }
  }

  /** The server's turn detection, with the default maximum segment. */
  public VadSegmenter.Settings turnDetection() {
    return new VadSegmenter.Settings(startThreshold, endThreshold, minSpeech, minSilence, preRoll,
        VadSegmenter.Settings.DEFAULT_MAX_SEGMENT);
  }

  /** Silero's settings: these threads, the default energy gate. */
  public SileroVad.Settings silero() {
    return new SileroVad.Settings(threads, SileroVad.Settings.DEFAULTS.gate());
  }

  /** The VAD settings of {@code c}; fails naming the key of the first bad value. */
  public static VadOptions from(ConfigSource c) {
    return new VadOptions(
        c.integer(PARLEY_VAD_THREADS, 1, 64),
        c.decimal(PARLEY_VAD_START_THRESHOLD, 0.01, 0.99),
        c.decimal(PARLEY_VAD_END_THRESHOLD, 0.01, 0.99),
        Duration.ofMillis(c.integer(PARLEY_VAD_MIN_SPEECH_MS, 0, 10_000)),
        Duration.ofMillis(c.integer(PARLEY_VAD_MIN_SILENCE_MS, 32, 10_000)),
        Duration.ofMillis(c.integer(PARLEY_VAD_PREROLL_MS, 0, 5_000)));
  }
}
