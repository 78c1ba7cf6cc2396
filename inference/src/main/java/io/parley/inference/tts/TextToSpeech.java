package io.parley.inference.tts;

import java.util.function.BooleanSupplier;

/**
 * Speech synthesis. Blocking: call from a worker thread (never an event loop). Audio is PCM16 mono
 * at {@link #sampleRate()}, little-endian, delivered in chunks as it is produced; a synthesis stops
 * early when {@code cancelled} turns true.
 *
 * <p>{@link #synthesize} calls the sink on the calling thread only, and returns when the audio is
 * complete or, once cancelled, soon after (having delivered a prefix; no exception). Failures are
 * {@link io.parley.core.ParleyException}s: {@code LIMITED} for text over the engine's limit,
 * {@code UNAVAILABLE} when the engine or its server cannot serve, {@code INVALID} when the server
 * rejects the request; an exception thrown by the sink ends the synthesis and is rethrown.
 * {@code cancelled} is polled often: it must be cheap and thread-safe.
 */
public interface TextToSpeech extends AutoCloseable {

  /** Receives synthesized audio. */
  interface AudioSink {
    /** PCM16 samples at the engine's rate; the array is the sink's to keep. */
    void audio(short[] samples);
  }

  int sampleRate();

  void synthesize(String text, AudioSink sink, BooleanSupplier cancelled);

  /** The voice's name, for responses and logs. */
  String voice();

  @Override
  void close();
}
