package io.parley.api.assistant;

import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.ClientEventDecoder;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.api.assistant.realtime.RealtimeTools;
import io.parley.core.ParleyException;
import io.parley.inference.llm.Personality;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.vad.VadSegmenter;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A client's {@code session.update} read over the configuration in force
 * ({@link RealtimeSessionConfig#update}): which fields it may change and what each keeps when it is
 * absent. Each field is read by {@link RealtimeSessionFields}; a malformed one refuses the whole
 * update, one Parley cannot honour is refused alone and the rest applies.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime-client-events/session/update">session.update</a>
 */
final class RealtimeSessionUpdate {

  private RealtimeSessionUpdate() {}

  /**
   * {@code now} after the client's {@code session} ({@code eventId}: the client's, or null), as
   * {@link RealtimeSessionConfig#update(JsonObject, String, UnaryOperator, RealtimeSessionConfig.LanguageCheck,
   * BooleanSupplier)} describes.
   *
   * @throws RealtimeProtocolException for a malformed or out-of-range field: nothing applied
   */
  static RealtimeSessionConfig.Applied apply(RealtimeSessionConfig now, JsonObject s, String eventId,
                                             UnaryOperator<String> voices,
                                             RealtimeSessionConfig.LanguageCheck languages,
                                             BooleanSupplier semanticVadAvailable) throws RealtimeProtocolException {
    List<RealtimeProtocolException> refused = new ArrayList<>();
    RealtimeSessionFields.check(s, eventId, refused);
    boolean transcription = now.transcription();
    if (s.containsKey("type")) {
      Object type = s.getValue("type");
      if (!"realtime".equals(type) && !"transcription".equals(type)) {
        throw new RealtimeProtocolException("invalid_value", "session.type must be realtime or transcription, got "
            + type, "session.type", eventId);
      }
      transcription = "transcription".equals(type);
    }
    RealtimeSessionConfig.Wire wire = now.wire();
    long idleTimeoutMs = now.idleTimeoutMs();
    String instructions = now.instructions();
    boolean audioOut = now.audioOut();
    int maxTokens = now.maxTokens();
    String personality = now.personality();
    boolean serverVad = now.serverVad();
    boolean createResponse = now.createResponse();
    boolean interruptResponse = now.interruptResponse();
    VadSegmenter.Settings vad = now.turnDetection();
    List<Tool> tools = s.containsKey("tools") ? RealtimeTools.tools(s.getValue("tools"), "session.tools", eventId)
        : now.tools();
    ToolChoice toolChoice = s.containsKey("tool_choice")
        ? RealtimeTools.choice(s.getValue("tool_choice"), tools, "session.tool_choice", eventId)
        : RealtimeSessionFields.toolChoice(now.toolChoice(), tools);
    boolean serverTools = now.serverTools();
    Optional<String> language = now.language();
    String i = RealtimeSessionFields.string(s, "instructions", "session.instructions", eventId);
    if (i != null) {
      instructions = ClientEventDecoder.bounded(i, "session.instructions", eventId);
    }
    if (s.getValue("output_modalities") != null) {
      audioOut = RealtimeSessionFields.audioOut(s.getValue("output_modalities"), "session.output_modalities",
          eventId);
    }
    if (s.getValue("max_output_tokens") != null) {
      maxTokens = RealtimeSessionFields.maxTokens(s.getValue("max_output_tokens"), "session.max_output_tokens",
          eventId);
    }
    JsonObject parley = RealtimeSessionFields.object(s, "parley", "session.parley", eventId);
    if (parley != null && parley.containsKey("tools")) {
      if (!(parley.getValue("tools") instanceof Boolean on)) {
        throw new RealtimeProtocolException("invalid_value", "session.parley.tools must be true or false",
            "session.parley.tools", eventId);
      }
      serverTools = on;
    }
    String p = RealtimeSessionFields.string(parley, "personality", "session.parley.personality", eventId);
    if (p != null) {
      Personality chosen;
      try {
        chosen = Personality.of(p);
      } catch (ParleyException ex) {
        throw new RealtimeProtocolException("invalid_value", ex.getMessage(), "session.parley.personality", eventId);
      }
      personality = chosen.name().toLowerCase(Locale.ROOT);
    }
    JsonObject audio = RealtimeSessionFields.object(s, "audio", "session.audio", eventId);
    JsonObject input = RealtimeSessionFields.object(audio, "input", "session.audio.input", eventId);
    JsonObject output = RealtimeSessionFields.object(audio, "output", "session.audio.output", eventId);
    if (input != null) {
      wire = RealtimeSessionFields.input(input, wire, eventId, refused);
      JsonObject t = RealtimeSessionFields.object(input, "transcription", "session.audio.input.transcription", eventId);
      if (t != null && t.containsKey("language")) {
        language = RealtimeSessionFields.language(t.getValue("language"),
            "session.audio.input.transcription.language", eventId, languages);
      }
      JsonObject td = RealtimeSessionFields.object(input, "turn_detection", "session.audio.input.turn_detection",
          eventId);
      if (input.containsKey("turn_detection")
          && (td == null || RealtimeSessionFields.turnDetectionType(td, eventId, semanticVadAvailable, refused))) {
        serverVad = td != null;
        if (td != null) {
          createResponse = RealtimeSessionFields.bool(td, "create_response", true,
              "session.audio.input.turn_detection.create_response", eventId);
          interruptResponse = RealtimeSessionFields.bool(td, "interrupt_response", true,
              "session.audio.input.turn_detection.interrupt_response", eventId);
          vad = "semantic_vad".equals(td.getValue("type"))
              ? RealtimeSessionFields.semanticVad(now.turnDetection(), td, eventId)
              : RealtimeSessionFields.serverVad(now.turnDetection(), td, eventId);
          idleTimeoutMs = RealtimeSessionFields.idleTimeout(td.getValue("idle_timeout_ms"), eventId);
        } else {
          idleTimeoutMs = 0;
        }
      }
    }
    if (output != null && output.containsKey("format")) {
      wire = new RealtimeSessionConfig.Wire(wire.input(), AudioFormat.parse(output.getValue("format"), wire.output(),
          "session.audio.output.format", eventId), wire.noiseReduction(), wire.transcriptionModel(),
          wire.transcriptionPrompt());
    }
    JsonObject beta = RealtimeSessionFields.object(s, "input_audio_transcription", "session.input_audio_transcription",
        eventId);
    if (beta != null && beta.containsKey("language")) {
      // The beta shape, as older clients still send it.
      language = RealtimeSessionFields.language(beta.getValue("language"), "session.input_audio_transcription.language",
          eventId, languages);
    }
    SpeechStyle speech = output != null
        ? RealtimeSessionFields.speech(now.speech(), output, "session.audio.output", eventId, voices) : now.speech();
    return new RealtimeSessionConfig.Applied(new RealtimeSessionConfig(personality, instructions, audioOut,
        now.inputRate(), now.outputRate(), serverVad, vad, createResponse, interruptResponse, maxTokens, tools,
        toolChoice, serverTools, speech, language, transcription, wire, idleTimeoutMs), List.copyOf(refused));
  }
}
