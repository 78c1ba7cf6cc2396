package io.parley.inference.stt;

import java.time.Duration;
import java.util.List;

/**
 * A transcription result: the text, the language it was in (a code of {@link Languages#CODES}: the
 * one detected, or the one asked for; {@link Languages#UNDETERMINED} when detected but unknown), the
 * engine's compute time, and, when asked for ({@link SpeechToText#transcribeTimed}), the text in
 * segments with their times.
 */
public record Transcript(String text, String language, Duration compute, List<Segment> segments) {

  /** A stretch of the text, with its start and end in seconds from the start of the audio. */
  public record Segment(double start, double end, String text) {}

  public Transcript {
    segments = List.copyOf(segments);
  }

  /** A transcript without segments. */
  public Transcript(String text, String language, Duration compute) {
    this(text, language, compute, List.of());
  }
}
