package io.parley.inference.tts;

import java.util.function.BooleanSupplier;

/**
 * Speech synthesis. Blocking: call from a worker thread. Audio is PCM16 mono at
 * {@link #sampleRate()}, little-endian, delivered in chunks as it is produced; a synthesis stops
 * early when {@code cancelled} turns true.
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
