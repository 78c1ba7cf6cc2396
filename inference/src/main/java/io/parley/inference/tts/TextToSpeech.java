package io.parley.inference.tts;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Speech synthesis. Blocking: call from a worker thread (never an event loop). Audio is PCM16 mono
 * at {@link #sampleRate()}, little-endian, delivered in chunks as it is produced; a synthesis stops
 * early when {@code cancelled} turns true.
 *
 * <p>{@link #synthesize} calls the sink on the calling thread only, and returns when the audio is
 * complete or, once cancelled, soon after (having delivered a prefix; no exception). Failures are
 * {@link io.parley.core.ParleyException}s: {@code LIMITED} for text over the engine's limit,
 * {@code UNAVAILABLE} when the engine or its server cannot serve, {@code INVALID} when the server
 * rejects the request or the voice is unknown; an exception thrown by the sink ends the synthesis
 * and is rethrown. {@code cancelled} is polled often: it must be cheap and thread-safe.
 *
 * <p>Voices: {@link #voices} lists them with their languages; {@link #voiceNamed} resolves what a
 * client asks for (a voice name, one of OpenAI's voice names, or a language code) and
 * {@link #voiceFor} picks the voice for a language.
 */
public interface TextToSpeech extends AutoCloseable {

  /** OpenAI's voice names: accepted everywhere, they stand for the engine's default voice. */
  List<String> OPENAI_VOICES = List.of("alloy", "ash", "ballad", "cedar", "coral", "echo", "fable", "marin", "nova",
      "onyx", "sage", "shimmer", "verse");

  /** Receives synthesized audio. */
  interface AudioSink {
    /** PCM16 samples at the engine's rate; the array is the sink's to keep. */
    void audio(short[] samples);
  }

  int sampleRate();

  /** Speaks {@code text} with {@code style}'s voice (one {@link #voiceNamed} resolves) and speed. */
  void synthesize(String text, SpeechStyle style, AudioSink sink, BooleanSupplier cancelled);

  /** Speaks {@code text} with the default voice at its normal pace. */
  default void synthesize(String text, AudioSink sink, BooleanSupplier cancelled) {
    synthesize(text, SpeechStyle.DEFAULT, sink, cancelled);
  }

  /** The default voice's name, for responses and logs. */
  String voice();

  /** The voices this engine offers. */
  List<TtsVoice> voices();

  /**
   * The voice that speaks exactly the language {@code tag} (lower case, as {@link TtsVoice#languages}),
   * the engine's preferred one where several do.
   */
  default Optional<TtsVoice> voiceSpeaking(String tag) {
    return voices().stream().filter(v -> v.speaks(tag, true)).findFirst();
  }

  /**
   * The voice for the language {@code languageCode} ({@code es}, {@code pt-BR}, {@code zh}): the one
   * speaking it exactly, else one speaking it without its last subtags ({@code es-mx} -> {@code es}).
   */
  default Optional<TtsVoice> voiceFor(String languageCode) {
    String tag = TtsVoice.tag(languageCode);
    while (!tag.isEmpty()) {
      Optional<TtsVoice> found = voiceSpeaking(tag);
      if (found.isPresent()) {
        return found;
      }
      int dash = tag.lastIndexOf('-');
      tag = dash < 0 ? "" : tag.substring(0, dash);
    }
    return Optional.empty();
  }

  /**
   * The voice {@code name} stands for: the default for null, one of {@link #OPENAI_VOICES} or this
   * engine's default name; a voice's name; else a language code ({@link #voiceFor}). Fails
   * {@code INVALID}, naming the valid ones, for anything else.
   */
  default TtsVoice voiceNamed(String name) {
    String wanted = name == null || name.isBlank() || OPENAI_VOICES.contains(name.strip().toLowerCase(Locale.ROOT))
        ? voice() : name.strip();
    return voices().stream().filter(v -> v.name().equalsIgnoreCase(wanted)).findFirst()
        .or(() -> voiceFor(wanted))
        .orElseThrow(() -> new ParleyException(Reason.INVALID, "unknown voice '" + name + "': use one of "
            + voices().stream().map(TtsVoice::name).collect(Collectors.joining(", "))
            + " (or a language code such as es or fr, or an OpenAI voice name such as alloy for the default)"));
  }

  @Override
  void close();
}
