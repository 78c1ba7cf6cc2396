package io.parley.api.accounts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** Append-only audit trail of security-relevant actions. */
public final class AuditLog {

  private final SqlClient client;

  public AuditLog(SqlClient client) {
    this.client = client;
  }

  public Future<Void> record(UUID actor, String action, UUID subject, String ip, String requestId, JsonObject details) {
    return record(client, actor, action, subject, ip, requestId, details);
  }

  /** Records within the caller's transaction. */
  public static Future<Void> record(SqlClient on, UUID actor, String action, UUID subject, String ip, String requestId,
                                    JsonObject details) {
    return on.preparedQuery("INSERT INTO audit_log (actor_id, action, subject_id, ip, request_id, details) "
            + "VALUES ($1, $2, $3, $4, $5, $6)")
        .execute(Tuple.of(actor, action, subject, ip, requestId, details == null ? new JsonObject() : details))
        .mapEmpty();
  }
}
