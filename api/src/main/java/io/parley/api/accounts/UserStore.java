package io.parley.api.accounts;

import io.parley.api.accounts.EmailAddress;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/** Users and their profiles. */
public final class UserStore {

  /** A stored user. */
  public record User(UUID id, String email, String name, String role, String passwordHash, OffsetDateTime createdAt) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id.toString()).put("email", email).put("name", name)
          .put("role", role).put("created_at", createdAt.toString());
    }
  }

  private static final String USER_COLUMNS = "id, email, name, role, password_hash, created_at";
  private final Pool pool;
  private final UserCache cache;

  public UserStore(Pool pool, UserCache cache) {
    this.pool = pool;
    this.cache = cache;
  }

  public UserCache cache() {
    return cache;
  }

  /**
   * Inserts a user with the role {@code user} (no other role is ever given at sign-up); fails with
   * a CONFLICT {@link ParleyException} when an address with the same {@link EmailAddress#key} is
   * registered.
   */
  public Future<User> create(UUID id, String email, String passwordHash, String name) {
    return pool.preparedQuery("INSERT INTO users (id, email, email_key, password_hash, name) "
            + "VALUES ($1, $2, $3, $4, $5) RETURNING " + USER_COLUMNS)
        .execute(Tuple.of(id, EmailAddress.display(email), EmailAddress.key(email), passwordHash, name))
        .map(rows -> user(rows.iterator().next()))
        .recover(UserStore::uniqueViolation);
  }

  /** The account holding this address, compared by {@link EmailAddress#key}; empty for a non-address. */
  public Future<Optional<User>> byEmail(String email) {
    String key;
    try {
      key = EmailAddress.key(email);
    } catch (ParleyException e) {
      return Future.succeededFuture(Optional.empty());
    }
    return pool.preparedQuery("SELECT " + USER_COLUMNS + " FROM users WHERE email_key = $1")
        .execute(Tuple.of(key))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(user(rows.iterator().next())));
  }

  public Future<Optional<User>> byId(UUID id) {
    return pool.preparedQuery("SELECT " + USER_COLUMNS + " FROM users WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(user(rows.iterator().next())));
  }

  public Future<Void> updatePasswordHash(UUID id, String hash) {
    return pool.preparedQuery("UPDATE users SET password_hash = $2 WHERE id = $1")
        .execute(Tuple.of(id, hash)).mapEmpty();
  }

  /** A name and/or e-mail change: the account before and after. */
  public record Change(User before, User after) {
    public boolean emailChanged() {
      return !before.email().equals(after.email());
    }
  }

  /**
   * Updates name and/or e-mail (null leaves a field as it is) within the caller's transaction. The
   * role is never touched: no address confers one. Empty when the user no longer exists; CONFLICT
   * when another account holds an address with the same key. The caller invalidates the cache
   * after commit.
   */
  public Future<Optional<Change>> update(SqlClient on, UUID id, String name, String email) {
    String display = email == null ? null : EmailAddress.display(email);
    String key = email == null ? null : EmailAddress.key(email);
    return on.preparedQuery("SELECT " + USER_COLUMNS + " FROM users WHERE id = $1 FOR UPDATE")
        .execute(Tuple.of(id))
        .compose(found -> {
          if (found.size() == 0) {
            return Future.succeededFuture(Optional.<Change>empty());
          }
          User before = user(found.iterator().next());
          return on.preparedQuery("UPDATE users SET name = coalesce($2, name), email = coalesce($3, email), "
                  + "email_key = coalesce($4, email_key), updated_at = now() WHERE id = $1 RETURNING " + USER_COLUMNS)
              .execute(Tuple.of(id, name, display, key))
              .map(rows -> Optional.of(new Change(before, user(rows.iterator().next()))));
        })
        .recover(UserStore::uniqueViolation);
  }

  /**
   * The user with their profile (empty fields when none was stored) in one round trip: this is the
   * hottest read of the API.
   */
  public Future<Optional<JsonObject>> withProfile(UUID id) {
    return pool.preparedQuery("SELECT u.id, u.email, u.name, u.role, u.password_hash, u.created_at, "
            + "p.user_id AS profile_of, p.goals, p.height_cm, p.weight_kg, p.dob, p.allergies, p.dietary_pref, "
            + "p.activity_level, p.city FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = $1")
        .execute(Tuple.of(id))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.<JsonObject>empty();
          }
          Row r = rows.iterator().next();
          JsonObject profile = r.getUUID("profile_of") == null ? emptyProfile() : profile(r);
          return Optional.of(user(r).toJson().put("profile", profile));
        });
  }

  public Future<JsonObject> profile(UUID userId) {
    return pool.preparedQuery("SELECT goals, height_cm, weight_kg, dob, allergies, dietary_pref, activity_level, city "
            + "FROM user_profiles WHERE user_id = $1")
        .execute(Tuple.of(userId))
        .map(rows -> rows.size() == 0 ? emptyProfile() : profile(rows.iterator().next()));
  }

  /** Replaces the profile with the given fields (absent fields become empty). */
  public Future<JsonObject> putProfile(UUID userId, JsonObject p) {
    String dob = p.getString("dob");
    return pool.preparedQuery("INSERT INTO user_profiles (user_id, goals, height_cm, weight_kg, dob, allergies, "
            + "dietary_pref, activity_level, city, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now()) "
            + "ON CONFLICT (user_id) DO UPDATE SET goals = $2, height_cm = $3, weight_kg = $4, dob = $5, "
            + "allergies = $6, dietary_pref = $7, activity_level = $8, city = $9, updated_at = now() "
            + "RETURNING goals, height_cm, weight_kg, dob, allergies, dietary_pref, activity_level, city")
        .execute(Tuple.tuple()
            .addValue(userId)
            .addArrayOfString(strings(p.getJsonArray("goals")))
            .addValue(decimal(p.getNumber("height_cm")))
            .addValue(decimal(p.getNumber("weight_kg")))
            .addValue(dob == null ? null : LocalDate.parse(dob))
            .addArrayOfString(strings(p.getJsonArray("allergies")))
            .addValue(p.getString("dietary_pref"))
            .addValue(p.getString("activity_level"))
            .addValue(p.getString("city")))
        .map(rows -> profile(rows.iterator().next()))
        .andThen(ar -> cache.invalidate(userId));
  }

  /**
   * Deletes the user; every table of theirs cascades. The cache entry is dropped now and again
   * when the deletion is announced after commit ({@code CallService.userDeleted}).
   */
  public Future<Boolean> delete(SqlClient client, UUID id) {
    return client.preparedQuery("DELETE FROM users WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.rowCount() == 1)
        .andThen(ar -> cache.invalidate(id));
  }

  private static io.vertx.sqlclient.data.Numeric decimal(Number n) {
    return n == null ? null : io.vertx.sqlclient.data.Numeric.create(n);
  }

  private static String[] strings(JsonArray a) {
    if (a == null) {
      return new String[0];
    }
    String[] out = new String[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getString(i);
    }
    return out;
  }

  static JsonObject emptyProfile() {
    return new JsonObject().put("goals", new JsonArray()).putNull("height_cm").putNull("weight_kg").putNull("dob")
        .put("allergies", new JsonArray()).putNull("dietary_pref").putNull("activity_level").putNull("city");
  }

  static JsonObject profile(Row r) {
    LocalDate dob = r.getLocalDate("dob");
    return new JsonObject()
        .put("goals", new JsonArray(java.util.List.of(r.getArrayOfStrings("goals"))))
        .put("height_cm", r.getDouble("height_cm"))
        .put("weight_kg", r.getDouble("weight_kg"))
        .put("dob", dob == null ? null : dob.toString())
        .put("allergies", new JsonArray(java.util.List.of(r.getArrayOfStrings("allergies"))))
        .put("dietary_pref", r.getString("dietary_pref"))
        .put("activity_level", r.getString("activity_level"))
        .put("city", r.getString("city"));
  }

  static User user(Row r) {
    return new User(r.getUUID("id"), r.getString("email"), r.getString("name"), r.getString("role"),
        r.getString("password_hash"), r.getOffsetDateTime("created_at"));
  }

  static <T> Future<T> uniqueViolation(Throwable t) {
    if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return Future.failedFuture(new ParleyException(Reason.CONFLICT, "this e-mail address is already registered"));
    }
    return Future.failedFuture(t);
  }
}
