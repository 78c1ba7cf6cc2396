package io.parley.inference.stt;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import io.parley.inference.DefaultModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Speech to text: the {@code PARLEY_WHISPER_*} and {@code PARLEY_STT_*} keys of
 * {@link io.parley.core.config.ConfigKey}, read and validated by {@link #from}.
 *
 * @param model the Whisper ggml file: {@code PARLEY_WHISPER_MODEL}, else the default model's file under
 *     {@code PARLEY_MODELS} when it is there ({@link DefaultModel#WHISPER})
 * @param threads whisper.cpp threads per transcription ({@code PARLEY_WHISPER_THREADS})
 * @param workers concurrent transcriptions ({@code PARLEY_STT_WORKERS})
 * @param interimEvery how often an interim transcript while the user speaks; zero for finals only
 * @param language the node's default language of speech ({@code PARLEY_STT_LANGUAGE}): a code of
 *     {@link Languages#CODES}, or empty for detection ({@code auto}); a realtime session or a
 *     transcription request may name its own
 */
public record SttOptions(Optional<Path> model, int threads, int workers, Duration interimEvery,
                         Optional<String> language) {

  /** The speech-to-text settings of {@code c}; fails naming the key of the first bad value. */
  public static SttOptions from(ConfigSource c) {
    return new SttOptions(
        Optional.ofNullable(c.string(PARLEY_WHISPER_MODEL)).map(Path::of)
            .or(() -> DefaultModel.WHISPER.find(Path.of(c.string(PARLEY_MODELS)))),
        c.integer(PARLEY_WHISPER_THREADS, 1, 64),
        c.integer(PARLEY_STT_WORKERS, 1, 64),
        Duration.ofMillis(c.integer(PARLEY_STT_INTERIM_MS, 0, 60_000)),
        language(c.string(PARLEY_STT_LANGUAGE)));
  }

  private static Optional<String> language(String value) {
    try {
      return Languages.parse(value, PARLEY_STT_LANGUAGE.name());
    } catch (ParleyException e) {
      throw new ParleyException(Reason.CONFIG, e.getMessage(), e);
    }
  }
}
