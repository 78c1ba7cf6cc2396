package io.parley.api.meals;

import io.parley.api.meals.foods.MealItems;
import io.parley.core.Ids;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The meal log in PostgreSQL: meals with their items (from a photo, a text or a list) and totals,
 * corrections, and photos kept on request.
 */
public final class MealStore {

  /** A stored photo and its content type. */
  public record Photo(byte[] bytes, String type) {}

  private static final String COLUMNS = "id, logged_at, source, description, items, confidence, model,"
      + " image IS NOT NULL AS has_image, image_expires_at, created_at, updated_at";

  /** Where a meal's items came from. */
  public enum Source { PHOTO, TEXT, ITEMS }

  private final Pool pool;
  private final Ids ids;

  public MealStore(Pool pool, Ids ids) {
    this.pool = pool;
    this.ids = ids;
  }

  /**
   * Stores a meal of {@code items} ({@link MealItems} shape; totals and confidence follow from them).
   * {@code description}: the text it was read from, if any; {@code photo} (may be null) is kept until
   * {@code imageExpiresAt}.
   */
  public Future<JsonObject> create(UUID userId, Instant loggedAt, Source source, String description, JsonArray items,
                                   String model, Photo photo, Instant imageExpiresAt) {
    UUID id = ids.uuid7();
    JsonObject totals = MealItems.totals(items);
    Tuple t = Tuple.tuple().addUUID(id).addUUID(userId).addOffsetDateTime(loggedAt.atOffset(ZoneOffset.UTC))
        .addValue(items).addValue(zero(totals, "kcal")).addValue(zero(totals, "protein_g"))
        .addValue(zero(totals, "carbs_g")).addValue(zero(totals, "fat_g"))
        .addValue(MealItems.confidence(items)).addString(model)
        .addValue(photo == null ? null : Buffer.buffer(photo.bytes())).addString(photo == null ? null : photo.type())
        .addOffsetDateTime(photo == null ? null : imageExpiresAt.atOffset(ZoneOffset.UTC))
        .addString(source.name().toLowerCase(Locale.ROOT)).addString(description);
    return pool.preparedQuery("INSERT INTO meals (id, user_id, logged_at, items, total_kcal, total_protein_g, total_carbs_g,"
            + " total_fat_g, confidence, model, image, image_type, image_expires_at, source, description)"
            + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING " + COLUMNS)
        .execute(t).map(rows -> json(rows.iterator().next()));
  }

  /**
   * Replaces the items of one of the user's meals (a correction), and its time when {@code loggedAt}
   * is given; totals and confidence follow. Empty when the user has no such meal.
   */
  public Future<Optional<JsonObject>> replaceItems(UUID userId, UUID id, JsonArray items, Optional<Instant> loggedAt) {
    JsonObject totals = MealItems.totals(items);
    Tuple t = Tuple.tuple().addUUID(id).addUUID(userId).addValue(items).addValue(zero(totals, "kcal"))
        .addValue(zero(totals, "protein_g")).addValue(zero(totals, "carbs_g")).addValue(zero(totals, "fat_g"))
        .addValue(MealItems.confidence(items))
        .addOffsetDateTime(loggedAt.map(i -> i.atOffset(ZoneOffset.UTC)).orElse(null));
    return pool.preparedQuery("UPDATE meals SET items = $3, total_kcal = $4, total_protein_g = $5, total_carbs_g = $6,"
            + " total_fat_g = $7, confidence = $8, logged_at = COALESCE($9, logged_at), updated_at = now()"
            + " WHERE id = $1 AND user_id = $2 RETURNING " + COLUMNS)
        .execute(t).map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(json(rows.iterator().next())));
  }

  private static double zero(JsonObject totals, String key) {
    Double v = totals.getDouble(key);
    return v == null ? 0 : v;
  }

  /** The user's meals logged in [from, to), oldest first, with totals per UTC day. */
  public Future<JsonObject> list(UUID userId, Instant from, Instant to) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM meals WHERE user_id = $1 AND logged_at >= $2 AND logged_at < $3"
            + " ORDER BY logged_at, id")
        .execute(Tuple.of(userId, from.atOffset(ZoneOffset.UTC), to.atOffset(ZoneOffset.UTC)))
        .map(rows -> {
          JsonArray items = new JsonArray();
          Map<String, JsonArray> days = new LinkedHashMap<>();
          Map<String, Integer> counts = new LinkedHashMap<>();
          for (Row r : rows) {
            JsonObject m = json(r);
            items.add(m);
            String day = r.getOffsetDateTime("logged_at").withOffsetSameInstant(ZoneOffset.UTC).toLocalDate().toString();
            days.computeIfAbsent(day, k -> new JsonArray()).addAll(m.getJsonArray("items"));
            counts.merge(day, 1, Integer::sum);
          }
          JsonArray daily = new JsonArray();
          days.forEach((day, dayItems) -> daily.add(new JsonObject().put("date", day).put("meals", counts.get(day))
              .mergeIn(MealItems.totals(dayItems))));
          return new JsonObject().put("items", items).put("days", daily)
              .put("from", from.toString()).put("to", to.toString());
        });
  }

  public Future<Optional<JsonObject>> get(UUID userId, UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM meals WHERE id = $1 AND user_id = $2")
        .execute(Tuple.of(id, userId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(json(rows.iterator().next())));
  }

  /** The meal's photo while it is kept. */
  public Future<Optional<Photo>> photo(UUID userId, UUID id) {
    return pool.preparedQuery("SELECT image, image_type FROM meals WHERE id = $1 AND user_id = $2 AND image IS NOT NULL"
            + " AND image_expires_at > now()")
        .execute(Tuple.of(id, userId))
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(new Photo(rows.iterator().next().getBuffer("image").getBytes(),
                rows.iterator().next().getString("image_type"))));
  }

  /** Deletes one of the user's meals (and its photo); false when there was none. */
  public Future<Boolean> delete(UUID userId, UUID id) {
    return pool.preparedQuery("DELETE FROM meals WHERE id = $1 AND user_id = $2").execute(Tuple.of(id, userId))
        .map(r -> r.rowCount() > 0);
  }

  /** Drops photos past their retention; returns how many. */
  public Future<Integer> purgeExpiredPhotos() {
    return pool.query("UPDATE meals SET image = NULL, image_type = NULL WHERE image IS NOT NULL"
        + " AND image_expires_at <= now()").execute().map(r -> r.rowCount());
  }

  private static JsonObject json(Row r) {
    OffsetDateTime expires = r.getOffsetDateTime("image_expires_at");
    boolean image = Boolean.TRUE.equals(r.getBoolean("has_image")) && expires != null && expires.isAfter(OffsetDateTime.now());
    Object value = r.getValue("items");
    JsonArray items = value instanceof JsonArray a ? a : new JsonArray(String.valueOf(value));
    OffsetDateTime updated = r.getOffsetDateTime("updated_at");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("logged_at", r.getOffsetDateTime("logged_at").toInstant().toString())
        .put("source", r.getString("source"))
        .put("description", r.getString("description"))
        .put("items", items)
        .put("totals", MealItems.totals(items))
        .put("confidence", r.getValue("confidence") == null ? null : r.getDouble("confidence"))
        .put("model", r.getString("model"))
        .put("image", image ? new JsonObject().put("expires_at", expires.toInstant().toString()) : null)
        .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString())
        .put("updated_at", updated == null ? null : updated.toInstant().toString());
  }
}
