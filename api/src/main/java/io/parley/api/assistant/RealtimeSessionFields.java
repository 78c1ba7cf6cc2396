package io.parley.api.assistant;

import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The checks of a {@code session.update}'s GA fields that {@link RealtimeSessionConfig} applies:
 * each field Parley honours is read here, each it cannot honour is refused naming it
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

  /** {@code output_modalities}: {@code ["audio"]} (the transcript comes with it) or {@code ["text"]}. */
  static boolean audioOut(Object value, String eventId) throws RealtimeProtocolException {
    if (value instanceof JsonArray m && !m.isEmpty() && m.stream().allMatch(x -> "audio".equals(x) || "text".equals(x))) {
      return m.contains("audio");
    }
    throw new RealtimeProtocolException("invalid_value", "output_modalities must be [\"audio\"] or [\"text\"], got "
        + value, "session.output_modalities", eventId);
  }

  /** {@code max_output_tokens}: 1.. ({@value RealtimeSessionConfig#MAX_OUTPUT_TOKENS} at most) or {@code "inf"} (the most). */
  static int maxTokens(Object value, String eventId) throws RealtimeProtocolException {
    if ("inf".equals(value)) {
      return RealtimeSessionConfig.MAX_OUTPUT_TOKENS;
    }
    if (value instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= 1) {
      return (int) Math.min(n.longValue(), RealtimeSessionConfig.MAX_OUTPUT_TOKENS);
    }
    throw new RealtimeProtocolException("invalid_value", "max_output_tokens must be a whole number from 1 or "
        + "\"inf\", got " + value, "session.max_output_tokens", eventId);
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
}
