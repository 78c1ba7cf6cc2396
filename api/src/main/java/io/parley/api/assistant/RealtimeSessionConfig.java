package io.parley.api.assistant;

import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.api.assistant.realtime.RealtimeTools;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.voice.ToolSettings;
import java.util.List;
import io.parley.core.ParleyException;
import io.parley.inference.llm.Personality;
import io.parley.inference.stt.Languages;
import io.parley.inference.vad.Eagerness;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.voice.VoiceSession;
import io.parley.inference.voice.VoiceSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;
import io.parley.inference.tts.SpeechStyle;

/**
 * A realtime session's configuration as the client sees it (the {@code session} object of
 * {@code session.created} / {@code session.updated}), and what {@code session.update} may change.
 * An update is all or nothing: a bad field leaves the configuration as it was.
 *
 * @param instructions the client's own ({@code session.update}), or null: appended under the
 *     ground rules and the personality's tone, never replacing them ({@link Personality#systemPrompt(String, boolean)})
 * @param turnDetection the server VAD's settings: the server's (PARLEY_VAD_*) until the client sets its own
 * @param tools the client's function tools ({@code session.tools}) and {@code toolChoice}
 * @param serverTools whether Parley's own tools are offered ({@code session.parley.tools}, default on)
 * @param speech the answers' voice ({@code session.audio.output.voice}: null for the node's default) and
 *     speed ({@code session.audio.output.speed})
 * @param language the language spoken ({@code session.audio.input.transcription.language}): the
 *     node's (PARLEY_STT_LANGUAGE) until the client sets its own; empty to detect it
 */
record RealtimeSessionConfig(String personality, String instructions, boolean audioOut, int inputRate,
                             int outputRate, boolean serverVad, VadSegmenter.Settings turnDetection,
                             boolean createResponse, boolean interruptResponse, int maxTokens, List<Tool> tools,
                             ToolChoice toolChoice, boolean serverTools, SpeechStyle speech,
                             Optional<String> language) {

  /** Refuses a language the session's speech to text cannot take (see {@link VoiceSession#checkLanguage}). */
  interface LanguageCheck {
    void check(Optional<String> language);
  }

  /** The most tokens a client may ask for per answer. */
  static final int MAX_OUTPUT_TOKENS = 4096;
  static final int MIN_RATE = 8_000;
  static final int MAX_RATE = 48_000;
  /** Longest voice name accepted (eSpeak NG's longest tag is under 30). */
  static final int MAX_VOICE_CHARS = 64;

  /** A new session's: {@code instructions} the client's, null for none. */
  static RealtimeSessionConfig initial(VoiceOptions config, String personality, String instructions,
                                       boolean audioOut, int rate) {
    return new RealtimeSessionConfig(personality, instructions, audioOut, rate, rate, true,
        config.vad().turnDetection(), true, true, config.llm().maxTokens(), List.of(), ToolChoice.AUTO, true,
        SpeechStyle.DEFAULT, config.stt().language());
  }

  /**
   * What a dropped session keeps for its resume ({@link ResumeRegistry}), as the {@code session}
   * of a {@code session.update}: personality, instructions, output modality, language, voice and
   * speed, the client's tools and tool choice, and whether server tools are on.
   */
  JsonObject kept() {
    JsonObject output = new JsonObject().put("speed", speech.speed());
    if (speech.voice() != null) {
      output.put("voice", speech.voice());
    }
    JsonObject input = new JsonObject().put("transcription", new JsonObject().put("language", language.orElse(null)));
    return new JsonObject().put("instructions", instructions)
        .put("output_modalities", new JsonArray().add(audioOut ? "audio" : "text"))
        .put("audio", new JsonObject().put("input", input).put("output", output))
        .put("tools", RealtimeTools.toJson(tools)).put("tool_choice", RealtimeTools.toJson(toolChoice))
        .put("parley", new JsonObject().put("personality", personality).put("tools", serverTools));
  }

  /** A resumed session's: a new one's, with what the dropped one {@link #kept}. */
  static RealtimeSessionConfig resumed(VoiceOptions config, JsonObject kept, String personality, int rate,
                                       UnaryOperator<String> voices) {
    try {
      return initial(config, personality, null, true, rate).update(kept, null, voices, language -> { });
    } catch (RealtimeProtocolException e) {
      // Kept from a valid configuration: it cannot be refused now.
      throw new IllegalStateException("a kept session does not apply: " + e.getMessage(), e);
    }
  }

  /**
   * The system prompt (before the personal context): ground rules, the spoken rule when the output
   * is audio (a text-only session is not told its answers are spoken), tone, the client's instructions.
   */
  String systemPrompt() {
    return Personality.of(personality).systemPrompt(instructions, audioOut);
  }

  /** The pipeline's settings for this configuration. */
  VoiceSettings settings(VoiceOptions config) {
    return new VoiceSettings(serverVad, createResponse, interruptResponse, config.bargeIn(), systemPrompt(),
        language, audioOut, maxTokens, 0.7, config.contextMessages(), turnDetection,
        new ToolSettings(tools, toolChoice, serverTools, config.toolRounds()), speech);
  }

  /**
   * This configuration after the client's {@code session.update} ({@code eventId}: the client's, or
   * null); {@code voices} resolves a voice name (failing {@code INVALID} with the valid ones);
   * {@code languages} refuses a language the session cannot transcribe.
   */
  RealtimeSessionConfig update(JsonObject s, String eventId, UnaryOperator<String> voices, LanguageCheck languages)
      throws RealtimeProtocolException {
    String instructions = this.instructions;
    boolean audioOut = this.audioOut;
    int maxTokens = this.maxTokens;
    String personality = this.personality;
    boolean serverVad = this.serverVad;
    boolean createResponse = this.createResponse;
    boolean interruptResponse = this.interruptResponse;
    VadSegmenter.Settings vad = this.turnDetection;
    List<Tool> tools = s.containsKey("tools") ? RealtimeTools.tools(s.getValue("tools"), "session.tools", eventId)
        : this.tools;
    ToolChoice toolChoice = s.containsKey("tool_choice")
        ? RealtimeTools.choice(s.getValue("tool_choice"), tools, "session.tool_choice", eventId)
        : toolChoice(this.toolChoice, tools);
    boolean serverTools = this.serverTools;
    Optional<String> language = this.language;
    if (s.getValue("instructions") instanceof String i) {
      instructions = i;
    }
    if (s.getValue("output_modalities") instanceof JsonArray m) {
      audioOut = m.contains("audio");
    }
    if (s.getValue("max_output_tokens") instanceof Number n) {
      maxTokens = Math.max(1, Math.min(n.intValue(), MAX_OUTPUT_TOKENS));
    }
    if (s.getValue("parley") instanceof JsonObject parley && parley.containsKey("tools")) {
      if (!(parley.getValue("tools") instanceof Boolean on)) {
        throw new RealtimeProtocolException("invalid_value", "session.parley.tools must be true or false",
            "session.parley.tools", eventId);
      }
      serverTools = on;
    }
    if (s.getValue("parley") instanceof JsonObject parley && parley.getValue("personality") instanceof String p) {
      Personality chosen;
      try {
        chosen = Personality.of(p);
      } catch (ParleyException ex) {
        throw new RealtimeProtocolException("invalid_value", ex.getMessage(), "session.parley.personality", eventId);
      }
      personality = chosen.name().toLowerCase(Locale.ROOT);
    }
    JsonObject audio = s.getValue("audio") instanceof JsonObject a ? a : null;
    JsonObject input = audio != null && audio.getValue("input") instanceof JsonObject in ? in : null;
    if (input != null) {
      if (input.getValue("format") instanceof JsonObject format) {
        int rate = rate(format, "session.audio.input.format", eventId);
        if (rate != inputRate) {
          throw new RealtimeProtocolException("invalid_value", "the input rate is fixed when the session starts ("
              + inputRate + " Hz)", "session.audio.input.format.rate", eventId);
        }
      }
      if (input.getValue("transcription") instanceof JsonObject t && t.containsKey("language")) {
        language = language(t.getValue("language"), "session.audio.input.transcription.language", eventId,
            languages);
      }
      if (input.containsKey("turn_detection")) {
        JsonObject td = input.getValue("turn_detection") instanceof JsonObject t ? t : null;
        serverVad = td != null;
        if (td != null) {
          createResponse = !(td.getValue("create_response") instanceof Boolean b) || b;
          interruptResponse = !(td.getValue("interrupt_response") instanceof Boolean b) || b;
          vad = "semantic_vad".equals(td.getValue("type")) ? semanticVad(td, eventId) : vad(td, eventId);
        }
      }
    }
    if (s.getValue("input_audio_transcription") instanceof JsonObject t && t.containsKey("language")) {
      // The beta shape, as older clients still send it.
      language = language(t.getValue("language"), "session.input_audio_transcription.language", eventId, languages);
    }
    SpeechStyle speech = audio != null && audio.getValue("output") instanceof JsonObject output
        ? speech(output, eventId, voices) : this.speech;
    return new RealtimeSessionConfig(personality, instructions, audioOut, inputRate, outputRate, serverVad, vad,
        createResponse, interruptResponse, maxTokens, tools, toolChoice, serverTools, speech, language);
  }

  /** {@code audio.output}'s {@code voice} (a name or language code) and {@code speed} (0.25..4) over the current. */
  private SpeechStyle speech(JsonObject output, String eventId, UnaryOperator<String> voices)
      throws RealtimeProtocolException {
    SpeechStyle speech = this.speech;
    if (output.containsKey("voice")) {
      if (!(output.getValue("voice") instanceof String name) || name.isBlank() || name.length() > MAX_VOICE_CHARS) {
        throw new RealtimeProtocolException("invalid_value", "voice must be a voice name or a language code",
            "session.audio.output.voice", eventId);
      }
      try {
        speech = speech.withVoice(voices.apply(name));
      } catch (ParleyException e) {
        throw new RealtimeProtocolException("invalid_value", e.getMessage(), "session.audio.output.voice", eventId);
      }
    }
    if (output.containsKey("speed")) {
      if (!(output.getValue("speed") instanceof Number n)
          || !(n.doubleValue() >= SpeechStyle.MIN_SPEED && n.doubleValue() <= SpeechStyle.MAX_SPEED)) {
        throw new RealtimeProtocolException("invalid_value", "speed must be a number in " + SpeechStyle.MIN_SPEED
            + ".." + SpeechStyle.MAX_SPEED + ", got " + output.getValue("speed"), "session.audio.output.speed", eventId);
      }
      speech = speech.withSpeed(n.doubleValue());
    }
    return speech;
  }

  /**
   * A client's transcription language: an ISO 639-1 code Whisper knows, or null, "" or "auto" to
   * detect it; refused naming {@code param} when unknown, or when the session's model cannot take it.
   */
  private static Optional<String> language(Object value, String param, String eventId, LanguageCheck languages)
      throws RealtimeProtocolException {
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
  private static ToolChoice toolChoice(ToolChoice kept, List<Tool> tools) {
    boolean gone = kept.function().isPresent() && tools.stream().noneMatch(t -> t.name().equals(kept.function().get()));
    return gone || kept.forced() && tools.isEmpty() ? ToolChoice.AUTO : kept;
  }

  /**
   * The tools of a {@code response.create} ({@code response}: its {@code response} object, or null):
   * its own {@code tools} / {@code tool_choice} for this answer only, else the session's.
   */
  ToolSettings responseTools(VoiceOptions config, JsonObject response, String eventId)
      throws RealtimeProtocolException {
    ToolSettings session = settings(config).tools();
    if (response == null || !response.containsKey("tools") && !response.containsKey("tool_choice")) {
      return session;
    }
    List<Tool> tools = response.containsKey("tools")
        ? RealtimeTools.tools(response.getValue("tools"), "response.tools", eventId) : this.tools;
    ToolChoice choice = response.containsKey("tool_choice")
        ? RealtimeTools.choice(response.getValue("tool_choice"), tools, "response.tool_choice", eventId)
        : toolChoice(toolChoice, tools);
    return session.withClientTools(tools, choice);
  }

  /**
   * The server_vad fields of {@code turn_detection} over the current settings: {@code threshold}
   * (speech starts at or above, 0.01..0.99), {@code silence_duration_ms} (end of turn, 100..10000),
   * {@code prefix_padding_ms} (pre-roll, 0..2000) and Parley's {@code end_threshold} (speech goes on
   * at or above; default: the threshold minus 0.15) and {@code min_speech_ms} (0..2000).
   */
  private VadSegmenter.Settings vad(JsonObject td, String eventId) throws RealtimeProtocolException {
    VadSegmenter.Settings now = turnDetection.withoutEagerness();
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
   * {@code semantic_vad}: the end-of-turn model decides at each pause, with {@code eagerness} (low,
   * medium, high, auto; default auto) for its threshold and silence fallback ({@link Eagerness}).
   */
  private VadSegmenter.Settings semanticVad(JsonObject td, String eventId) throws RealtimeProtocolException {
    Object eagerness = td.getValue("eagerness", "auto");
    try {
      if (!(eagerness instanceof String name)) {
        throw new IllegalArgumentException("eagerness must be low, medium, high or auto, got " + eagerness);
      }
      return turnDetection.withEagerness(Eagerness.parse(name));
    } catch (IllegalArgumentException e) {
      throw new RealtimeProtocolException("invalid_value", "turn_detection." + e.getMessage(),
          "session.audio.input.turn_detection.eagerness", eventId);
    }
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

  private int rate(JsonObject format, String param, String eventId) throws RealtimeProtocolException {
    if (format.getValue("type") != null && !"audio/pcm".equals(format.getValue("type"))) {
      throw new RealtimeProtocolException("invalid_value", "only audio/pcm (PCM16) is supported", param + ".type",
          eventId);
    }
    Object r = format.getValue("rate", inputRate);
    if (!(r instanceof Number n) || n.intValue() < MIN_RATE || n.intValue() > MAX_RATE) {
      throw new RealtimeProtocolException("invalid_value", "rate must be 8000..48000 Hz", param + ".rate", eventId);
    }
    return n.intValue();
  }

  /** The {@code session} object of session.created and session.updated ({@code defaultVoice}: the node's). */
  JsonObject toJson(VoiceOptions config, UUID conversationId, String resumeToken, boolean resumed,
                    String defaultVoice) {
    JsonObject vad = serverVad && turnDetection.eagerness().isPresent() ? new JsonObject()
        .put("type", "semantic_vad").put("eagerness", turnDetection.eagerness().get().wireName())
        .put("create_response", createResponse).put("interrupt_response", interruptResponse)
        : serverVad ? new JsonObject().put("type", "server_vad")
        .put("threshold", turnDetection.startThreshold())
        .put("prefix_padding_ms", turnDetection.preRoll().toMillis())
        .put("silence_duration_ms", turnDetection.minSilence().toMillis())
        .put("create_response", createResponse).put("interrupt_response", interruptResponse) : null;
    // GA's turn_detection has no place for Parley's own two: they are shown under "parley".
    JsonObject parleyVad = serverVad ? new JsonObject().put("end_threshold", turnDetection.endThreshold())
        .put("min_speech_ms", turnDetection.minSpeech().toMillis()) : null;
    JsonObject transcription = new JsonObject().put("model", "whisper");
    language.ifPresent(l -> transcription.put("language", l));
    return new JsonObject()
        .put("type", "realtime")
        .put("object", "realtime.session")
        .put("id", "sess_" + conversationId)
        .put("model", "parley")
        .put("output_modalities", new JsonArray().add(audioOut ? "audio" : "text"))
        .put("instructions", systemPrompt())
        .put("max_output_tokens", maxTokens)
        .put("tools", RealtimeTools.toJson(tools))
        .put("tool_choice", RealtimeTools.toJson(toolChoice))
        .put("audio", new JsonObject()
            .put("input", new JsonObject()
                .put("format", new JsonObject().put("type", "audio/pcm").put("rate", inputRate))
                .put("turn_detection", vad)
                .put("transcription", transcription))
            .put("output", new JsonObject()
                .put("format", new JsonObject().put("type", "audio/pcm").put("rate", outputRate))
                .put("voice", speech.voice() == null ? defaultVoice : speech.voice())
                .put("speed", speech.speed())))
        .put("parley", new JsonObject().put("personality", personality).put("tools", serverTools)
            .put("conversation_id", conversationId.toString())
            .put("resume_token", resumeToken)
            .put("resumed", resumed).put("turn_detection", parleyVad));
  }
}
