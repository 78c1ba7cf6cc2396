package io.parley.api.assistant;

import io.parley.inference.llm.ChatMessage;
import io.parley.inference.voice.ToolTurns;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The conversation a realtime session continues ({@code ?conversation=<id>}; {@code id} null: a new
 * one), the personality and client instructions it was held with, and its last messages (tool calls
 * and results included).
 */
record ContinuedConversation(UUID id, String personality, String instructions, List<ChatMessage> history) {

  /** No conversation named: a new one, with the default personality. */
  static final ContinuedConversation NONE = new ContinuedConversation(null, RealtimeEndpoint.DEFAULT_PERSONALITY,
      null, List.of());

  /**
   * The conversation {@code conversation} (the query's value, or null) of {@code user} with its last
   * {@code messages}: {@link #NONE} when none is named; empty when it is not the user's, unknown or
   * not an id (the handshake is refused, never a silent new conversation).
   */
  static Future<Optional<ContinuedConversation>> find(ConversationStore log, UUID user, String conversation,
                                                      int messages) {
    if (conversation == null) {
      return Future.succeededFuture(Optional.of(NONE));
    }
    UUID id;
    try {
      id = UUID.fromString(conversation);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(Optional.empty());
    }
    return log.continued(user, id, messages).map(found -> found.map(c -> new ContinuedConversation(id,
        c.personality(), c.instructions(), c.messages().stream().map(ToolTurns::chat).toList())));
  }
}
