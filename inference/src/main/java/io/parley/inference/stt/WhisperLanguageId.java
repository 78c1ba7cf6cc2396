package io.parley.inference.stt;

import io.github.givimad.whisperjni.WhisperState;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * The language whisper.cpp used for the last {@code whisper_full} on a state: the one it detected
 * when asked for {@code auto}, else the one it was given ({@code whisper_full_lang_id_from_state}).
 * whisper-jni 1.7.1 does not expose it; {@link WhisperFfmLanguageId} reaches it through the
 * foreign function API. Without that (a JDK before 22, another whisper-jni build), a detected
 * language is reported as {@link Languages#UNDETERMINED}.
 */
interface WhisperLanguageId {

  /**
   * The code of the language of {@code state}'s last run, or {@link Languages#UNDETERMINED}. Call
   * after a successful run, holding the state and the native maps' read lock ({@link WhisperStt}).
   */
  String of(WhisperState state);

  /** The binding, once whisper-jni's libraries are loaded; empty (logged) where it cannot work. */
  @SuppressWarnings("unchecked")
  static Optional<WhisperLanguageId> open() {
    if (Runtime.version().feature() < 22) {
      LoggerFactory.getLogger(WhisperLanguageId.class).warn("whisper: Java {} has no foreign function API; a"
          + " detected language is reported as '{}'", Runtime.version().feature(), Languages.UNDETERMINED);
      return Optional.empty();
    }
    try {
      return (Optional<WhisperLanguageId>) Class.forName("io.parley.inference.stt.WhisperFfmLanguageId")
          .getDeclaredMethod("open").invoke(null);
    } catch (ReflectiveOperationException | LinkageError e) {
      LoggerFactory.getLogger(WhisperLanguageId.class).warn("whisper: the detected language cannot be read ({});"
          + " it is reported as '{}'", e.toString(), Languages.UNDETERMINED);
      return Optional.empty();
    }
  }
}
