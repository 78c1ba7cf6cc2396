package io.parley.api.assistant.realtime;

import io.parley.api.http.TextGuard;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;

/** Decodes Realtime client events (text frames of JSON) and Parley's binary audio frames. */
public final class ClientEventDecoder {

  /** Largest base64 audio in one append (about 20 s at 24 kHz). */
  public static final int MAX_APPEND_CHARS = 1_310_720;
  /** Longest event type quoted back in an unknown_event error. */
  static final int MAX_QUOTED_TYPE = 64;
  /** The content part types a created message may name but Parley cannot take. */
  private static final Set<String> AUDIO_OR_IMAGE_PARTS = Set.of("input_audio", "output_audio", "audio",
      "input_image");

  private ClientEventDecoder() {}

  /** One text frame. */
  public static ClientEvent decode(String text) throws RealtimeProtocolException {
    JsonObject e;
    try {
      e = new JsonObject(text);
    } catch (RuntimeException ex) {
      throw new RealtimeProtocolException("invalid_json", "the event is not a JSON object", null, null);
    }
    String id = e.getValue("event_id") instanceof String s ? s : null;
    // PostgreSQL cannot store NUL in text: refused here, never acknowledged and then lost.
    String nul = text.contains("\\u0000") ? TextGuard.nulField(e, "") : null;
    if (nul != null) {
      throw new RealtimeProtocolException("invalid_value", "the character U+0000 (NUL) is not accepted in text",
          nul.substring(1).replace('/', '.'), id);
    }
    String type = e.getValue("type") instanceof String s ? s : null;
    if (type == null) {
      throw new RealtimeProtocolException("missing_type", "every event needs a type", "type", id);
    }
    return switch (type) {
      case "session.update" -> {
        if (!(e.getValue("session") instanceof JsonObject s)) {
          throw new RealtimeProtocolException("invalid_value", "session must be an object", "session", id);
        }
        yield new ClientEvent.SessionUpdate(id, s);
      }
      case "input_audio_buffer.append" -> append(e, id);
      case "input_audio_buffer.commit" -> new ClientEvent.AudioCommit(id);
      case "input_audio_buffer.clear" -> new ClientEvent.AudioClear(id);
      case "conversation.item.create" -> itemCreate(e, id);
      case "response.create" -> new ClientEvent.ResponseCreate(id,
          e.getValue("response") instanceof JsonObject r ? r : null);
      case "response.cancel" -> new ClientEvent.ResponseCancel(id);
      case "conversation.item.truncate" -> truncate(e, id);
      case "conversation.item.retrieve" -> new ClientEvent.ItemRetrieve(id, itemId(e, id));
      case "conversation.item.delete" -> new ClientEvent.ItemDelete(id, itemId(e, id));
      case "output_audio_buffer.clear" -> new ClientEvent.OutputAudioClear(id);
      default -> throw new RealtimeProtocolException("unknown_event", "unknown event type '"
          + (type.length() > MAX_QUOTED_TYPE ? type.substring(0, MAX_QUOTED_TYPE) : type) + "'", "type", id);
    };
  }

  /**
   * Longest text a client may put in one field (instructions, a message, a tool's output): 64 Ki
   * characters, far more than a prompt needs and a bound on what every answer's prompt carries (a
   * 15 MB {@code instructions} was accepted before).
   */
  public static final int MAX_TEXT_CHARS = 65_536;

  /** {@code text}, or {@code invalid_value} naming {@code param} when it is longer than {@link #MAX_TEXT_CHARS}. */
  public static String bounded(String text, String param, String eventId) throws RealtimeProtocolException {
    if (text.length() > MAX_TEXT_CHARS) {
      throw new RealtimeProtocolException("invalid_value", param + " is " + text.length() + " characters; at most "
          + MAX_TEXT_CHARS, param, eventId);
    }
    return text;
  }

  /** One binary frame: raw audio in the session's input format (a Parley extension). */
  public static ClientEvent.AudioAppend decodeBinary(byte[] bytes) {
    return new ClientEvent.AudioAppend(null, bytes);
  }

  private static ClientEvent.AudioAppend append(JsonObject e, String id) throws RealtimeProtocolException {
    if (!(e.getValue("audio") instanceof String audio)) {
      throw new RealtimeProtocolException("invalid_value", "audio must be a base64 string", "audio", id);
    }
    if (audio.length() > MAX_APPEND_CHARS) {
      throw new RealtimeProtocolException("audio_too_large", "at most " + MAX_APPEND_CHARS
          + " base64 characters per append", "audio", id);
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(audio);
    } catch (IllegalArgumentException ex) {
      throw new RealtimeProtocolException("invalid_base64", "audio is not valid base64", "audio", id);
    }
    return new ClientEvent.AudioAppend(id, bytes); // whole samples: checked by the session's format
  }

  private static ClientEvent itemCreate(JsonObject e, String id) throws RealtimeProtocolException {
    JsonObject item = e.getValue("item") instanceof JsonObject o ? o : null;
    ClientEvent.After previous = after(e, item, id);
    if (item != null && "function_call_output".equals(item.getValue("type"))) {
      if (!(item.getValue("call_id") instanceof String callId) || callId.isEmpty()) {
        throw new RealtimeProtocolException("invalid_value", "a function_call_output needs the call_id it answers",
            "item.call_id", id);
      }
      if (!(item.getValue("output") instanceof String output)) {
        throw new RealtimeProtocolException("invalid_value", "a function_call_output needs its output as a string",
            "item.output", id);
      }
      return new ClientEvent.FunctionCallOutput(id, newItemId(item), callId, bounded(output, "item.output", id),
          previous);
    }
    if (item == null || !"message".equals(item.getValue("type") == null ? "message" : item.getValue("type"))) {
      throw new RealtimeProtocolException("invalid_value", "only message and function_call_output items can be "
          + "created", "item", id);
    }
    Message m = message(item, "item", id);
    return new ClientEvent.ItemCreate(id, newItemId(item), m.role(), m.text(), m.content(), previous);
  }

  /** A message item read: its role, its text, and its content parts as an item shows them. */
  public record Message(ClientEvent.Role role, String text, JsonArray content) {}

  /**
   * Message {@code item}, named {@code param} in errors (a created item, or one of a response's
   * input): its role (system, user or assistant), and its text parts, {@code input_text} for system
   * and user, {@code output_text} (or the beta's {@code text}) for assistant, at most
   * {@link #MAX_TEXT_CHARS} characters in all. Audio and image parts are {@code unsupported_value}
   * naming the part; anything else amiss is {@code invalid_value}.
   */
  public static Message message(JsonObject item, String param, String eventId) throws RealtimeProtocolException {
    ClientEvent.Role role = switch (item.getValue("role") instanceof String r ? r : "") {
      case "system" -> ClientEvent.Role.SYSTEM;
      case "user" -> ClientEvent.Role.USER;
      case "assistant" -> ClientEvent.Role.ASSISTANT;
      default -> throw new RealtimeProtocolException("invalid_value", "a message's role must be system, "
          + "user or assistant", param + ".role", eventId);
    };
    StringBuilder text = new StringBuilder();
    JsonArray shown = new JsonArray();
    JsonArray content = item.getValue("content") instanceof JsonArray a ? a : new JsonArray();
    for (int i = 0; i < content.size(); i++) {
      String t = textPart(content.getValue(i), role, param + ".content[" + i + "]", eventId);
      text.append(t);
      shown.add(new JsonObject().put("type", role == ClientEvent.Role.ASSISTANT ? "output_text" : "input_text")
          .put("text", t));
    }
    if (text.isEmpty()) {
      throw new RealtimeProtocolException("invalid_value", "the message needs text content ("
          + (role == ClientEvent.Role.ASSISTANT ? "output_text" : "input_text") + ")", param + ".content", eventId);
    }
    return new Message(role, bounded(text.toString(), param + ".content", eventId), shown);
  }

  /** Where a created item goes: the event's {@code previous_item_id} (GA), else the item's. */
  private static ClientEvent.After after(JsonObject e, JsonObject item, String id) throws RealtimeProtocolException {
    JsonObject holder = e.getValue("previous_item_id") == null && item != null
        && item.getValue("previous_item_id") != null ? item : e;
    String param = holder == e ? "previous_item_id" : "item.previous_item_id";
    Object value = holder.getValue("previous_item_id");
    if (value != null && !(value instanceof String)) {
      throw new RealtimeProtocolException("invalid_value", "previous_item_id must be an item id or null", param, id);
    }
    return value == null ? ClientEvent.After.END : new ClientEvent.After((String) value, param);
  }

  /**
   * The text of content part {@code param} of a {@code role} message: {@code input_text} for system
   * and user, {@code output_text} (or the beta {@code text}) for assistant. Audio and image parts
   * are refused naming the part: Parley answers from text and keeps no client audio in the
   * conversation.
   */
  private static String textPart(Object value, ClientEvent.Role role, String param, String id)
      throws RealtimeProtocolException {
    Object type = value instanceof JsonObject part ? part.getValue("type") : null;
    if (type instanceof String name && AUDIO_OR_IMAGE_PARTS.contains(name)) {
      throw new RealtimeProtocolException("unsupported_value", "a " + role.wireName() + " message's " + name
          + " content is not supported: send its text (input_text"
          + (role == ClientEvent.Role.ASSISTANT ? ", output_text" : "") + ") instead", param + ".type", id);
    }
    boolean text = role == ClientEvent.Role.ASSISTANT ? "output_text".equals(type) || "text".equals(type)
        : "input_text".equals(type);
    if (!text || !(((JsonObject) value).getValue("text") instanceof String t)) {
      throw new RealtimeProtocolException("invalid_value", "a " + role.wireName() + " message's content parts are "
          + (role == ClientEvent.Role.ASSISTANT ? "output_text" : "input_text") + " with their text, got " + type,
          param + ".type", id);
    }
    return t;
  }

  private static String newItemId(JsonObject item) {
    return item.getValue("id") instanceof String s ? s : "item_" + UUID.randomUUID();
  }

  private static ClientEvent.ItemTruncate truncate(JsonObject e, String id) throws RealtimeProtocolException {
    String item = e.getValue("item_id") instanceof String s ? s : null;
    Object end = e.getValue("audio_end_ms");
    if (item == null || !(end instanceof Number n) || n.longValue() < 0) {
      throw new RealtimeProtocolException("invalid_value", "item_id and a non-negative audio_end_ms are required",
          "audio_end_ms", id);
    }
    Object index = e.getValue("content_index");
    if (index != null && !(index instanceof Number c && c.doubleValue() == c.intValue() && c.intValue() >= 0)) {
      throw new RealtimeProtocolException("invalid_value", "content_index must be a non-negative integer", "content_index",
          id);
    }
    int contentIndex = index == null ? 0 : ((Number) index).intValue();
    return new ClientEvent.ItemTruncate(id, item, contentIndex, n.longValue());
  }

  private static String itemId(JsonObject e, String id) throws RealtimeProtocolException {
    if (!(e.getValue("item_id") instanceof String item) || item.isEmpty()) {
      throw new RealtimeProtocolException("invalid_value", "item_id is required", "item_id", id);
    }
    return item;
  }
}
