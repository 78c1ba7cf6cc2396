package io.parley.api.accounts;

import io.parley.api.infra.Keyset;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Expert listings: one per expert user, listed with keyset (cursor) pagination. */
public final class ExpertStore {

  private static final String COLUMNS = "user_id, display_name, bio, specialization, expertise_tags, city, rating, "
      + "rating_count, rate_cents, currency, availability, max_clients, created_at";


  private final Pool pool;
  private final UserCache users;

  public ExpertStore(Pool pool, UserCache users) {
    this.pool = pool;
    this.users = users;
  }

  /** Creates or replaces the caller's listing and makes the caller an expert (admins stay admins). */
  public Future<JsonObject> upsert(UUID userId, JsonObject e) {
    JsonArray tags = e.getJsonArray("expertise_tags", new JsonArray());
    String[] tagArray = tags.stream().map(Object::toString).toArray(String[]::new);
    return pool.withTransaction(conn -> conn.preparedQuery(
            "INSERT INTO experts (user_id, display_name, bio, specialization, expertise_tags, city, rate_cents, currency, "
                + "availability, max_clients) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                + "ON CONFLICT (user_id) DO UPDATE SET display_name = $2, bio = $3, specialization = $4, "
                + "expertise_tags = $5, city = $6, rate_cents = $7, currency = $8, availability = $9, max_clients = $10, "
                + "active = true, updated_at = now() RETURNING " + COLUMNS)
        .execute(Tuple.tuple()
            .addValue(userId)
            .addValue(e.getString("display_name"))
            .addValue(e.getString("bio", ""))
            .addValue(e.getString("specialization"))
            .addArrayOfString(tagArray)
            .addValue(e.getString("city"))
            .addValue(e.getInteger("rate_cents", 0))
            .addValue(e.getString("currency", "EUR"))
            .addValue(e.getJsonArray("availability", new JsonArray()))
            .addValue(e.getInteger("max_clients", 20)))
        .compose(rows -> conn.preparedQuery("UPDATE users SET role = 'expert', updated_at = now() "
                + "WHERE id = $1 AND role = 'user'").execute(Tuple.of(userId))
            .map(v -> json(rows.iterator().next()))))
        .recover(ExpertStore::userGone)
        .andThen(ar -> users.invalidate(userId));
  }

  /** The caller's token outlived the account (deleted since): the 401 every other route gives, not a 500. */
  private static <T> Future<T> userGone(Throwable t) {
    if (t instanceof PgException pg && "23503".equals(pg.getSqlState())) {
      return Future.failedFuture(new ParleyException(Reason.UNAUTHENTICATED, "user no longer exists"));
    }
    return Future.failedFuture(t);
  }

  public Future<Optional<JsonObject>> byId(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM experts WHERE user_id = $1 AND active")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(json(rows.iterator().next())));
  }

  /** Listings matching the optional filters (case-insensitive), oldest first, after the cursor. */
  public Future<Keyset.Page> list(String specialization, String city, int limit, String cursor) {
    Keyset after;
    try {
      after = Keyset.after(cursor);
    } catch (ParleyException bad) {
      return Future.failedFuture(bad);
    }
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM experts WHERE active "
            + "AND ($1::text IS NULL OR lower(specialization) = lower($1)) "
            + "AND ($2::text IS NULL OR lower(city) = lower($2)) "
            + "AND ($3::timestamptz IS NULL OR (created_at, user_id) > ($3, $4)) "
            + "ORDER BY created_at, user_id LIMIT $5")
        .execute(Tuple.of(specialization, city, Keyset.timeOf(after), Keyset.idOf(after), limit + 1))
        .map(rows -> Keyset.page(rows, limit, ExpertStore::json, "created_at", "user_id"));
  }

  static JsonObject json(Row r) {
    Object availability = r.getValue("availability");
    return new JsonObject()
        .put("id", r.getUUID("user_id").toString())
        .put("display_name", r.getString("display_name"))
        .put("bio", r.getString("bio"))
        .put("specialization", r.getString("specialization"))
        .put("expertise_tags", new JsonArray(List.of(r.getArrayOfStrings("expertise_tags"))))
        .put("city", r.getString("city"))
        .put("rating", r.getDouble("rating"))
        .put("rating_count", r.getInteger("rating_count"))
        .put("rate_cents", r.getInteger("rate_cents"))
        .put("currency", r.getString("currency"))
        .put("availability", availability instanceof JsonArray a ? a : new JsonArray())
        .put("max_clients", r.getInteger("max_clients"));
  }
}
