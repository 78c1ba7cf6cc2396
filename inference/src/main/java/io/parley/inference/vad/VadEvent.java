package io.parley.inference.vad;

/**
 * What a {@link VadSegmenter} decided about a stream. Times are sample offsets from the start of
 * the stream (16 kHz), so every stage can compute exact durations on one clock.
 */
public sealed interface VadEvent {

  /** Speech began at {@code startSample} (pre-roll included). */
  record SpeechStarted(long startSample) implements VadEvent {}

  /**
   * Speech ended at {@code endSample}; {@code audio} holds the whole segment from its start
   * (pre-roll included) to its end, as 16 kHz samples in [-1, 1].
   */
  record SpeechStopped(long startSample, long endSample, float[] audio) implements VadEvent {}
}
