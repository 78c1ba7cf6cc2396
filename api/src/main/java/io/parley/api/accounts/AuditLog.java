package io.parley.api.accounts;

import io.parley.api.http.Authenticator;
import io.parley.api.http.ClientIp;
import io.parley.api.http.RequestLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * Append-only audit trail of security-relevant actions. Each entry says who ({@code actor_id}, empty
 * for the operator), what ({@code action}), when ({@code at}), from where ({@code ip}, the client IP
 * as {@link ClientIp} finds it, and the {@code request_id}) and to what: the account concerned
 * ({@code subject_id}) and, when the action is on something of it, {@code details.target}
 * ({@code kind:id}, e.g. {@code memory:0190...}). Details never hold the user's content, only ids,
 * field names and counts. Entries older than {@code PARLEY_AUDIT_RETENTION_DAYS} are purged by
 * {@link AuditRetention}. The actions are listed in docs/API.md.
 */
public final class AuditLog {

  /** Who acts, from which address, in which request (null when not a request). */
  public record Who(UUID actor, String ip, String requestId) {}

  private final SqlClient client;
  private final ClientIp clientIp;

  public AuditLog(SqlClient client, ClientIp clientIp) {
    this.client = client;
    this.clientIp = clientIp;
  }

  /** The caller of a request: its verified user (or none), client IP and request id. */
  public Who who(RoutingContext ctx) {
    String sub = Authenticator.subject(ctx);
    UUID actor = null;
    if (sub != null) {
      try {
        actor = UUID.fromString(sub);
      } catch (IllegalArgumentException e) {
        actor = null;
      }
    }
    return new Who(actor, clientIp.of(ctx), RequestLog.requestId(ctx));
  }

  /** Records {@code action} by the caller of {@code ctx} on {@code subject} (and {@code target}, or null). */
  public Future<Void> record(RoutingContext ctx, String action, UUID subject, String target, JsonObject details) {
    return record(who(ctx), action, subject, target, details);
  }

  /** Records {@code action} by {@code who} on {@code subject} (and {@code target}, or null). */
  public Future<Void> record(Who who, String action, UUID subject, String target, JsonObject details) {
    JsonObject d = details == null ? new JsonObject() : details.copy();
    if (target != null) {
      d.put("target", target);
    }
    return record(client, who.actor(), action, subject, who.ip(), who.requestId(), d);
  }

  /**
   * {@code done}, with {@code action} recorded when it is true (a deletion that found its row): the
   * answer waits for the entry.
   */
  public Future<Boolean> whenDone(RoutingContext ctx, Future<Boolean> done, String action, UUID subject,
                                  String target) {
    Who who = who(ctx);
    return done.compose(d -> d ? record(who, action, subject, target, null).map(true) : Future.succeededFuture(false));
  }

  /** Details naming the fields a change carried (never their values). */
  public static JsonObject fields(JsonObject body) {
    return new JsonObject().put("fields", new io.vertx.core.json.JsonArray(body == null ? java.util.List.of()
        : body.fieldNames().stream().sorted().toList()));
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
