package io.parley.inference.voice;

import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.vad.VadSegmenter;
import java.time.Duration;
import java.util.Optional;

/**
 * A {@link VoiceSession}'s settings (changed by session.update), the one place they live:
 * {@code turnDetection} drives the segmenter, the transcriber's pre-roll and the barge-in wait alike.
 *
 * @param bargeIn how long the user speaks over an answer, from the onset of speech, before it is cancelled
 * @param turnDetection the segmenting settings (the server's until the client sets its own)
 * @param tools what answers may call
 * @param speech the voice and speed answers are spoken with (a change applies from the next answer)
 */
public record VoiceSettings(boolean serverVad, boolean createResponse, boolean interruptResponse, Duration bargeIn,
                            String instructions, Optional<String> language, boolean audioOut, int maxTokens,
                            double temperature, int contextMessages, VadSegmenter.Settings turnDetection,
                            ToolSettings tools, SpeechStyle speech) {
  public VoiceSettings {
    java.util.Objects.requireNonNull(bargeIn, "bargeIn");
    java.util.Objects.requireNonNull(turnDetection, "turnDetection");
    java.util.Objects.requireNonNull(tools, "tools");
    java.util.Objects.requireNonNull(speech, "speech");
  }

  /** Settings spoken with the engine's default voice at its normal pace. */
  public VoiceSettings(boolean serverVad, boolean createResponse, boolean interruptResponse, Duration bargeIn,
                       String instructions, Optional<String> language, boolean audioOut, int maxTokens,
                       double temperature, int contextMessages, VadSegmenter.Settings turnDetection,
                       ToolSettings tools) {
    this(serverVad, createResponse, interruptResponse, bargeIn, instructions, language, audioOut, maxTokens,
        temperature, contextMessages, turnDetection, tools, SpeechStyle.DEFAULT);
  }

  /** Settings without tools. */
  public VoiceSettings(boolean serverVad, boolean createResponse, boolean interruptResponse, Duration bargeIn,
                       String instructions, Optional<String> language, boolean audioOut, int maxTokens,
                       double temperature, int contextMessages, VadSegmenter.Settings turnDetection) {
    this(serverVad, createResponse, interruptResponse, bargeIn, instructions, language, audioOut, maxTokens,
        temperature, contextMessages, turnDetection, ToolSettings.NONE);
  }

  public VoiceSettings withCreateResponse(boolean create) {
    return new VoiceSettings(serverVad, create, interruptResponse, bargeIn, instructions, language, audioOut, maxTokens,
        temperature, contextMessages, turnDetection, tools, speech);
  }

  public VoiceSettings withTurnDetection(VadSegmenter.Settings vad) {
    return new VoiceSettings(serverVad, createResponse, interruptResponse, bargeIn, instructions, language, audioOut,
        maxTokens, temperature, contextMessages, vad, tools, speech);
  }

  public VoiceSettings withTools(ToolSettings t) {
    return new VoiceSettings(serverVad, createResponse, interruptResponse, bargeIn, instructions, language, audioOut,
        maxTokens, temperature, contextMessages, turnDetection, t, speech);
  }

  public VoiceSettings withSpeech(SpeechStyle s) {
    return new VoiceSettings(serverVad, createResponse, interruptResponse, bargeIn, instructions, language, audioOut,
        maxTokens, temperature, contextMessages, turnDetection, tools, s);
  }
}
