package io.parley.api.assistant.memory;

import io.parley.core.Ids;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What the assistant keeps about each user, in PostgreSQL ({@code memories}): remembered when the
 * user asks (or adds one), forgotten by id or by what it says, listed newest first, and chosen for
 * a prompt by {@link #ranked}. Every method is scoped to one user: another user's memory is
 * never read, changed or counted.
 *
 * <p>With {@link Embeddings} on, a memory is saved with its vector (without one when the server
 * fails: remembering never depends on it) and memories are ranked by meaning; else by words.
 */
public final class MemoryStore {

  /** Most memories one user may keep; remembering more is refused until some are forgotten. */
  public static final int MAX_PER_USER = 1_000;
  /** Memories {@link #ranked} chooses from: the newest this many. */
  static final int CANDIDATES = 200;

  private final Pool pool;
  private final Ids ids;
  private final Embeddings embeddings;

  /** Memories ranked by their words only. */
  public MemoryStore(Pool pool, Ids ids) {
    this(pool, ids, Embeddings.NONE);
  }

  public MemoryStore(Pool pool, Ids ids, Embeddings embeddings) {
    this.pool = pool;
    this.ids = ids;
    this.embeddings = embeddings;
  }

  /**
   * Keeps {@code content} (stripped; 1..500 characters) for {@code user}; {@code source} is the
   * conversation it was said in, or null. A memory the user already has with the same words (case
   * aside) is not kept twice: that one is returned.
   */
  public Future<Memory> remember(UUID user, String content, UUID source) {
    String text = content == null ? "" : content.strip();
    if (text.isEmpty() || text.length() > Memory.MAX_CHARS) {
      return Future.failedFuture(new ParleyException(Reason.INVALID,
          "a memory is 1 to " + Memory.MAX_CHARS + " characters"));
    }
    return pool.preparedQuery("SELECT id, content, created_at, source_conversation_id FROM memories "
            + "WHERE user_id = $1 AND lower(content) = lower($2) LIMIT 1")
        .execute(Tuple.of(user, text))
        .compose(same -> same.size() > 0 ? Future.succeededFuture(Memory.of(same.iterator().next()))
            : embeddings.vector(text).compose(vector -> pool.preparedQuery(
                    "INSERT INTO memories (id, user_id, content, source_conversation_id, embedding) "
                    + "SELECT $1, $2, $3, c.id, $6::real[] FROM (SELECT 1) one "
                    + "LEFT JOIN conversations c ON c.id = $4 AND c.user_id = $2 "
                    + "WHERE (SELECT count(*) FROM memories WHERE user_id = $2) < $5 "
                    + "RETURNING id, content, created_at, source_conversation_id")
                .execute(Tuple.from(Arrays.asList(ids.uuid7(), user, text, source, MAX_PER_USER,
                    Embeddings.column(vector))))
                .map(rows -> {
                  if (rows.size() == 0) {
                    throw new ParleyException(Reason.CONFLICT, "at most " + MAX_PER_USER
                        + " memories are kept; forget some first");
                  }
                  return Memory.of(rows.iterator().next());
                })));
  }

  /** Forgets one of the user's memories: false when the user has none with that id. */
  public Future<Boolean> forget(UUID user, UUID id) {
    return pool.preparedQuery("DELETE FROM memories WHERE id = $1 AND user_id = $2")
        .execute(Tuple.of(id, user)).map(r -> r.rowCount() > 0);
  }

  /** Forgets the user's memories whose text contains {@code text} (case aside); returns them. */
  public Future<List<Memory>> forgetMatching(UUID user, String text) {
    String needle = text == null ? "" : text.strip();
    if (needle.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    String pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    return pool.preparedQuery("DELETE FROM memories WHERE user_id = $1 AND content ILIKE $2 "
            + "RETURNING id, content, created_at, source_conversation_id")
        .execute(Tuple.of(user, pattern)).map(MemoryStore::memories);
  }

  /** The user's memories, newest first. */
  public Future<List<Memory>> list(UUID user, int limit) {
    return pool.preparedQuery("SELECT id, content, created_at, source_conversation_id FROM memories "
            + "WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
        .execute(Tuple.of(user, limit)).map(MemoryStore::memories);
  }

  /**
   * The user's newest {@value #CANDIDATES} memories, most relevant to {@code query} first: by the
   * similarity of their vectors to the query's when embeddings are on and the query has one (those
   * saved without a vector after them), else by shared words, newest first among equals
   * ({@link Relevance}).
   */
  public Future<List<Memory>> ranked(UUID user, String query) {
    Future<Optional<float[]>> asked = embeddings.vector(query);
    Future<RowSet<Row>> newest = pool.preparedQuery("SELECT id, content, created_at, source_conversation_id, embedding "
            + "FROM memories WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
        .execute(Tuple.of(user, CANDIDATES));
    return Future.all(asked, newest).map(both -> {
      List<Memory> memories = memories(newest.result());
      if (asked.result().isEmpty()) {
        return Relevance.rank(memories, query, Memory::content);
      }
      Map<UUID, float[]> vectors = new HashMap<>();
      newest.result().forEach(r -> vectors.put(r.getUUID("id"), Embeddings.read(r, "embedding")));
      return Relevance.bySimilarity(memories, query, asked.result().get(), Memory::content,
          m -> vectors.get(m.id()), m -> Relevance.sharesWords(query, m.content()), true);
    });
  }

  /**
   * The user's memories that matter for {@code query} ({@link #ranked}), most relevant first, as
   * many as fit in {@code budgetTokens} (a token taken as four characters).
   */
  public Future<List<Memory>> relevant(UUID user, String query, int budgetTokens) {
    return ranked(user, query).map(ranked -> within(ranked, budgetTokens * 4L));
  }

  /** The first of {@code ranked} whose texts fit in {@code chars} together (one that does not is skipped). */
  public static List<Memory> within(List<Memory> ranked, long chars) {
    List<Memory> out = new ArrayList<>();
    long left = chars;
    for (Memory m : ranked) {
      long cost = m.content().length() + 3; // "- " and the line break
      if (cost <= left) {
        out.add(m);
        left -= cost;
      }
    }
    return out;
  }

  private static List<Memory> memories(RowSet<Row> rows) {
    List<Memory> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(Memory.of(r)));
    return out;
  }
}
