package io.parley.inference.stt;

import java.util.Optional;

/**
 * Speech to text on a whole segment of audio. Blocking: call from a worker thread (for JNI engines,
 * a platform thread). Streaming transcription is built on top by segmenting with the VAD.
 */
public interface SpeechToText extends AutoCloseable {

  /**
   * Transcribes 16 kHz mono samples in [-1, 1]. {@code language} is an ISO 639-1 code, or empty to
   * let the engine detect it; the transcript says which language it was.
   */
  Transcript transcribe(float[] samples, Optional<String> language);

  /** The model's name, for responses and logs. */
  String model();

  /** Whether the model knows languages other than English (see {@link Languages#requireSupported}). */
  default boolean multilingual() {
    return true;
  }

  @Override
  void close();
}
