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

  /** Who a created message is from: its {@code role}. */
  enum Role {
    SYSTEM, USER, ASSISTANT;

    /** The role as the wire names it. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Where a created item goes: after {@code itemId} (null: at the end), as the client's
   * {@code previous_item_id} said it, and the field it said it in ({@code param}: the event's, GA,
   * or the item's, as some older clients send it).
   */
  record After(String itemId, String param) {
    /** Nothing said: at the end. */
    public static final After END = new After(null, "previous_item_id");
  }

  /**
   * {@code conversation.item.create} of a message: its role, its text, its content parts as the
   * item shows them ({@code input_text}, an assistant's {@code output_text}), and where it goes.
   */
  record ItemCreate(String eventId, String itemId, Role role, String text, JsonArray content, After after)
      implements ClientEvent {}

  /** {@code response.create}: its {@code response} object (the answer's own settings), or null. */
  record ResponseCreate(String eventId, JsonObject response) implements ClientEvent {}

  /**
   * {@code conversation.item.create} of a {@code function_call_output}: the client's result of a
   * call, and where it goes.
   */
  record FunctionCallOutput(String eventId, String itemId, String callId, String output, After after)
      implements ClientEvent {}

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
