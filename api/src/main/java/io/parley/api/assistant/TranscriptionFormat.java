package io.parley.api.assistant;

import io.parley.inference.stt.Languages;

import io.parley.inference.stt.Transcript;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The {@code response_format}s of {@code /v1/audio/transcriptions}, as OpenAI renders them:
 * {@code json} ({@code {"text"}}), {@code text}, {@code verbose_json} (task, language, duration,
 * text and timed segments), and the subtitle formats SubRip ({@code srt}) and WebVTT ({@code vtt}).
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/audio/createTranscription">Create transcription</a>
 * @see <a href="https://www.w3.org/TR/webvtt1/">WebVTT</a>
 */
public enum TranscriptionFormat {
  JSON("json", "application/json"),
  TEXT("text", "text/plain; charset=utf-8"),
  VERBOSE_JSON("verbose_json", "application/json"),
  SRT("srt", "application/x-subrip; charset=utf-8"),
  VTT("vtt", "text/vtt; charset=utf-8");

  private final String wire;
  private final String contentType;

  TranscriptionFormat(String wire, String contentType) {
    this.wire = wire;
    this.contentType = contentType;
  }

  /** The format named {@code name} in a request. */
  public static Optional<TranscriptionFormat> of(String name) {
    return Arrays.stream(values()).filter(f -> f.wire.equals(name.toLowerCase(Locale.ROOT))).findFirst();
  }

  /** Every format's name, for error messages. */
  public static String names() {
    return Arrays.stream(values()).map(f -> f.wire).collect(Collectors.joining(", "));
  }

  public String contentType() {
    return contentType;
  }

  /** {@code t} in this format. */
  public String render(Transcription t) {
    return switch (this) {
      case JSON -> new JsonObject().put("text", t.text()).encode();
      case TEXT -> t.text();
      case VERBOSE_JSON -> verbose(t).encode();
      case SRT -> cues(t.segments(), "", ',', true);
      case VTT -> cues(t.segments(), "WEBVTT\n\n", '.', false);
    };
  }

  private static JsonObject verbose(Transcription t) {
    JsonArray segments = new JsonArray();
    List<Transcript.Segment> list = t.segments();
    for (int i = 0; i < list.size(); i++) {
      Transcript.Segment s = list.get(i);
      segments.add(new JsonObject().put("id", i).put("seek", (int) Math.floor(s.start() * 100)).put("start", round(s.start()))
          .put("end", round(s.end())).put("text", s.text()).put("temperature", 0.0));
    }
    JsonObject json = new JsonObject().put("task", "transcribe");
    // As OpenAI's whisper-1 writes it: the language's English name in lower case ("spanish").
    t.language().ifPresent(l -> json.put("language", Languages.known(l)
        ? Languages.englishName(l).toLowerCase(java.util.Locale.ROOT) : l));
    return json.put("duration", round(t.duration())).put("text", t.text()).put("segments", segments);
  }

  /** Subtitle cues: SubRip numbers them and writes {@code 00:00:01,500}; WebVTT writes {@code 00:00:01.500}. */
  private static String cues(List<Transcript.Segment> segments, String header, char decimal, boolean numbered) {
    StringBuilder out = new StringBuilder(header);
    for (int i = 0; i < segments.size(); i++) {
      Transcript.Segment s = segments.get(i);
      if (numbered) {
        out.append(i + 1).append('\n');
      }
      out.append(time(s.start(), decimal)).append(" --> ").append(time(s.end(), decimal)).append('\n')
          // A blank line ends a cue in both formats: keep the text on lines of its own.
          .append(s.text().replaceAll("\\R+", "\n").replace("-->", "->")).append("\n\n");
    }
    return out.toString();
  }

  static String time(double seconds, char decimal) {
    long ms = Math.round(seconds * 1000);
    return String.format(Locale.ROOT, "%02d:%02d:%02d%c%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60,
        decimal, ms % 1000);
  }

  private static double round(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }
}
