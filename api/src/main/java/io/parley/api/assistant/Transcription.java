package io.parley.api.assistant;

import io.parley.inference.stt.Transcript;
import io.parley.inference.stt.Languages;
import java.util.List;
import java.util.Optional;

/**
 * What {@code POST /v1/audio/transcriptions} answers, before it is rendered in the asked
 * {@link TranscriptionFormat}.
 *
 * @param text the whole transcript
 * @param language the spoken language (ISO 639-1), when the engine knows it (verbose_json names it as
 *     OpenAI's whisper-1 does: {@code spanish})
 * @param duration the decoded audio's length in seconds
 * @param segments the text in timed pieces
 */
public record Transcription(String text, Optional<String> language, double duration,
                            List<Transcript.Segment> segments) {

  public Transcription {
    segments = List.copyOf(segments);
  }

  /**
   * {@code t} of {@code duration} seconds of audio; an undetermined language is left out, and a
   * transcript with text but no segments becomes one segment over the whole audio.
   */
  static Transcription of(Transcript t, double duration) {
    String text = t.text().strip();
    List<Transcript.Segment> segments = t.segments().isEmpty() && !text.isEmpty()
        ? List.of(new Transcript.Segment(0, duration, text)) : t.segments();
    return new Transcription(text, Optional.ofNullable(t.language())
        .filter(l -> !l.isBlank() && !Languages.UNDETERMINED.equals(l)), duration, segments);
  }
}
