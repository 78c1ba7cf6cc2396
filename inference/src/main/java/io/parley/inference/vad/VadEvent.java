package io.parley.inference.vad;

/**
 * What a {@link VadSegmenter} decided about a stream. Times are sample offsets from the start of
 * the stream (16 kHz), so every stage can compute exact durations on one clock.
 */
public sealed interface VadEvent {

  /**
   * Speech began at {@code onsetSample}; its segment starts at {@code startSample}, the pre-roll
   * before the onset included.
   */
  record SpeechStarted(long startSample, long onsetSample) implements VadEvent {
    /** A segment that starts at its onset (no pre-roll). */
    public SpeechStarted(long startSample) {
      this(startSample, startSample);
    }
  }

  /**
   * Speech ended at {@code endSample}; {@code audio} holds the whole segment from its start
   * (pre-roll included) to its end, as 16 kHz samples in [-1, 1].
   */
  record SpeechStopped(long startSample, long endSample, float[] audio) implements VadEvent {}

  /**
   * Speech paused at {@code endSample} for {@link Eagerness#PAUSE} inside a segment, with semantic
   * turn detection on: {@code audio} holds the segment so far, from {@code startSample} to the
   * pause. The segment goes on until its end is decided ({@link VadSegmenter#endPause}).
   */
  record Paused(long startSample, long endSample, float[] audio) implements VadEvent {}
}
