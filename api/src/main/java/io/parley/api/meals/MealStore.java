package io.parley.api.meals;

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
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The meal log in PostgreSQL: meals with their items and totals, and photos kept on request. */
public final class MealStore {

  /** A stored photo and its content type. */
  public record Photo(byte[] bytes, String type) {}

  private static final String COLUMNS = "id, logged_at, items, total_kcal, total_protein_g, total_carbs_g, total_fat_g,"
      + " confidence, model, image IS NOT NULL AS has_image, image_expires_at, created_at";

  private final Pool pool;
  private final Ids ids;

  public MealStore(Pool pool, Ids ids) {
    this.pool = pool;
    this.ids = ids;
  }

  /** Stores a meal; {@code photo} (may be null) is kept until {@code imageExpiresAt}. */
  public Future<JsonObject> create(UUID userId, Instant loggedAt, JsonObject estimate, String model, Photo photo,
                                   Instant imageExpiresAt) {
    UUID id = ids.uuid7();
    JsonObject totals = estimate.getJsonObject("totals");
    Tuple t = Tuple.tuple().addUUID(id).addUUID(userId).addOffsetDateTime(loggedAt.atOffset(ZoneOffset.UTC))
        .addValue(estimate.getJsonArray("items")).addValue(totals.getDouble("kcal")).addValue(totals.getDouble("protein_g"))
        .addValue(totals.getDouble("carbs_g")).addValue(totals.getDouble("fat_g"))
        .addValue(estimate.getDouble("confidence")).addString(model)
        .addValue(photo == null ? null : Buffer.buffer(photo.bytes())).addString(photo == null ? null : photo.type())
        .addOffsetDateTime(photo == null ? null : imageExpiresAt.atOffset(ZoneOffset.UTC));
    return pool.preparedQuery("INSERT INTO meals (id, user_id, logged_at, items, total_kcal, total_protein_g, total_carbs_g,"
            + " total_fat_g, confidence, model, image, image_type, image_expires_at)"
            + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING " + COLUMNS)
        .execute(t).map(rows -> json(rows.iterator().next()));
  }

  /** The user's meals logged in [from, to), oldest first, with totals per UTC day. */
  public Future<JsonObject> list(UUID userId, Instant from, Instant to) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM meals WHERE user_id = $1 AND logged_at >= $2 AND logged_at < $3"
            + " ORDER BY logged_at, id")
        .execute(Tuple.of(userId, from.atOffset(ZoneOffset.UTC), to.atOffset(ZoneOffset.UTC)))
        .map(rows -> {
          JsonArray items = new JsonArray();
          Map<String, double[]> days = new LinkedHashMap<>();
          for (Row r : rows) {
            JsonObject m = json(r);
            items.add(m);
            String day = r.getOffsetDateTime("logged_at").withOffsetSameInstant(ZoneOffset.UTC).toLocalDate().toString();
            double[] d = days.computeIfAbsent(day, k -> new double[5]);
            JsonObject t = m.getJsonObject("totals");
            d[0] += t.getDouble("kcal");
            d[1] += t.getDouble("protein_g");
            d[2] += t.getDouble("carbs_g");
            d[3] += t.getDouble("fat_g");
            d[4] += 1;
          }
          JsonArray daily = new JsonArray();
          days.forEach((day, d) -> daily.add(new JsonObject().put("date", day).put("meals", (int) d[4])
              .put("kcal", r1(d[0])).put("protein_g", r1(d[1])).put("carbs_g", r1(d[2])).put("fat_g", r1(d[3]))));
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

  private static double r1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static JsonObject json(Row r) {
    OffsetDateTime expires = r.getOffsetDateTime("image_expires_at");
    boolean image = Boolean.TRUE.equals(r.getBoolean("has_image")) && expires != null && expires.isAfter(OffsetDateTime.now());
    Object items = r.getValue("items");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("logged_at", r.getOffsetDateTime("logged_at").toInstant().toString())
        .put("items", items instanceof JsonArray a ? a : new JsonArray(String.valueOf(items)))
        .put("totals", new JsonObject().put("kcal", r.getDouble("total_kcal")).put("protein_g", r.getDouble("total_protein_g"))
            .put("carbs_g", r.getDouble("total_carbs_g")).put("fat_g", r.getDouble("total_fat_g")))
        .put("confidence", r.getValue("confidence") == null ? null : r.getDouble("confidence"))
        .put("model", r.getString("model"))
        .put("image", image ? new JsonObject().put("expires_at", expires.toInstant().toString()) : null)
        .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString());
  }
}
