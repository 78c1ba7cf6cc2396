package io.parley.api.assistant.realtime;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The Realtime client events Parley takes, decoded and checked by {@link ClientEventDecoder}.
 * {@code eventId} is the client's own {@code event_id}, or null.
 */
public sealed interface ClientEvent {

  String eventId();

  /** {@code session.update}: the fields are applied by the session's configuration. */
  record SessionUpdate(String eventId, JsonObject session) implements ClientEvent {}

  /**
   * {@code input_audio_buffer.append}, or a binary frame: audio in the session's input format
   * ({@link AudioFormat}), decoded by the session's {@link AudioFormat.Transcoder}.
   */
  record AudioAppend(String eventId, byte[] audio) implements ClientEvent {}

  /** {@code input_audio_buffer.commit}. */
  record AudioCommit(String eventId) implements ClientEvent {}

  /** {@code input_audio_buffer.clear}. */
  record AudioClear(String eventId) implements ClientEvent {}

  /** {@code conversation.item.create} of a user message: its text, and its content as sent. */
  record ItemCreate(String eventId, String itemId, String text, JsonArray content) implements ClientEvent {}

  /** {@code response.create}: its {@code response} object (the answer's own settings), or null. */
  record ResponseCreate(String eventId, JsonObject response) implements ClientEvent {}

  /** {@code conversation.item.create} of a {@code function_call_output}: the client's result of a call. */
  record FunctionCallOutput(String eventId, String itemId, String callId, String output) implements ClientEvent {}

  /** {@code response.cancel}. */
  record ResponseCancel(String eventId) implements ClientEvent {}

  /** {@code conversation.item.truncate}: the client played {@code audioEndMs} of item {@code itemId}. */
  record ItemTruncate(String eventId, String itemId, int contentIndex, long audioEndMs) implements ClientEvent {}

  /** {@code conversation.item.retrieve}: the server's view of item {@code itemId}. */
  record ItemRetrieve(String eventId, String itemId) implements ClientEvent {}

  /** {@code conversation.item.delete}: item {@code itemId} leaves the conversation. */
  record ItemDelete(String eventId, String itemId) implements ClientEvent {}

  /** {@code output_audio_buffer.clear}: stop the answer's audio now (it is cancelled). */
  record OutputAudioClear(String eventId) implements ClientEvent {}
}
