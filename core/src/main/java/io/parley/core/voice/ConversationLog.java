package io.parley.core.voice;

import io.vertx.core.Future;
import java.util.List;
import java.util.UUID;

/**
 * Where the voice pipeline keeps conversations: implemented by the api module on PostgreSQL, so
 * that the pipeline itself needs no database. All methods are asynchronous.
 */
public interface ConversationLog {

  /**
   * One stored message. {@code truncated}: an assistant answer cut short by the user.
   * {@code toolCalls}: the tool calls an assistant message made, a JSON array of
   * {@code {id, name, arguments}} (null when none); {@code toolCallId}: the call a {@code tool}
   * message answers (null for the other roles).
   */
  record Message(String role, String content, boolean truncated, String toolCalls, String toolCallId) {
    public Message(String role, String content, boolean truncated) {
      this(role, content, truncated, null, null);
    }
  }

  /** Starts a conversation for {@code userId}; returns its id. */
  Future<UUID> start(UUID userId, String personality);

  /** The last {@code n} messages, oldest first. */
  Future<List<Message>> recent(UUID conversationId, int n);

  /** Appends a message; returns its id. */
  Future<UUID> append(UUID conversationId, Message message);

  /** Deletes message {@code messageId} of the conversation (a client deleted its item); none is no error. */
  Future<Void> deleteMessage(UUID conversationId, UUID messageId);

  /** Cuts message {@code messageId} to {@code content} and marks it truncated (an answer heard in part). */
  Future<Void> truncateMessage(UUID conversationId, UUID messageId, String content);
}
