package io.parley.inference.tts;

import java.util.Optional;
import java.util.Set;

/**
 * Which voice speaks a language: an answer is spoken by the voice for the language it is in (the
 * user's, see {@link io.parley.inference.voice.VoiceSession}), and by the node's default voice when
 * there is none for it.
 */
@FunctionalInterface
public interface VoiceLookup {

  /** No voice for any language: every answer is spoken by the node's default voice. */
  VoiceLookup NONE = language -> Optional.empty();

  /** The engine that speaks {@code language} (an ISO 639-1 code), or empty when none here does. */
  Optional<TextToSpeech> voiceFor(String language);

  /** {@code engine} for {@code languages} (FreeTTS: English), nothing for the others. */
  static VoiceLookup speaking(TextToSpeech engine, Set<String> languages) {
    Optional<TextToSpeech> voice = Optional.of(engine);
    return language -> languages.contains(language) ? voice : Optional.empty();
  }
}
