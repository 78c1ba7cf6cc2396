package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.stt.Transcript;
import io.parley.inference.stt.Transcript.Segment;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each response format of one transcription, character for character. */
class TranscriptionFormatTest {

  static final Transcription T = new Transcription("Two eggs. And toast --> please.", Optional.of("en"), 3661.25,
      List.of(new Segment(0, 1.5, "Two eggs."), new Segment(1.5, 3661.2505, "And toast\n\n--> please.")));

  @Test
  void rendersEachFormatAsOpenAiDoes() {
    assertThat(TranscriptionFormat.JSON.render(T)).isEqualTo("{\"text\":\"Two eggs. And toast --> please.\"}");
    assertThat(TranscriptionFormat.TEXT.render(T)).isEqualTo("Two eggs. And toast --> please.");
    assertThat(TranscriptionFormat.SRT.render(T)).isEqualTo("""
        1
        00:00:00,000 --> 00:00:01,500
        Two eggs.

        2
        00:00:01,500 --> 01:01:01,251
        And toast
        -> please.

        """);
    assertThat(TranscriptionFormat.VTT.render(T)).isEqualTo("""
        WEBVTT

        00:00:00.000 --> 00:00:01.500
        Two eggs.

        00:00:01.500 --> 01:01:01.251
        And toast
        -> please.

        """);
    JsonObject verbose = new JsonObject(TranscriptionFormat.VERBOSE_JSON.render(T));
    assertThat(verbose.fieldNames()).containsExactly("task", "language", "duration", "text", "segments");
    assertThat(verbose.getDouble("duration")).isEqualTo(3661.25);
    assertThat(verbose.getJsonArray("segments").getJsonObject(1)).isEqualTo(new JsonObject().put("id", 1)
        .put("seek", 150).put("start", 1.5).put("end", 3661.251).put("text", "And toast\n\n--> please.")
        .put("temperature", 0.0));
  }

  @Test
  void anUnknownLanguageIsLeftOutAndUntimedTextBecomesOneSegment() {
    Transcription t = Transcription.of(new Transcript(" Hello there ", "und", Duration.ofMillis(5)), 2.0);
    assertThat(t.language()).isEmpty();
    assertThat(t.segments()).containsExactly(new Segment(0, 2.0, "Hello there"));
    assertThat(new JsonObject(TranscriptionFormat.VERBOSE_JSON.render(t)).containsKey("language")).isFalse();
    assertThat(Transcription.of(new Transcript("", "en", Duration.ZERO), 1.0).segments()).isEmpty();
    assertThat(TranscriptionFormat.of("VTT")).contains(TranscriptionFormat.VTT);
    assertThat(TranscriptionFormat.of("xml")).isEmpty();
  }
}
