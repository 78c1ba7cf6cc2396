package io.parley.api.assistant.realtime;

import io.parley.inference.stt.Languages;
import io.parley.inference.voice.VoiceEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.List;

/**
 * Encodes the voice pipeline's {@link VoiceEvent}s as Realtime server events (GA names, as typed by
 * the {@code openai} package 7.x). One voice event may be several wire events; the connection
 * stamps each with its {@code event_id}. Parley's error codes are mapped here, and nowhere else.
 */
public final class ServerEventEncoder {

  private ServerEventEncoder() {}

  /**
   * The wire events for {@code e}, in order; none for {@link VoiceEvent.InputBacklog} (flow control,
   * not for the client). {@code audioOut}: the session answers in audio (else text only).
   */
  public static List<JsonObject> encode(VoiceEvent e, boolean audioOut) {
    return switch (e) {
      case VoiceEvent.SpeechStarted s -> List.of(new JsonObject().put("type", "input_audio_buffer.speech_started")
          .put("audio_start_ms", s.audioStartMs()).put("item_id", s.itemId()));
      case VoiceEvent.SpeechStopped s -> List.of(new JsonObject().put("type", "input_audio_buffer.speech_stopped")
          .put("audio_end_ms", s.audioEndMs()).put("item_id", s.itemId()));
      case VoiceEvent.TurnCommitted c -> turnCommitted(c);
      case VoiceEvent.TranscriptDelta d -> List.of(new JsonObject()
          .put("type", "conversation.item.input_audio_transcription.delta").put("item_id", d.itemId())
          .put("content_index", 0).put("delta", d.delta()));
      case VoiceEvent.TranscriptFinal t -> List.of(new JsonObject()
          .put("type", "conversation.item.input_audio_transcription.completed")
          .put("item_id", t.itemId()).put("content_index", 0).put("transcript", t.text())
          .put("usage", new JsonObject().put("type", "duration").put("seconds", 0))
          .put("languages", languages(t.language())));
      case VoiceEvent.TranscriptFailed f -> List.of(new JsonObject()
          .put("type", "conversation.item.input_audio_transcription.failed").put("item_id", f.itemId())
          .put("content_index", 0).put("error", new JsonObject().put("type", "transcription_error")
              .put("code", "transcription_failed").put("message", f.message())));
      case VoiceEvent.ResponseStarted r -> List.of(new JsonObject().put("type", "response.created")
          .put("response", new JsonObject().put("id", r.responseId()).put("object", "realtime.response")
              .put("status", "in_progress").put("output", new JsonArray())));
      case VoiceEvent.MessageStarted m -> messageStarted(m, audioOut);
      case VoiceEvent.TextDelta d -> List.of(new JsonObject()
          .put("type", audioOut ? "response.output_audio_transcript.delta" : "response.output_text.delta")
          .put("response_id", d.responseId()).put("item_id", d.itemId()).put("output_index", d.outputIndex())
          .put("content_index", 0).put("delta", d.delta()));
      case VoiceEvent.AudioChunk a -> List.of(audioDelta(a, littleEndian(a.pcm())));
      case VoiceEvent.FunctionCallStarted f -> List.of(new JsonObject().put("type", "response.output_item.added")
          .put("response_id", f.responseId()).put("output_index", f.outputIndex())
          .put("item", functionCall(f.itemId(), f.callId(), f.name(), "", "in_progress")));
      case VoiceEvent.FunctionCallArguments f -> List.of(new JsonObject()
          .put("type", "response.function_call_arguments.delta").put("response_id", f.responseId())
          .put("item_id", f.itemId()).put("output_index", f.outputIndex()).put("call_id", f.callId())
          .put("delta", f.delta()));
      case VoiceEvent.FunctionCallDone f -> functionCallDone(f);
      case VoiceEvent.ResponseDone d -> responseDone(d, audioOut);
      case VoiceEvent.Error err -> List.of(error(code(err.code()), err.message(), null, null));
      case VoiceEvent.InputBacklog b -> List.of();
    };
  }

  /** The {@code response.output_audio.delta} of {@code a}, its audio as {@code wire} bytes (the session's format). */
  public static JsonObject audioDelta(VoiceEvent.AudioChunk a, byte[] wire) {
    return new JsonObject().put("type", "response.output_audio.delta").put("response_id", a.responseId())
        .put("item_id", a.itemId()).put("output_index", a.outputIndex()).put("content_index", 0)
        .put("delta", Base64.getEncoder().encodeToString(wire));
  }

  /**
   * {@code input_audio_buffer.timeout_triggered}: the input was silent from {@code audioStartMs} to
   * {@code audioEndMs} (server VAD's {@code idle_timeout_ms}); {@code itemId} is the item the
   * silence would have been.
   */
  public static JsonObject timeoutTriggered(long audioStartMs, long audioEndMs, String itemId) {
    return new JsonObject().put("type", "input_audio_buffer.timeout_triggered").put("audio_start_ms", audioStartMs)
        .put("audio_end_ms", audioEndMs).put("item_id", itemId);
  }

  /**
   * The GA schema's {@code languages} of a transcript, {@code [{"code": "es"}]}: the language Whisper
   * detected (or was given); empty when it could not tell, as the schema has it.
   */
  public static JsonArray languages(String language) {
    return Languages.known(language) ? new JsonArray().add(new JsonObject().put("code", language)) : new JsonArray();
  }

  /** An {@code error} event: {@code param} and {@code clientEventId} may be null. */
  public static JsonObject error(String code, String message, String param, String clientEventId) {
    return new JsonObject().put("type", "error").put("error", new JsonObject()
        .put("type", "invalid_request_error").put("code", code).put("message", message)
        .put("param", param).put("event_id", clientEventId));
  }

  /** The Realtime error code of a voice error. */
  public static String code(VoiceEvent.Code code) {
    return switch (code) {
      case RESPONSE_IN_PROGRESS -> "conversation_already_has_active_response";
      case COMMIT_EMPTY -> "input_audio_buffer_commit_empty";
      case MODEL_NOT_CONFIGURED -> "model_not_configured";
      case MODEL_FAILED -> "model_failed";
      case TTS_FAILED -> "tts_failed";
      case VAD_FAILED -> "vad_failed";
      case NOT_STORED -> "conversation_not_stored";
      case ENGINE_RESTARTED -> VoiceEvent.ENGINE_RESTARTED_CODE;
    };
  }

  /** A response's {@code status}. */
  public static String status(VoiceEvent.Status status) {
    return switch (status) {
      case COMPLETED -> "completed";
      case CANCELLED -> "cancelled";
      case FAILED -> "failed";
    };
  }

  /** A response's {@code status_details.reason}. */
  static String reason(VoiceEvent.Reason reason) {
    return switch (reason) {
      case TURN_DETECTED -> "turn_detected";
      case CLIENT_CANCELLED -> "client_cancelled";
      case MODEL_FAILED -> "model_failed";
      case ENGINE_RESTARTED -> VoiceEvent.ENGINE_RESTARTED_CODE;
    };
  }

  private static List<JsonObject> turnCommitted(VoiceEvent.TurnCommitted c) {
    // The transcript follows in its own events (a retrieved item has it once it is final); until
    // then it is null, as the GA service sends it (the Agents SDK's item schema requires the field).
    JsonObject item = new JsonObject().put("id", c.itemId()).put("object", "realtime.item").put("type", "message")
        .put("role", "user").put("status", "completed")
        .put("content", new JsonArray().add(new JsonObject().put("type", "input_audio").putNull("transcript")));
    return List.of(
        new JsonObject().put("type", "input_audio_buffer.committed").put("item_id", c.itemId())
            .put("previous_item_id", c.previousItemId()),
        new JsonObject().put("type", "conversation.item.added").put("previous_item_id", c.previousItemId())
            .put("item", item),
        new JsonObject().put("type", "conversation.item.done").put("previous_item_id", c.previousItemId())
            .put("item", item));
  }

  private static List<JsonObject> messageStarted(VoiceEvent.MessageStarted m, boolean audioOut) {
    JsonObject item = new JsonObject().put("id", m.itemId()).put("object", "realtime.item").put("type", "message")
        .put("role", "assistant").put("status", "in_progress").put("content", new JsonArray());
    return List.of(
        new JsonObject().put("type", "response.output_item.added").put("response_id", m.responseId())
            .put("output_index", m.outputIndex()).put("item", item),
        new JsonObject().put("type", "response.content_part.added").put("response_id", m.responseId())
            .put("item_id", m.itemId()).put("output_index", m.outputIndex()).put("content_index", 0)
            .put("part", part(audioOut, "")));
  }

  /** A {@code function_call} item. */
  static JsonObject functionCall(String itemId, String callId, String name, String arguments, String status) {
    return new JsonObject().put("id", itemId).put("object", "realtime.item").put("type", "function_call")
        .put("status", status).put("call_id", callId).put("name", name).put("arguments", arguments);
  }

  private static List<JsonObject> functionCallDone(VoiceEvent.FunctionCallDone f) {
    VoiceEvent.FunctionCall c = f.call();
    return List.of(
        new JsonObject().put("type", "response.function_call_arguments.done").put("response_id", f.responseId())
            .put("item_id", c.itemId()).put("output_index", c.outputIndex()).put("call_id", c.callId())
            .put("name", c.name()).put("arguments", c.arguments()),
        new JsonObject().put("type", "response.output_item.done").put("response_id", f.responseId())
            .put("output_index", c.outputIndex())
            .put("item", functionCall(c.itemId(), c.callId(), c.name(), c.arguments(), "completed")));
  }

  private static List<JsonObject> responseDone(VoiceEvent.ResponseDone d, boolean audioOut) {
    String status = status(d.status());
    JsonObject[] output = new JsonObject[d.calls().size() + (d.messageIndex() >= 0 ? 1 : 0)];
    for (VoiceEvent.FunctionCall c : d.calls()) {
      output[c.outputIndex()] = functionCall(c.itemId(), c.callId(), c.name(), c.arguments(), "completed");
    }
    List<JsonObject> out = new java.util.ArrayList<>(6);
    if (d.messageIndex() >= 0) {
      output[d.messageIndex()] = messageDone(d, audioOut, out);
    }
    JsonObject response = new JsonObject().put("id", d.responseId()).put("object", "realtime.response")
        .put("status", status).put("output", new JsonArray(List.of((Object[]) output)))
        .put("parley_timings", d.timings().toJson());
    if (d.reason() != null) {
      response.put("status_details", new JsonObject().put("type", status).put("reason", reason(d.reason())));
    }
    out.add(new JsonObject().put("type", "response.done").put("response", response));
    // Parley meters no tokens or requests per session: no limit applies, as an empty list says.
    out.add(new JsonObject().put("type", "rate_limits.updated").put("rate_limits", new JsonArray()));
    return out;
  }

  /** The events that end the answer's message (added to {@code out}); returns the message item. */
  private static JsonObject messageDone(VoiceEvent.ResponseDone d, boolean audioOut, List<JsonObject> out) {
    String transcript = d.transcript();
    JsonObject base = new JsonObject().put("response_id", d.responseId()).put("item_id", d.itemId())
        .put("output_index", d.messageIndex()).put("content_index", 0);
    if (audioOut) {
      out.add(base.copy().put("type", "response.output_audio.done"));
      out.add(base.copy().put("type", "response.output_audio_transcript.done").put("transcript", transcript));
    } else {
      out.add(base.copy().put("type", "response.output_text.done").put("text", transcript));
    }
    JsonObject part = part(audioOut, transcript);
    out.add(base.copy().put("type", "response.content_part.done").put("part", part));
    JsonObject item = new JsonObject().put("id", d.itemId()).put("object", "realtime.item").put("type", "message")
        .put("role", "assistant").put("status", d.status() == VoiceEvent.Status.COMPLETED ? "completed" : "incomplete")
        .put("content", new JsonArray().add(part));
    out.add(new JsonObject().put("type", "response.output_item.done").put("response_id", d.responseId())
        .put("output_index", d.messageIndex()).put("item", item));
    return item;
  }

  /**
   * The answer's content part, named as GA names it in items and content part events alike:
   * {@code output_audio} with its transcript, or {@code output_text}.
   */
  static JsonObject part(boolean audioOut, String text) {
    return audioOut ? new JsonObject().put("type", "output_audio").put("transcript", text)
        : new JsonObject().put("type", "output_text").put("text", text);
  }

  /** PCM16 samples as little-endian bytes. */
  static byte[] littleEndian(short[] pcm) {
    byte[] bytes = new byte[pcm.length * 2];
    for (int i = 0; i < pcm.length; i++) {
      bytes[2 * i] = (byte) pcm[i];
      bytes[2 * i + 1] = (byte) (pcm[i] >> 8);
    }
    return bytes;
  }
}
