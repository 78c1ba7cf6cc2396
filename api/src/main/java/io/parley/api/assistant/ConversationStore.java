package io.parley.api.assistant;

import io.parley.api.assistant.memory.Embeddings;
import io.parley.api.assistant.memory.Relevance;
import io.parley.core.Ids;
import io.parley.core.voice.ConversationLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assistant conversations and their messages in PostgreSQL; the voice pipeline's
 * {@link ConversationLog}. Also what a user does with their conversations (continue, delete),
 * recall over them by full-text search (re-ranked by meaning with {@link Embeddings} on), and the
 * retention purge.
 */
public final class ConversationStore implements ConversationLog {

  /** With embeddings, the newest messages with a vector that a recall ranks besides its full-text matches. */
  static final int RECALL_CANDIDATES = 200;

  private static final Logger LOG = LoggerFactory.getLogger(ConversationStore.class);

  private final Pool pool;
  private final Ids ids;
  private final Embeddings embeddings;

  /** Recall by full-text search only. */
  public ConversationStore(Pool pool, Ids ids) {
    this(pool, ids, Embeddings.NONE);
  }

  public ConversationStore(Pool pool, Ids ids, Embeddings embeddings) {
    this.pool = pool;
    this.ids = ids;
    this.embeddings = embeddings;
  }

  @Override
  public Future<UUID> start(UUID userId, String personality) {
    UUID id = ids.uuid7();
    return pool.preparedQuery("INSERT INTO conversations (id, user_id, personality) VALUES ($1, $2, $3)")
        .execute(Tuple.of(id, userId, personality)).map(r -> id);
  }

  @Override
  public Future<List<Message>> recent(UUID conversationId, int n) {
    if (n <= 0) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery("SELECT role, content, truncated, tool_calls::text AS tool_calls, tool_call_id "
            + "FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
        .execute(Tuple.of(conversationId, n))
        .map(rows -> {
          List<Message> out = new ArrayList<>(rows.size());
          rows.forEach(r -> out.add(new Message(r.getString("role"), r.getString("content"), r.getBoolean("truncated"),
              r.getString("tool_calls"), r.getString("tool_call_id"))));
          Collections.reverse(out);
          return out;
        });
  }

  @Override
  public Future<UUID> append(UUID conversationId, Message message) {
    UUID id = ids.uuid7();
    return pool.preparedQuery("WITH m AS (INSERT INTO messages (id, conversation_id, role, content, truncated, "
            + "tool_calls, tool_call_id) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)) UPDATE conversations "
            + "SET updated_at = now(), title = coalesce(title, CASE WHEN $3 = 'user' THEN left($4, 80) END) WHERE id = $2")
        .execute(Tuple.from(java.util.Arrays.asList(id, conversationId, message.role(), message.content(),
            message.truncated(), message.toolCalls() == null ? null : new JsonArray(message.toolCalls()),
            message.toolCallId())))
        .map(r -> {
          if (List.of("user", "assistant").contains(message.role())) {
            embed(id, message.content());
          }
          return id;
        });
  }

  /**
   * Gives a stored message its vector, after the write and apart from it: a conversation never
   * waits for the embeddings server, and a message it fails for stays without (recall finds it by
   * its words). A message truncated or deleted meanwhile is left as it is.
   */
  private void embed(UUID messageId, String content) {
    embeddings.vector(content).compose(vector -> vector.isEmpty() ? Future.succeededFuture()
            : pool.preparedQuery("UPDATE messages SET embedding = $3 WHERE id = $1 AND content = $2")
                .execute(Tuple.of(messageId, content, Embeddings.column(vector))).mapEmpty())
        .onFailure(e -> LOG.debug("conversations: message {} left without its vector ({})", messageId, e.toString()));
  }

  @Override
  public Future<Void> deleteMessage(UUID conversationId, UUID messageId) {
    return pool.preparedQuery("DELETE FROM messages WHERE id = $1 AND conversation_id = $2")
        .execute(Tuple.of(messageId, conversationId)).mapEmpty();
  }

  @Override
  public Future<Void> truncateMessage(UUID conversationId, UUID messageId, String content) {
    return pool.preparedQuery("UPDATE messages SET content = $3, truncated = true WHERE id = $1 AND conversation_id = $2")
        .execute(Tuple.of(messageId, conversationId, content)).mapEmpty();
  }

  /** The user's conversations, most recent first; {@code before} pages by updated_at. */
  public Future<List<JsonObject>> list(UUID userId, int limit, Optional<OffsetDateTime> before) {
    return pool.preparedQuery("SELECT id, title, personality, created_at, updated_at FROM conversations "
            + "WHERE user_id = $1 AND ($2::timestamptz IS NULL OR updated_at < $2) ORDER BY updated_at DESC LIMIT $3")
        .execute(Tuple.of(userId, before.orElse(null), limit))
        .map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          rows.forEach(r -> out.add(new JsonObject().put("id", r.getUUID("id").toString()).put("title", r.getString("title"))
              .put("personality", r.getString("personality"))
              .put("created_at", r.getOffsetDateTime("created_at").toString())
              .put("updated_at", r.getOffsetDateTime("updated_at").toString())));
          return out;
        });
  }

  /** Messages of one of the user's conversations, oldest first; empty when it is not theirs. */
  public Future<Optional<List<JsonObject>>> messages(UUID userId, UUID conversationId, int limit) {
    return pool.preparedQuery("SELECT 1 FROM conversations WHERE id = $1 AND user_id = $2")
        .execute(Tuple.of(conversationId, userId))
        .compose(owned -> owned.size() == 0
            ? Future.succeededFuture(Optional.<List<JsonObject>>empty())
            : pool.preparedQuery("SELECT id, role, content, truncated, created_at, tool_calls, tool_call_id FROM messages "
                    + "WHERE conversation_id = $1 ORDER BY created_at, id LIMIT $2")
                .execute(Tuple.of(conversationId, limit))
                .map(rows -> {
                  List<JsonObject> out = new ArrayList<>();
                  for (Row r : rows) {
                    out.add(new JsonObject().put("id", r.getUUID("id").toString()).put("role", r.getString("role"))
                        .put("content", r.getString("content")).put("truncated", r.getBoolean("truncated"))
                        .put("created_at", r.getOffsetDateTime("created_at").toString()));
                    if (r.getValue("tool_calls") != null) {
                      out.getLast().put("tool_calls", r.getValue("tool_calls"));
                    }
                    if (r.getString("tool_call_id") != null) {
                      out.getLast().put("tool_call_id", r.getString("tool_call_id"));
                    }
                  }
                  return Optional.of(out);
                }));
  }

  /** Deletes one of the user's conversations with its messages: false when the user has none with that id. */
  public Future<Boolean> delete(UUID userId, UUID conversationId) {
    return pool.preparedQuery("DELETE FROM conversations WHERE id = $1 AND user_id = $2")
        .execute(Tuple.of(conversationId, userId)).map(r -> r.rowCount() > 0);
  }

  /** A conversation to continue: the personality and client instructions it was held with, its last messages. */
  public record Continued(String personality, String instructions, List<Message> messages) {}

  /**
   * One of the user's conversations to continue, with its last {@code n} messages: empty when it
   * is not theirs (or does not exist).
   */
  public Future<Optional<Continued>> continued(UUID userId, UUID conversationId, int n) {
    return pool.preparedQuery("SELECT personality, instructions FROM conversations WHERE id = $1 AND user_id = $2")
        .execute(Tuple.of(conversationId, userId))
        .compose(owned -> {
          if (owned.size() == 0) {
            return Future.succeededFuture(Optional.<Continued>empty());
          }
          Row r = owned.iterator().next();
          return recent(conversationId, n).map(messages -> Optional.of(new Continued(r.getString("personality"),
              r.getString("instructions"), messages)));
        });
  }

  /** The personality and the client's instructions (null: none) a conversation is now held with. */
  public Future<Void> settings(UUID conversationId, String personality, String instructions) {
    return pool.preparedQuery("UPDATE conversations SET personality = $2, instructions = $3 WHERE id = $1")
        .execute(Tuple.of(conversationId, personality, instructions)).mapEmpty();
  }

  /** Conversations with no message since {@code cutoff} are deleted with their messages; returns how many. */
  public Future<Integer> purgeInactiveSince(OffsetDateTime cutoff) {
    return pool.preparedQuery("DELETE FROM conversations WHERE updated_at < $1")
        .execute(Tuple.of(cutoff)).map(r -> r.rowCount());
  }

  /** A past message that matched a recall query: a snippet of it, where and when it was said. */
  public record Recalled(UUID conversationId, String role, OffsetDateTime at, String snippet) {
    public JsonObject toJson() {
      return new JsonObject().put("conversation_id", conversationId.toString()).put("role", role)
          .put("at", at.toString()).put("snippet", snippet);
    }
  }

  /**
   * The user's past messages that share words with {@code query} (PostgreSQL full-text search,
   * words matched by prefix: knee finds knees), best match first then newest, as snippets of about
   * 30 words with their dates; only those since {@code since} when given. Only what the user and the
   * assistant said is searched: tool results (and the calls' JSON) are not. Other users' messages
   * are never searched.
   *
   * <p>With embeddings on (and a vector for the query), the full-text matches and the newest
   * {@value #RECALL_CANDIDATES} messages with a vector are ranked together
   * ({@link Relevance#bySimilarity}): those similar to the query first, then full-text matches
   * without a vector (stored before embeddings or while the server failed), then the other
   * full-text matches; a message neither similar nor matching is not recalled. So a message in other
   * words than the query's is found too, and none that was found before is lost.
   */
  public Future<List<Recalled>> recall(UUID userId, String query, Optional<OffsetDateTime> since, int limit) {
    String tsquery = prefixQuery(query);
    if (tsquery.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return embeddings.vector(query).compose(asked -> pool.preparedQuery("WITH q AS (SELECT to_tsquery('simple', $2) AS q), "
            + "mine AS (SELECT m.id, m.conversation_id, m.role, m.content, m.created_at, m.embedding FROM messages m "
            + "JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = $1 AND m.role IN ('user', 'assistant') "
            + "AND ($3::timestamptz IS NULL OR m.created_at >= $3)), "
            + "found AS ((SELECT mine.id FROM mine, q WHERE to_tsvector('simple', mine.content) @@ q.q "
            + "ORDER BY ts_rank(to_tsvector('simple', mine.content), q.q) DESC, mine.created_at DESC LIMIT $4) "
            + "UNION (SELECT id FROM mine WHERE embedding IS NOT NULL ORDER BY created_at DESC LIMIT $5)) "
            + "SELECT mine.conversation_id, mine.role, mine.created_at, mine.embedding, "
            + "to_tsvector('simple', mine.content) @@ q.q AS matched, "
            + "ts_headline('simple', mine.content, q.q, 'MaxWords=30, MinWords=12, StartSel=\"\", StopSel=\"\"') AS snippet "
            + "FROM mine JOIN found USING (id), q "
            + "ORDER BY ts_rank(to_tsvector('simple', mine.content), q.q) DESC, mine.created_at DESC")
        .execute(Tuple.of(userId, tsquery, since.orElse(null), asked.isEmpty() ? limit : RECALL_CANDIDATES,
            asked.isEmpty() ? 0 : RECALL_CANDIDATES))
        .map(rows -> {
          List<Recalled> found = new ArrayList<>(rows.size());
          Map<Recalled, float[]> vectors = new IdentityHashMap<>();
          Map<Recalled, Boolean> matched = new IdentityHashMap<>();
          rows.forEach(r -> {
            found.add(new Recalled(r.getUUID("conversation_id"), r.getString("role"),
                r.getOffsetDateTime("created_at"), r.getString("snippet")));
            vectors.put(found.getLast(), Embeddings.read(r, "embedding"));
            matched.put(found.getLast(), Boolean.TRUE.equals(r.getBoolean("matched")));
          });
          List<Recalled> ranked = asked.isEmpty() ? found
              : Relevance.bySimilarity(found, "", asked.get(), Recalled::snippet, vectors::get, matched::get, false);
          return List.copyOf(ranked.subList(0, Math.min(limit, ranked.size())));
        }));
  }

  /**
   * {@code query}'s words (those {@link Relevance} counts: no short or common ones) as a tsquery of
   * prefixes, any of them: "what about my knee" -> {@code knee:*}.
   */
  static String prefixQuery(String query) {
    return Relevance.words(query).stream().sorted().limit(16).map(w -> w + ":*")
        .collect(java.util.stream.Collectors.joining(" | "));
  }
}
