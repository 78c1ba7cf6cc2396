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

  /**
   * {@link #transcribe}, guided by {@code prompt} (null for none): text that came before or words to
   * expect (Whisper's initial prompt). An engine that takes no prompt transcribes without it.
   */
  default Transcript transcribe(float[] samples, Optional<String> language, String prompt) {
    return transcribe(samples, language);
  }

  /**
   * {@link #transcribe}, with the text in {@link Transcript#segments() segments} timed in seconds
   * from the start of {@code samples}. An engine without timestamps gives one segment over the
   * whole audio.
   */
  default Transcript transcribeTimed(float[] samples, Optional<String> language) {
    Transcript t = transcribe(samples, language);
    double seconds = samples.length / 16_000.0;
    return new Transcript(t.text(), t.language(), t.compute(),
        t.text().isBlank() ? java.util.List.of() : java.util.List.of(new Transcript.Segment(0, seconds, t.text())));
  }

  /** The model's name, for responses and logs. */
  String model();

  /** Whether the model knows languages other than English (see {@link Languages#requireSupported}). */
  default boolean multilingual() {
    return true;
  }

  @Override
  void close();
}
