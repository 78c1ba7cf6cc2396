package io.parley.api.assistant;

import static io.parley.core.config.ConfigKey.*;

import io.parley.api.http.RouteSpec;
import io.parley.core.config.ConfigSource;
import io.parley.inference.audio.codec.CodecOptions;
import io.parley.inference.llm.LlmOptions;
import io.parley.inference.stt.SttOptions;
import io.parley.inference.tts.TtsOptions;
import io.parley.inference.vad.SemanticVadOptions;
import io.parley.inference.vad.VadOptions;
import java.time.Duration;

/**
 * The voice assistant: each engine's options (parsed by the engine's own record in inference) and
 * the session settings, the {@code PARLEY_VOICE_*} keys and {@code PARLEY_LLM_CONTEXT_MESSAGES};
 * read and validated by {@link #from}.
 *
 * @param enabled whether this node loads the voice engines at all
 * @param bargeIn how long user speech over an answer lasts, from its onset, before it interrupts
 * @param contextMessages conversation history sent to the model (the last N messages)
 * @param sessionGrace how long a dropped realtime session may be resumed
 * @param idleTimeout a realtime session with no audio or event for this long is closed
 * @param maxSessionsPerUser concurrent realtime sessions per user, all nodes together
 * @param toolTimeout a server tool call's longest run before it answers the model with a timeout
 * @param toolRounds rounds of server tool calls per answer
 * @param codec the limits on uploaded audio ({@code PARLEY_TRANSCRIBE_*})
 * @param semanticVad the end-of-turn model of {@code semantic_vad} ({@code PARLEY_SEMANTIC_VAD_*})
 * @param uploadMemory audio upload bytes all transcription requests together may hold in memory
 */
public record VoiceOptions(boolean enabled, VadOptions vad, SttOptions stt, LlmOptions llm, TtsOptions tts,
                           Duration bargeIn, int contextMessages, Duration sessionGrace, Duration idleTimeout,
                           int maxSessionsPerUser, Duration toolTimeout, int toolRounds, CodecOptions codec,
                           SemanticVadOptions semanticVad, long uploadMemory) {

  /** The same settings with the engines off (a node without the voice role). */
  public VoiceOptions withoutEngines() {
    return new VoiceOptions(false, vad, stt, llm, tts, bargeIn, contextMessages, sessionGrace, idleTimeout,
        maxSessionsPerUser, toolTimeout, toolRounds, codec, semanticVad, uploadMemory);
  }

  /** The voice settings of {@code c}; fails naming the key of the first bad value. */
  public static VoiceOptions from(ConfigSource c) {
    return new VoiceOptions(
        c.bool(PARLEY_VOICE_ENABLED),
        VadOptions.from(c),
        SttOptions.from(c),
        LlmOptions.from(c),
        TtsOptions.from(c),
        Duration.ofMillis(c.integer(PARLEY_VOICE_BARGE_IN_MS, 0, 10_000)),
        c.integer(PARLEY_LLM_CONTEXT_MESSAGES, 0, 1_000),
        c.seconds(PARLEY_VOICE_SESSION_GRACE, 0, 3600),
        c.seconds(PARLEY_VOICE_IDLE_TIMEOUT, 1, 86_400),
        c.integer(PARLEY_VOICE_MAX_SESSIONS_PER_USER, 1, 1_000),
        Duration.ofMillis(c.integer(PARLEY_VOICE_TOOL_TIMEOUT_MS, 1, 600_000)),
        c.integer(PARLEY_VOICE_TOOL_ROUNDS, 0, 16),
        CodecOptions.from(c),
        SemanticVadOptions.from(c),
        c.integer(PARLEY_AUDIO_UPLOAD_MEMORY, RouteSpec.Body.MAX_AUDIO_BYTES, Integer.MAX_VALUE));
  }
}
