package io.parley.inference.tts;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.net.URI;
import java.util.Optional;

/**
 * Speech synthesis: the {@code PARLEY_TTS_*} keys of {@link io.parley.core.config.ConfigKey}, read
 * and validated by {@link #from}.
 *
 * @param baseUrl an OpenAI-compatible server, with engine {@code openai} ({@code PARLEY_TTS_BASE_URL})
 * @param apiKey its bearer key; never logged
 * @param voice the voice name ({@code PARLEY_TTS_VOICE})
 * @param workers concurrent syntheses ({@code PARLEY_TTS_WORKERS})
 */
public record TtsOptions(TtsEngine engine, Optional<URI> baseUrl, Optional<String> apiKey, String voice, int workers) {
  public TtsOptions {
    if (engine == TtsEngine.OPENAI && baseUrl.isEmpty()) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_TTS_BASE_URL: required with PARLEY_TTS_ENGINE=openai");
    }
  }

  /** Speech synthesis engine choice. */
  public enum TtsEngine { FREETTS, OPENAI }

  @Override
  public String toString() {
    return "TtsOptions[engine=" + engine + ", baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)")
        + ", voice=" + voice + ", workers=" + workers + "]";
  }

  /** The speech synthesis settings of {@code c}; fails naming the key of the first bad value. */
  public static TtsOptions from(ConfigSource c) {
    return new TtsOptions(
        c.choice(PARLEY_TTS_ENGINE, TtsEngine.class),
        c.url(PARLEY_TTS_BASE_URL),
        Optional.ofNullable(c.string(PARLEY_TTS_API_KEY)),
        c.string(PARLEY_TTS_VOICE),
        c.integer(PARLEY_TTS_WORKERS, 1, 64));
  }
}
