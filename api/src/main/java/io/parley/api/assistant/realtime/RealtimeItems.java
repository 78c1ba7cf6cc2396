package io.parley.api.assistant.realtime;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The conversation's items as one socket showed them, for {@code conversation.item.retrieve} and
 * {@code conversation.item.delete}: read from the server events on their way out (an item as last
 * added or done, an answer from its {@code response.output_item.added} on (the Agents SDK
 * truncates and retrieves the answer it is playing), the user's transcript once it is final, the answer cut where it was truncated),
 * and the response in progress, for {@code output_audio_buffer.cleared}. Holds the latest
 * {@link #MAX_ITEMS} items; one socket's context only.
 */
public final class RealtimeItems {

  /** Items kept per socket; the oldest are forgotten first. */
  public static final int MAX_ITEMS = 256;

  private final Map<String, JsonObject> items = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, JsonObject> eldest) {
      return size() > MAX_ITEMS;
    }
  };
  private String responseInProgress;

  /** Notes what server event {@code e} shows of the conversation. */
  public void shown(JsonObject e) {
    switch (e.getString("type", "")) {
      case "conversation.item.added", "conversation.item.done", "response.output_item.added",
           "response.output_item.done" -> {
        JsonObject item = e.getJsonObject("item");
        if (item != null && item.getString("id") != null) {
          items.put(item.getString("id"), item.copy());
        }
      }
      case "conversation.item.input_audio_transcription.completed" ->
          firstContent(e.getString("item_id")).put("transcript", e.getString("transcript"));
      case "conversation.item.truncated" -> firstContent(e.getString("item_id")).remove("audio");
      case "response.created" -> responseInProgress = e.getJsonObject("response").getString("id");
      case "response.done" -> responseInProgress = null;
      default -> { }
    }
  }

  /** Item {@code id} as the client last saw it (a copy), or null when there is none. */
  public JsonObject item(String id) {
    JsonObject item = items.get(id);
    return item == null ? null : item.copy();
  }

  /** Answer {@code id} was truncated: its transcript is now {@code heard}, what the user heard of it. */
  public void truncated(String id, String heard) {
    JsonObject content = firstContent(id);
    if (content.containsKey("transcript")) {
      content.put("transcript", heard);
    }
  }

  /** Forgets item {@code id}; false when there was none. */
  public boolean delete(String id) {
    return items.remove(id) != null;
  }

  /** The response in progress, or null. */
  public String responseInProgress() {
    return responseInProgress;
  }

  private JsonObject firstContent(String id) {
    JsonObject item = items.get(id);
    JsonArray content = item == null ? null : item.getJsonArray("content");
    return content == null || content.isEmpty() ? new JsonObject() : content.getJsonObject(0);
  }
}
