package io.parley.inference.voice;

/**
 * What a {@link VoiceSession} tells its client, in the pipeline's own words: the transport (the
 * OpenAI Realtime protocol in the api module) maps each event to its wire events and error codes.
 * Delivered in order on the session's context. Item and response ids name the conversation items
 * a transport shows; the session makes them.
 */
public sealed interface VoiceEvent {

  /** The user started speaking at {@code audioStartMs} of the input stream (pre-roll included). */
  record SpeechStarted(String itemId, long audioStartMs) implements VoiceEvent {}

  /** The user stopped speaking at {@code audioEndMs} of the input stream. */
  record SpeechStopped(String itemId, long audioEndMs) implements VoiceEvent {}

  /**
   * A user turn was committed (the end of speech, or a manual commit): item {@code itemId} follows
   * {@code previousItemId} (null for the first) and its transcript follows.
   */
  record TurnCommitted(String itemId, String previousItemId) implements VoiceEvent {}

  /** More of the transcript of {@code itemId} (interim transcripts, appended). */
  record TranscriptDelta(String itemId, String delta) implements VoiceEvent {}

  /**
   * The transcript of {@code itemId}, empty when nothing was said, and its {@code language}: the
   * code Whisper detected or was given (see {@link io.parley.inference.stt.Transcript#language}).
   */
  record TranscriptFinal(String itemId, String text, String language) implements VoiceEvent {}

  /** The transcript of {@code itemId} failed; no {@link TranscriptFinal} follows. */
  record TranscriptFailed(String itemId, String message) implements VoiceEvent {}

  /**
   * An answer began: response {@code responseId}, whose assistant message (when it says something)
   * will be item {@code itemId}. Its output items follow: the message ({@link MessageStarted}) and the
   * client's function calls ({@link FunctionCallStarted}), numbered from 0 in the order they start.
   */
  record ResponseStarted(String responseId, String itemId) implements VoiceEvent {}

  /** The answer's message item starts, as output {@code outputIndex}: its text (and audio) follow. */
  record MessageStarted(String responseId, String itemId, int outputIndex) implements VoiceEvent {}

  /** More text of the answer (its message is output {@code outputIndex}). */
  record TextDelta(String responseId, String itemId, int outputIndex, String delta) implements VoiceEvent {}

  /** Audio of the answer, PCM16 at the session's output rate, sent at the pace it plays. */
  record AudioChunk(String responseId, String itemId, int outputIndex, short[] pcm) implements VoiceEvent {}

  /**
   * The model calls the client's function {@code name} (call {@code callId}): item {@code itemId},
   * output {@code outputIndex} of the response. Its arguments follow in pieces, then
   * {@link FunctionCallDone}. Calls of the server's own tools are run by the session, not shown.
   */
  record FunctionCallStarted(String responseId, String itemId, int outputIndex, String callId, String name)
      implements VoiceEvent {}

  /** The next piece of a function call's arguments (JSON text, split anywhere). */
  record FunctionCallArguments(String responseId, String itemId, int outputIndex, String callId, String delta)
      implements VoiceEvent {}

  /** A function call is complete: the client runs it and sends its output. */
  record FunctionCallDone(String responseId, FunctionCall call) implements VoiceEvent {}

  /** A client function call of an answer: its item, its place in the response's output, and the call. */
  record FunctionCall(String itemId, int outputIndex, String callId, String name, String arguments) {}

  /**
   * The answer ended: its full text as generated ({@code transcript}), why it ended, and its timings.
   * {@code reason} is null for a completed answer. Its output: the message at {@code messageIndex}
   * (-1 when the answer only called functions) and the client's function {@code calls}.
   */
  record ResponseDone(String responseId, String itemId, Status status, Reason reason, String transcript,
                      TurnTimings timings, int messageIndex, java.util.List<FunctionCall> calls) implements VoiceEvent {
    public ResponseDone {
      calls = java.util.List.copyOf(calls);
    }
  }

  /** Something the client should know went wrong; the session lives on. */
  record Error(Code code, String message) implements VoiceEvent {}

  /**
   * For the transport, not the client: the VAD is over a second behind this session's audio, or
   * finals queue up for speech to text ({@code true}): stop reading the client until both have
   * caught up ({@code false}). Nothing is dropped either way.
   */
  record InputBacklog(boolean backlogged) implements VoiceEvent {}

  /** How an answer ended. */
  enum Status { COMPLETED, CANCELLED, FAILED }

  /** Why an answer ended before it was complete. */
  enum Reason {
    /** The user spoke over it (barge-in). */
    TURN_DETECTED,
    /** The client cancelled it. */
    CLIENT_CANCELLED,
    /** The chat model failed. */
    MODEL_FAILED,
    /** The process running an engine of the answer died (it is started again). */
    ENGINE_RESTARTED
  }

  /** What went wrong. */
  enum Code {
    /** An answer was asked for while one is in progress. */
    RESPONSE_IN_PROGRESS,
    /** A manual commit with no audio buffered. */
    COMMIT_EMPTY,
    /** An engine the request needs is not set up on this node (the message names the fix). */
    MODEL_NOT_CONFIGURED,
    /** The chat model failed. */
    MODEL_FAILED,
    /** Speech synthesis failed. */
    TTS_FAILED,
    /** The VAD model failed: speech is not detected until it works again. */
    VAD_FAILED,
    /** A message of the conversation could not be stored. */
    NOT_STORED,
    /**
     * The process running the engine this turn needed died and is starting again: this turn is lost,
     * the next one works once it is back ({@code engine_restarted}).
     */
    ENGINE_RESTARTED;

    /** {@code otherwise}, or {@link #ENGINE_RESTARTED} when {@code error} says its engine restarted. */
    public static Code of(Throwable error, Code otherwise) {
      return error instanceof io.parley.core.ParleyException pe && pe.code().filter(ENGINE_RESTARTED_CODE::equals).isPresent()
          ? ENGINE_RESTARTED : otherwise;
    }
  }

  /** The code of the failure of an engine whose worker process died ({@link Code#ENGINE_RESTARTED}). */
  String ENGINE_RESTARTED_CODE = "engine_restarted";
}
