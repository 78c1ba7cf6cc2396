package io.parley.api.assistant;

import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.core.ParleyException;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.stt.Languages;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.vad.Eagerness;
import io.parley.inference.vad.VadSegmenter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * The fields of a {@code session.update} one by one, as {@link RealtimeSessionUpdate} applies them:
 * each field Parley honours is read and checked here, each it cannot honour is refused naming it
 * ({@code param}), so that none is silently ignored.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime-client-events/session/update">session.update</a>
 */
final class RealtimeSessionFields {

  /** Session fields of the GA schema (and Parley's own) that {@code session.update} reads. */
  static final Set<String> FIELDS = Set.of("type", "model", "instructions", "audio", "include", "max_output_tokens",
      "output_modalities", "prompt", "tool_choice", "tools", "tracing", "truncation", "parallel_tool_calls",
      "reasoning", "parley", "input_audio_transcription", "id", "object", "expires_at");
  /** Longest idle_timeout_ms accepted (10 minutes), and the shortest. */
  static final long MAX_IDLE_TIMEOUT_MS = 600_000;
  static final long MIN_IDLE_TIMEOUT_MS = 1_000;
  /** The field a refused turn detection type is named by. */
  static final String TURN_DETECTION_TYPE = "session.audio.input.turn_detection.type";

  private RealtimeSessionFields() {}

  /**
   * Refuses fields the schema does not have ({@code unknown_parameter}, the whole update refused),
   * and the GA session fields Parley cannot honour one by one ({@code unsupported_value}, added to
   * {@code refused}; the rest of the update applies): none is silently ignored.
   */
  static void check(JsonObject s, String eventId, List<RealtimeProtocolException> refused)
      throws RealtimeProtocolException {
    for (String key : s.fieldNames()) {
      if (!FIELDS.contains(key)) {
        throw new RealtimeProtocolException("unknown_parameter", "session." + key + " is not a session field",
            "session." + key, eventId);
      }
    }
    if (s.getValue("prompt") != null) {
      refused.add(new RealtimeProtocolException("unsupported_value", "stored prompts (session.prompt) live on OpenAI's "
          + "platform; send the instructions instead", "session.prompt", eventId));
    }
    if (s.getValue("include") instanceof JsonArray include && !include.isEmpty()) {
      refused.add(new RealtimeProtocolException("unsupported_value", "Whisper's transcripts carry no log "
          + "probabilities (session.include)", "session.include", eventId));
    }
    if (s.containsKey("parallel_tool_calls") && !(s.getValue("parallel_tool_calls") instanceof Boolean)) {
      throw new RealtimeProtocolException("invalid_value", "parallel_tool_calls must be true or false",
          "session.parallel_tool_calls", eventId);
    }
    if (s.getValue("reasoning") != null) {
      refused.add(new RealtimeProtocolException("unsupported_value", "the configured LLM takes no reasoning effort "
          + "(session.reasoning)", "session.reasoning", eventId));
    }
    Object truncation = s.getValue("truncation");
    if (truncation != null && !"auto".equals(truncation)) {
      refused.add(new RealtimeProtocolException("unsupported_value", "only truncation \"auto\" is supported: Parley "
          + "keeps the conversation's last PARLEY_VOICE_CONTEXT_MESSAGES messages", "session.truncation", eventId));
    }
  }

  /**
   * {@code output_modalities} (of the session or a response, named {@code param}): {@code ["audio"]}
   * (the transcript comes with it) or {@code ["text"]}.
   */
  static boolean audioOut(Object value, String param, String eventId) throws RealtimeProtocolException {
    if (value instanceof JsonArray m && !m.isEmpty() && m.stream().allMatch(x -> "audio".equals(x) || "text".equals(x))) {
      return m.contains("audio");
    }
    throw new RealtimeProtocolException("invalid_value", "output_modalities must be [\"audio\"] or [\"text\"], got "
        + value, param, eventId);
  }

  /**
   * {@code max_output_tokens} (of the session or a response, named {@code param}): 1..
   * ({@value RealtimeSessionConfig#MAX_OUTPUT_TOKENS} at most) or {@code "inf"} (the most).
   */
  static int maxTokens(Object value, String param, String eventId) throws RealtimeProtocolException {
    if ("inf".equals(value)) {
      return RealtimeSessionConfig.MAX_OUTPUT_TOKENS;
    }
    if (value instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= 1) {
      return (int) Math.min(n.longValue(), RealtimeSessionConfig.MAX_OUTPUT_TOKENS);
    }
    throw new RealtimeProtocolException("invalid_value", "max_output_tokens must be a whole number from 1 or "
        + "\"inf\", got " + value, param, eventId);
  }

  /**
   * {@code audio.input}'s format, noise reduction and transcription model and prompt over
   * {@code wire}; {@code transcription: null} is refused into {@code refused} (transcription stays on).
   */
  static RealtimeSessionConfig.Wire input(JsonObject input, RealtimeSessionConfig.Wire wire, String eventId,
                                          List<RealtimeProtocolException> refused) throws RealtimeProtocolException {
    AudioFormat format = AudioFormat.parse(input.getValue("format"), wire.input(), "session.audio.input.format",
        eventId);
    String noise = wire.noiseReduction();
    if (input.containsKey("noise_reduction")) {
      Object nr = input.getValue("noise_reduction");
      Object type = nr instanceof JsonObject o ? o.getValue("type", "near_field") : null;
      if (nr != null && !"near_field".equals(type) && !"far_field".equals(type)) {
        throw new RealtimeProtocolException("invalid_value", "noise_reduction must be null or have type near_field "
            + "or far_field", "session.audio.input.noise_reduction", eventId);
      }
      noise = (String) type;
    }
    String model = wire.transcriptionModel();
    String prompt = wire.transcriptionPrompt();
    if (input.containsKey("transcription") && input.getValue("transcription") == null) {
      refused.add(new RealtimeProtocolException("unsupported_value", "input transcription cannot be turned off: "
          + "each answer is made from the user's transcript", "session.audio.input.transcription", eventId));
    }
    if (input.getValue("transcription") instanceof JsonObject t) {
      if (t.containsKey("model")) {
        if (!(t.getValue("model") instanceof String m) || m.isBlank() || m.length() > RealtimeSessionConfig.MAX_VOICE_CHARS) {
          throw new RealtimeProtocolException("invalid_value", "transcription.model must be a model name",
              "session.audio.input.transcription.model", eventId);
        }
        model = m;
      }
      if (t.containsKey("prompt")) {
        if (t.getValue("prompt") != null && !(t.getValue("prompt") instanceof String)) {
          throw new RealtimeProtocolException("invalid_value", "transcription.prompt must be a string",
              "session.audio.input.transcription.prompt", eventId);
        }
        prompt = (String) t.getValue("prompt");
      }
    }
    return new RealtimeSessionConfig.Wire(format, wire.output(), noise, model, prompt);
  }

  /**
   * {@code turn_detection.type}: {@code server_vad} (or none given), or {@code semantic_vad} when an
   * end-of-turn model serves it. Without one, {@code semantic_vad} is refused into {@code refused}
   * and false returned: the turn detection in force stays (it never runs as server VAD under the
   * name the client asked for). Any other type refuses the whole update.
   *
   * @return whether this turn_detection applies
   */
  static boolean turnDetectionType(JsonObject td, String eventId, BooleanSupplier semanticVadAvailable,
                                   List<RealtimeProtocolException> refused) throws RealtimeProtocolException {
    Object type = td.getValue("type", "server_vad");
    if ("semantic_vad".equals(type)) {
      Object eagerness = td.getValue("eagerness", "auto");
      if (!Set.of("low", "medium", "high", "auto").contains(eagerness)) {
        throw new RealtimeProtocolException("invalid_value", "eagerness must be low, medium, high or auto",
            "session.audio.input.turn_detection.eagerness", eventId);
      }
      if (!semanticVadAvailable.getAsBoolean()) {
        refused.add(new RealtimeProtocolException("unsupported_value", "turn_detection.type semantic_vad needs an "
            + "end-of-turn model and this node has none: fetch it with ./parley models --turn smart-turn-v3 (or set "
            + "PARLEY_SEMANTIC_VAD_MODEL). The turn detection in force stays; the rest of the update applied",
            TURN_DETECTION_TYPE, eventId));
        return false;
      }
      return true;
    }
    if (!"server_vad".equals(type)) {
      throw new RealtimeProtocolException("invalid_value", "turn_detection.type must be server_vad or semantic_vad, "
          + "got " + type, TURN_DETECTION_TYPE, eventId);
    }
    return true;
  }

  /** {@code idle_timeout_ms}: null for none, else {@value #MIN_IDLE_TIMEOUT_MS}..{@value #MAX_IDLE_TIMEOUT_MS}. */
  static long idleTimeout(Object value, String eventId) throws RealtimeProtocolException {
    if (value == null) {
      return 0;
    }
    if (value instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= MIN_IDLE_TIMEOUT_MS
        && n.longValue() <= MAX_IDLE_TIMEOUT_MS) {
      return n.longValue();
    }
    throw new RealtimeProtocolException("invalid_value", "turn_detection.idle_timeout_ms must be null or "
        + MIN_IDLE_TIMEOUT_MS + ".." + MAX_IDLE_TIMEOUT_MS + ", got " + value,
        "session.audio.input.turn_detection.idle_timeout_ms", eventId);
  }

  /**
   * {@code audio.output}'s {@code voice} (a name or language code) and {@code speed} (0.25..4) over
   * {@code speech}; {@code output} is the session's or a response's, named {@code prefix}.
   */
  static SpeechStyle speech(SpeechStyle speech, JsonObject output, String prefix, String eventId,
                            UnaryOperator<String> voices) throws RealtimeProtocolException {
    if (output.containsKey("voice")) {
      if (!(output.getValue("voice") instanceof String name) || name.isBlank()
          || name.length() > RealtimeSessionConfig.MAX_VOICE_CHARS) {
        throw new RealtimeProtocolException("invalid_value", "voice must be a voice name or a language code",
            prefix + ".voice", eventId);
      }
      try {
        speech = speech.withVoice(voices.apply(name));
      } catch (ParleyException e) {
        throw new RealtimeProtocolException("invalid_value", e.getMessage(), prefix + ".voice", eventId);
      }
    }
    if (output.containsKey("speed")) {
      if (!(output.getValue("speed") instanceof Number n)
          || !(n.doubleValue() >= SpeechStyle.MIN_SPEED && n.doubleValue() <= SpeechStyle.MAX_SPEED)) {
        throw new RealtimeProtocolException("invalid_value", "speed must be a number in " + SpeechStyle.MIN_SPEED
            + ".." + SpeechStyle.MAX_SPEED + ", got " + output.getValue("speed"), prefix + ".speed", eventId);
      }
      speech = speech.withSpeed(n.doubleValue());
    }
    return speech;
  }

  /**
   * A client's transcription language: an ISO 639-1 code Whisper knows, or null, "" or "auto" to
   * detect it; refused naming {@code param} when unknown, or when the session's model cannot take it.
   */
  static Optional<String> language(Object value, String param, String eventId,
                                   RealtimeSessionConfig.LanguageCheck languages) throws RealtimeProtocolException {
    if (value != null && !(value instanceof String)) {
      throw new RealtimeProtocolException("invalid_value", param + " must be a language code or null", param,
          eventId);
    }
    try {
      Optional<String> language = Languages.parse((String) value, param);
      languages.check(language);
      return language;
    } catch (ParleyException e) {
      throw new RealtimeProtocolException("invalid_value", e.getMessage(), param, eventId);
    }
  }

  /** A choice kept while the tools change: one naming a function that is gone becomes auto. */
  static ToolChoice toolChoice(ToolChoice kept, List<Tool> tools) {
    boolean gone = kept.function().isPresent() && tools.stream().noneMatch(t -> t.name().equals(kept.function().get()));
    return gone || kept.forced() && tools.isEmpty() ? ToolChoice.AUTO : kept;
  }

  /**
   * The server_vad fields of {@code turn_detection} over {@code current}: {@code threshold}
   * (speech starts at or above, 0.01..0.99), {@code silence_duration_ms} (end of turn, 100..10000),
   * {@code prefix_padding_ms} (pre-roll, 0..2000) and Parley's {@code end_threshold} (speech goes on
   * at or above; default: the threshold minus 0.15) and {@code min_speech_ms} (0..2000).
   */
  static VadSegmenter.Settings serverVad(VadSegmenter.Settings current, JsonObject td, String eventId)
      throws RealtimeProtocolException {
    VadSegmenter.Settings now = current.withoutEagerness();
    try {
      double start = number(td, "threshold", now.startThreshold(), 0.01, 0.99);
      double end = number(td, "end_threshold",
          td.containsKey("threshold") ? Math.max(0.01, start - 0.15) : Math.min(now.endThreshold(), start), 0.01, start);
      long silence = (long) number(td, "silence_duration_ms", now.minSilence().toMillis(), 100, 10_000);
      long preRoll = (long) number(td, "prefix_padding_ms", now.preRoll().toMillis(), 0, 2_000);
      long minSpeech = (long) number(td, "min_speech_ms", now.minSpeech().toMillis(), 0, 2_000);
      return new VadSegmenter.Settings(start, end, Duration.ofMillis(minSpeech), Duration.ofMillis(silence),
          Duration.ofMillis(preRoll), now.maxSegment());
    } catch (IllegalArgumentException e) {
      throw new RealtimeProtocolException("invalid_value", e.getMessage(), "session.audio.input.turn_detection",
          eventId);
    }
  }

  /**
   * {@code semantic_vad} over {@code current}: the end-of-turn model decides at each pause, with
   * {@code eagerness} (low, medium, high, auto; default auto) for its threshold and silence fallback
   * ({@link Eagerness}).
   */
  static VadSegmenter.Settings semanticVad(VadSegmenter.Settings current, JsonObject td, String eventId)
      throws RealtimeProtocolException {
    Object eagerness = td.getValue("eagerness", "auto");
    try {
      if (!(eagerness instanceof String name)) {
        throw new IllegalArgumentException("eagerness must be low, medium, high or auto, got " + eagerness);
      }
      return current.withEagerness(Eagerness.parse(name));
    } catch (IllegalArgumentException e) {
      throw new RealtimeProtocolException("invalid_value", "turn_detection." + e.getMessage(),
          "session.audio.input.turn_detection.eagerness", eventId);
    }
  }

  /**
   * {@code o.key} when it is an object, null when absent or null; any other JSON value is
   * {@code invalid_value} naming {@code param} (a {@code turn_detection: 5} turned server VAD off
   * without a word before).
   */
  static JsonObject object(JsonObject o, String key, String param, String eventId) throws RealtimeProtocolException {
    Object v = o == null ? null : o.getValue(key);
    if (v == null || v instanceof JsonObject) {
      return (JsonObject) v;
    }
    throw new RealtimeProtocolException("invalid_value", param + " must be an object, got " + kind(v), param, eventId);
  }

  /** {@code o.key} when it is true or false, {@code absent} when absent or null; else {@code invalid_value}. */
  static boolean bool(JsonObject o, String key, boolean absent, String param, String eventId)
      throws RealtimeProtocolException {
    Object v = o.getValue(key);
    if (v == null) {
      return absent;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw new RealtimeProtocolException("invalid_value", param + " must be true or false, got " + kind(v), param,
        eventId);
  }

  /** {@code o.key} when it is a string, null when absent or null; else {@code invalid_value}. */
  static String string(JsonObject o, String key, String param, String eventId) throws RealtimeProtocolException {
    Object v = o == null ? null : o.getValue(key);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw new RealtimeProtocolException("invalid_value", param + " must be a string, got " + kind(v), param, eventId);
  }

  /** A JSON value's kind, for messages: never the value itself (it may be long). */
  static String kind(Object v) {
    return switch (v) {
      case String x -> "a string";
      case Number x -> "a number";
      case Boolean x -> "a boolean";
      case JsonArray x -> "an array";
      case JsonObject x -> "an object";
      default -> "null";
    };
  }

  private static double number(JsonObject o, String key, double current, double min, double max) {
    Object v = o.getValue(key);
    if (v == null) {
      return current;
    }
    if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
      throw new IllegalArgumentException("turn_detection." + key + " must be a number in " + fmt(min) + ".."
          + fmt(max) + ", got " + v);
    }
    return n.doubleValue();
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
