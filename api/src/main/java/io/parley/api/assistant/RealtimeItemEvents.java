package io.parley.api.assistant;

import io.parley.api.assistant.realtime.ClientEvent;
import io.parley.api.assistant.realtime.RealtimeItems;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.inference.voice.VoiceSession;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * A realtime client's {@code conversation.item.*} events on its session: items created (messages of
 * any role, a function's output) at the end of the conversation, retrieved, deleted, truncated, each
 * answered with its server event. Confined to the connection's context, as its session.
 */
final class RealtimeItemEvents {

  private final VoiceSession session;
  private final RealtimeItems items;
  private final Consumer<JsonObject> send;

  RealtimeItemEvents(VoiceSession session, RealtimeItems items, Consumer<JsonObject> send) {
    this.session = session;
    this.items = items;
    this.send = send;
  }

  /** {@code conversation.item.create} of a message: shown as an item, added, answered on response.create. */
  void create(ClientEvent.ItemCreate c) throws RealtimeProtocolException {
    added(new JsonObject().put("id", c.itemId()).put("object", "realtime.item").put("type", "message")
        .put("role", c.role().wireName()).put("status", "completed").put("content", c.content()),
        placed(c.after(), c.eventId()));
    switch (c.role()) {
      case SYSTEM -> session.addSystemText(c.itemId(), c.text());
      case USER -> session.addUserText(c.itemId(), c.text());
      case ASSISTANT -> session.addAssistantText(c.itemId(), c.text());
    }
  }

  /** {@code conversation.item.create} of a {@code function_call_output}: the result, for the next answer. */
  void output(ClientEvent.FunctionCallOutput o) throws RealtimeProtocolException {
    added(new JsonObject().put("id", o.itemId()).put("object", "realtime.item")
        .put("type", "function_call_output").put("status", "completed").put("call_id", o.callId())
        .put("output", o.output()), placed(o.after(), o.eventId()));
    session.addToolResult(o.itemId(), o.callId(), o.output());
  }

  void retrieve(ClientEvent.ItemRetrieve r) throws RealtimeProtocolException {
    send.accept(new JsonObject().put("type", "conversation.item.retrieved").put("item", known(r.itemId(), r.eventId())));
  }

  void delete(ClientEvent.ItemDelete d) throws RealtimeProtocolException {
    known(d.itemId(), d.eventId());
    items.delete(d.itemId());
    session.delete(d.itemId()); // from what the model sees and the stored conversation
    send.accept(new JsonObject().put("type", "conversation.item.deleted").put("item_id", d.itemId()));
  }

  /** What was not heard leaves the transcript: the model's context, the stored answer, retrieve. */
  void truncate(ClientEvent.ItemTruncate t) {
    session.truncate(t.itemId(), t.audioEndMs()).ifPresent(heard -> items.truncated(t.itemId(), heard));
    send.accept(new JsonObject().put("type", "conversation.item.truncated").put("item_id", t.itemId())
        .put("content_index", t.contentIndex()).put("audio_end_ms", t.audioEndMs()));
  }

  /**
   * The item a created one follows: the conversation's last, when {@code after} names it, names
   * none, or is {@code "root"} in an empty conversation. An item goes in at the end only (the stored
   * conversation is kept in the order it happened), so any other place is refused naming the
   * field, never taken as the end.
   */
  private String placed(ClientEvent.After after, String clientEventId) throws RealtimeProtocolException {
    String last = session.lastItemId();
    String named = after.itemId();
    if (named == null || named.equals(last) || last == null && "root".equals(named)) {
      return last;
    }
    throw new RealtimeProtocolException("unsupported_value", "items are added at the end of the conversation: "
        + "previous_item_id must be the last item (" + (last == null ? "there is none yet" : last) + ") or null, "
        + "got " + named, after.param(), clientEventId);
  }

  /** A created item's {@code conversation.item.added} and {@code .done}, after {@code previous}. */
  private void added(JsonObject item, String previous) {
    send.accept(new JsonObject().put("type", "conversation.item.added").put("previous_item_id", previous)
        .put("item", item));
    send.accept(new JsonObject().put("type", "conversation.item.done").put("previous_item_id", previous)
        .put("item", item));
  }

  private JsonObject known(String id, String clientEventId) throws RealtimeProtocolException {
    JsonObject item = items.item(id);
    if (item == null) {
      throw new RealtimeProtocolException("item_not_found", "no item with id '" + id + "' in this conversation",
          "item_id", clientEventId);
    }
    return item;
  }
}
