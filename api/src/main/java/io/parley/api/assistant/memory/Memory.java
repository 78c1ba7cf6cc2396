package io.parley.api.assistant.memory;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/**
 * One thing the assistant keeps about its user ("trains on Tuesdays").
 *
 * @param sourceConversation the conversation it was said in, while that conversation exists
 */
public record Memory(UUID id, String content, OffsetDateTime createdAt, Optional<UUID> sourceConversation) {

  /** Longest memory, in characters (the table's check says the same). */
  public static final int MAX_CHARS = 500;

  static Memory of(Row r) {
    return new Memory(r.getUUID("id"), r.getString("content"), r.getOffsetDateTime("created_at"),
        Optional.ofNullable(r.getUUID("source_conversation_id")));
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id.toString()).put("content", content).put("created_at", createdAt.toString())
        .put("source_conversation_id", sourceConversation.map(UUID::toString).orElse(null));
  }
}
