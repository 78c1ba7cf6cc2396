package io.parley.api.assistant;

import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.api.assistant.realtime.RealtimeTools;
import io.parley.inference.llm.Personality;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.voice.ToolSettings;
import io.parley.inference.voice.VoiceSession;
import io.parley.inference.voice.VoiceSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A realtime session's configuration as the client sees it (the {@code session} object of
 * {@code session.created} / {@code session.updated}), and what {@code session.update} may change.
 * A malformed or out-of-range field refuses the whole update (the configuration as it was, as
 * OpenAI refuses it); a GA value Parley cannot honour refuses that field alone, and the rest of the
 * update applies ({@link Applied}): a client written for OpenAI's endpoint keeps its instructions
 * and tools when it asks for something this node lacks, such as {@code semantic_vad}. The update is
 * read in {@link RealtimeSessionUpdate}, field by field in {@link RealtimeSessionFields}.
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
 * @param transcription a transcription session ({@code type: "transcription"}, or
 *     {@code ?intent=transcription}): live captions, never an answer
 * @param wire the audio formats on the wire and the input's accepted-only fields
 * @param idleTimeoutMs server VAD's {@code idle_timeout_ms}: silence after which a
 *     {@code input_audio_buffer.timeout_triggered} prompts an answer; 0 for none
 */
record RealtimeSessionConfig(String personality, String instructions, boolean audioOut, int inputRate,
                             int outputRate, boolean serverVad, VadSegmenter.Settings turnDetection,
                             boolean createResponse, boolean interruptResponse, int maxTokens, List<Tool> tools,
                             ToolChoice toolChoice, boolean serverTools, SpeechStyle speech,
                             Optional<String> language, boolean transcription, Wire wire, long idleTimeoutMs) {

  /**
   * The session's audio on the wire ({@code audio.input.format}, {@code audio.output.format}) and
   * the rest of {@code audio.input}: {@code noise_reduction} (its type, or null; echoed, no filter
   * runs), the transcription {@code model} named (echoed: Whisper transcribes whatever is named) and
   * {@code prompt} (Whisper's initial prompt, or null).
   */
  record Wire(AudioFormat input, AudioFormat output, String noiseReduction, String transcriptionModel,
              String transcriptionPrompt) {
    /** PCM16 both ways at {@code rate}, no noise reduction, Whisper without a prompt. */
    static Wire pcm(int rate) {
      return new Wire(AudioFormat.pcm(rate), AudioFormat.pcm(rate), null, "whisper", null);
    }
  }

  /**
   * A {@code session.update} applied: the configuration now in force, and the fields refused one by
   * one ({@code unsupported_value}, each to be sent as an {@code error}), which kept their value.
   */
  record Applied(RealtimeSessionConfig config, List<RealtimeProtocolException> refused) {}

  /** No end-of-turn model on this node: {@code semantic_vad} is refused. */
  static final BooleanSupplier NO_SEMANTIC_VAD = () -> false;

  /** Refuses a language the session's speech to text cannot take (see {@link VoiceSession#checkLanguage}). */
  interface LanguageCheck {
    void check(Optional<String> language);
  }

  /** The most tokens a client may ask for per answer. */
  static final int MAX_OUTPUT_TOKENS = 4096;
  /** Longest voice name accepted (eSpeak NG's longest tag is under 30). */
  static final int MAX_VOICE_CHARS = 64;

  /** A new session's: {@code instructions} the client's, null for none. */
  static RealtimeSessionConfig initial(VoiceOptions config, String personality, String instructions,
                                       boolean audioOut, int rate) {
    return new RealtimeSessionConfig(personality, instructions, audioOut, rate, rate, true,
        config.vad().turnDetection(), true, true, config.llm().maxTokens(), List.of(), ToolChoice.AUTO, true,
        SpeechStyle.DEFAULT, config.stt().language(), false, Wire.pcm(rate), 0);
  }

  /** This configuration as a transcription session's ({@code ?intent=transcription}). */
  RealtimeSessionConfig transcriptionOnly() {
    return new RealtimeSessionConfig(personality, instructions, audioOut, inputRate, outputRate, serverVad,
        turnDetection, createResponse, interruptResponse, maxTokens, tools, toolChoice, serverTools, speech, language,
        true, wire, idleTimeoutMs);
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
    output.put("format", wire.output().toJson());
    JsonObject input = new JsonObject().put("transcription", new JsonObject().put("language", language.orElse(null))
            .put("model", wire.transcriptionModel()).put("prompt", wire.transcriptionPrompt()))
        .put("format", wire.input().toJson())
        .put("noise_reduction", wire.noiseReduction() == null ? null
            : new JsonObject().put("type", wire.noiseReduction()));
    return new JsonObject().put("type", transcription ? "transcription" : "realtime").put("instructions", instructions)
        .put("output_modalities", new JsonArray().add(audioOut ? "audio" : "text"))
        .put("audio", new JsonObject().put("input", input).put("output", output))
        .put("tools", RealtimeTools.toJson(tools)).put("tool_choice", RealtimeTools.toJson(toolChoice))
        .put("parley", new JsonObject().put("personality", personality).put("tools", serverTools));
  }

  /** A resumed session's: a new one's, with what the dropped one {@link #kept}. */
  static RealtimeSessionConfig resumed(VoiceOptions config, JsonObject kept, String personality, int rate,
                                       UnaryOperator<String> voices) {
    try {
      return initial(config, personality, null, true, rate).update(kept, null, voices, language -> { }).config();
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
    return new VoiceSettings(serverVad, createResponse && !transcription, interruptResponse, config.bargeIn(), systemPrompt(),
        language, audioOut, maxTokens, 0.7, config.contextMessages(), turnDetection,
        new ToolSettings(tools, toolChoice, serverTools, config.toolRounds()), speech);
  }

  /**
   * This configuration after the client's {@code session.update} ({@code eventId}: the client's, or
   * null); {@code voices} resolves a voice name (failing {@code INVALID} with the valid ones);
   * {@code languages} refuses a language the session cannot transcribe.
   */
  Applied update(JsonObject s, String eventId, UnaryOperator<String> voices, LanguageCheck languages)
      throws RealtimeProtocolException {
    return update(s, eventId, voices, languages, NO_SEMANTIC_VAD);
  }

  /**
   * As {@link #update(JsonObject, String, UnaryOperator, LanguageCheck)}; {@code semanticVadAvailable}
   * says whether an end-of-turn model serves {@code turn_detection.type: "semantic_vad"} (else
   * that turn_detection is refused, the one in force kept, and the rest applied).
   *
   * @throws RealtimeProtocolException for a malformed or out-of-range field: nothing applied
   */
  Applied update(JsonObject s, String eventId, UnaryOperator<String> voices, LanguageCheck languages,
                 BooleanSupplier semanticVadAvailable) throws RealtimeProtocolException {
    return RealtimeSessionUpdate.apply(this, s, eventId, voices, languages, semanticVadAvailable);
  }

  /**
   * This configuration for one answer of a {@code response.create} ({@link RealtimeResponseCreate}):
   * its {@code instructions} (or null) appended under the session's, and its own output modality,
   * token limit, voice and tools.
   */
  RealtimeSessionConfig forResponse(String responseInstructions, boolean answerAudioOut, int answerMaxTokens,
                                    SpeechStyle answerSpeech, List<Tool> answerTools, ToolChoice answerChoice) {
    String joined = responseInstructions == null || responseInstructions.isBlank() ? instructions
        : instructions == null || instructions.isBlank() ? responseInstructions
        : instructions.strip() + "\n\n" + responseInstructions;
    return new RealtimeSessionConfig(personality, joined, answerAudioOut, inputRate, outputRate, serverVad,
        turnDetection, createResponse, interruptResponse, answerMaxTokens, answerTools, answerChoice, serverTools,
        answerSpeech, language, transcription, wire, idleTimeoutMs);
  }

  /**
   * The {@code session} object of session.created and session.updated ({@code defaultVoice}: the
   * node's): a transcription session's has only its input audio, as the GA schema has it.
   */
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
    if (vad != null && idleTimeoutMs > 0) {
      vad.put("idle_timeout_ms", idleTimeoutMs);
    }
    // GA's turn_detection has no place for Parley's own two: they are shown under "parley".
    JsonObject parleyVad = serverVad ? new JsonObject().put("end_threshold", turnDetection.endThreshold())
        .put("min_speech_ms", turnDetection.minSpeech().toMillis()) : null;
    // Fields the GA schema types as optional but not nullable are left out when unset.
    JsonObject transcriptionJson = new JsonObject().put("model", wire.transcriptionModel());
    language.ifPresent(l -> transcriptionJson.put("language", l));
    JsonObject input = new JsonObject().put("format", wire.input().toJson()).put("turn_detection", vad)
        .put("transcription", transcriptionJson);
    if (wire.transcriptionPrompt() != null) {
      transcriptionJson.put("prompt", wire.transcriptionPrompt());
    }
    if (wire.noiseReduction() != null) {
      input.put("noise_reduction", new JsonObject().put("type", wire.noiseReduction()));
    }
    JsonObject parley = new JsonObject().put("personality", personality).put("tools", serverTools)
        .put("conversation_id", conversationId.toString())
        .put("resume_token", resumeToken)
        .put("resumed", resumed).put("turn_detection", parleyVad);
    if (transcription) {
      return new JsonObject().put("type", "transcription").put("object", "realtime.transcription_session")
          .put("id", "sess_" + conversationId).put("audio", new JsonObject().put("input", input))
          .put("parley", parley);
    }
    return new JsonObject()
        .put("type", "realtime")
        .put("object", "realtime.session")
        .put("id", "sess_" + conversationId)
        .put("model", "parley")
        .put("output_modalities", new JsonArray().add(audioOut ? "audio" : "text"))
        .put("instructions", systemPrompt())
        .put("max_output_tokens", maxTokens)
        .put("truncation", "auto")
        .put("tools", RealtimeTools.toJson(tools))
        .put("tool_choice", RealtimeTools.toJson(toolChoice))
        .put("audio", new JsonObject()
            .put("input", input)
            .put("output", new JsonObject()
                .put("format", wire.output().toJson())
                .put("voice", speech.voice() == null ? defaultVoice : speech.voice())
                .put("speed", speech.speed())))
        .put("parley", parley);
  }
}
