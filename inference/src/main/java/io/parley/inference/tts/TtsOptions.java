package io.parley.inference.tts;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Speech synthesis: the {@code PARLEY_TTS_*} keys of {@link io.parley.core.config.ConfigKey}, read
 * and validated by {@link #from}.
 *
 * @param engine which engine speaks ({@code PARLEY_TTS_ENGINE})
 * @param baseUrl an OpenAI-compatible server, with engine {@code openai} ({@code PARLEY_TTS_BASE_URL})
 * @param apiKey its bearer key; never logged
 * @param voice the default voice, a name or language code ({@code PARLEY_TTS_VOICE}); empty for the engine's
 * @param workers concurrent syntheses ({@code PARLEY_TTS_WORKERS})
 */
public record TtsOptions(TtsEngine engine, Optional<URI> baseUrl, Optional<String> apiKey, Optional<String> voice,
                         int workers) {
  public TtsOptions {
    if (engine == TtsEngine.OPENAI && baseUrl.isEmpty()) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_TTS_BASE_URL: required with PARLEY_TTS_ENGINE=openai");
    }
    voice = voice.map(String::strip).filter(v -> !v.isEmpty());
  }

  /**
   * Speech synthesis engine choice. {@code AUTO}: FreeTTS for English, eSpeak NG for the other
   * languages. FreeTTS's kevin16 is a diphone voice, recorded human speech cut and joined, while
   * eSpeak NG's are formant-synthesized: kevin16 sounds less mechanical in English.
   */
  public enum TtsEngine { AUTO, FREETTS, ESPEAK, OPENAI }

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
        Optional.ofNullable(c.string(PARLEY_TTS_VOICE)),
        c.integer(PARLEY_TTS_WORKERS, 1, 64));
  }

  /**
   * The engine these options configure. With {@code AUTO}, a node without eSpeak NG speaks English
   * only: {@code warnings} hears why.
   *
   * @throws ParleyException when the engine cannot start (the message names the fix)
   */
  public TextToSpeech open(Consumer<String> warnings) {
    return switch (engine) {
      case FREETTS -> FreeTts.from(this);
      case ESPEAK -> EspeakTts.from(this);
      case OPENAI -> OpenAiSpeech.from(this);
      case AUTO -> {
        FreeTts english = new FreeTts(FreeTts.VOICE, workers);
        try {
          yield new VoiceRouter(List.of(english, EspeakTts.open(EspeakNative.LIBRARY, null)), voice.orElse(null));
        } catch (ParleyException e) {
          if (e.reason() != Reason.UNAVAILABLE) {
            throw e;
          }
          warnings.accept(e.getMessage() + "; speaking English only (FreeTTS)");
          yield new VoiceRouter(List.of(english), voice.orElse(null));
        }
      }
    };
  }
}
