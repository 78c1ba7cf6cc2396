package io.parley.api.accounts;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/**
 * Refresh tokens, stored only as SHA-256 hashes. Tokens descending from one login form a family;
 * rotation marks the presented token used and issues its successor in the same transaction.
 */
public final class RefreshTokenStore {

  /** A stored token's state. */
  public record Token(UUID id, UUID userId, UUID familyId, OffsetDateTime expiresAt,
                      OffsetDateTime rotatedAt, OffsetDateTime revokedAt) {}

  /** What a rotation attempt found. */
  public enum Outcome { ROTATED, UNKNOWN, EXPIRED, REUSED, REVOKED }

  /** Result of {@link #rotate}: the outcome, and the token it concerned when it was known. */
  public record Rotation(Outcome outcome, Optional<Token> token) {}

  private final Pool pool;

  public RefreshTokenStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Void> insert(UUID id, UUID userId, UUID familyId, byte[] hash, OffsetDateTime expiresAt,
                             String userAgent, String ip) {
    return pool.preparedQuery("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, user_agent, ip) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .execute(Tuple.of(id, userId, familyId, io.vertx.core.buffer.Buffer.buffer(hash), expiresAt, userAgent, ip))
        .mapEmpty();
  }

  /**
   * Atomically checks the presented token and, when it is live, marks it rotated and stores its
   * successor. A token that was already rotated is a replay (a stolen copy or a client bug):
   * the whole family is revoked, so the thief's and the victim's sessions both end.
   */
  public Future<Rotation> rotate(byte[] presentedHash, UUID newId, byte[] newHash, OffsetDateTime newExpiry,
                                 OffsetDateTime now, String userAgent, String ip) {
    return pool.withTransaction(conn -> conn
        .preparedQuery("SELECT id, user_id, family_id, expires_at, rotated_at, revoked_at FROM refresh_tokens "
            + "WHERE token_hash = $1 FOR UPDATE")
        .execute(Tuple.of(io.vertx.core.buffer.Buffer.buffer(presentedHash)))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(new Rotation(Outcome.UNKNOWN, Optional.empty()));
          }
          Token t = token(rows.iterator().next());
          if (t.revokedAt() != null) {
            return Future.succeededFuture(new Rotation(Outcome.REVOKED, Optional.of(t)));
          }
          if (t.rotatedAt() != null) {
            return revokeFamily(conn, t.familyId()).map(v -> new Rotation(Outcome.REUSED, Optional.of(t)));
          }
          if (!t.expiresAt().isAfter(now)) {
            return Future.succeededFuture(new Rotation(Outcome.EXPIRED, Optional.of(t)));
          }
          return conn.preparedQuery("UPDATE refresh_tokens SET rotated_at = $2, replaced_by = $3 WHERE id = $1")
              .execute(Tuple.of(t.id(), now, newId))
              .compose(v -> conn.preparedQuery("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, "
                      + "expires_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                  .execute(Tuple.of(newId, t.userId(), t.familyId(), io.vertx.core.buffer.Buffer.buffer(newHash),
                      newExpiry, userAgent, ip)))
              .map(v -> new Rotation(Outcome.ROTATED, Optional.of(t)));
        }));
  }

  /** Revokes the family of the presented token (logout); false when the token is unknown. */
  public Future<Boolean> revokeFamilyOf(byte[] presentedHash) {
    return pool.preparedQuery("UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = "
            + "(SELECT family_id FROM refresh_tokens WHERE token_hash = $1)")
        .execute(Tuple.of(io.vertx.core.buffer.Buffer.buffer(presentedHash)))
        .map(rows -> rows.rowCount() > 0);
  }

  /** Deletes tokens expired for more than a day (housekeeping). */
  public Future<Integer> purgeExpired() {
    return pool.query("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'").execute()
        .map(rows -> rows.rowCount());
  }

  private static Future<Void> revokeFamily(SqlConnection conn, UUID family) {
    return conn.preparedQuery("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(family)).mapEmpty();
  }

  private static Token token(Row r) {
    return new Token(r.getUUID("id"), r.getUUID("user_id"), r.getUUID("family_id"), r.getOffsetDateTime("expires_at"),
        r.getOffsetDateTime("rotated_at"), r.getOffsetDateTime("revoked_at"));
  }
}
