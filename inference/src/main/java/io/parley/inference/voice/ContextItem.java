package io.parley.inference.voice;

import io.parley.inference.llm.ChatMessage;
import java.util.Objects;

/**
 * One item of the context a response.create gives its answer instead of the conversation (its
 * {@code input}): a message of its own, or an item of the conversation named by its id.
 */
public sealed interface ContextItem {

  /** A message the client wrote for this answer (never added to the conversation). */
  record Message(ChatMessage message) implements ContextItem {
    public Message {
      Objects.requireNonNull(message, "message");
    }
  }

  /** Item {@code itemId} of the conversation, as the model would see it there (nothing when it has no message). */
  record Reference(String itemId) implements ContextItem {
    public Reference {
      Objects.requireNonNull(itemId, "itemId");
    }
  }
}
