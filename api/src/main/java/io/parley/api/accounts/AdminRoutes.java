package io.parley.api.accounts;

import io.parley.api.accounts.DataExport;
import io.parley.api.accounts.UserStore;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;

/**
 * {@code /api/v1/admin/*}: operator views, admin role only. The role is checked twice: in the
 * token, and as stored now, so that an admin role revoked with {@code ./parley admin revoke}
 * closes these routes at once rather than when the token expires.
 */
public final class AdminRoutes {

  private final UserStore users;
  private final Pool pool;
  private final AuditLog audit;

  public AdminRoutes(UserStore users, Pool pool, AuditLog audit) {
    this.users = users;
    this.pool = pool;
    this.audit = audit;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("adminGetUser").addHandler(this::getUser);
    b.getRoute("adminAuditLog").addHandler(this::auditLog);
  }

  private void getUser(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Future<Void> admin = admin(ctx);
      UUID id = UUID.fromString(ctx.pathParam("userId"));
      Responses.json(ctx, 200, admin.compose(v -> users.withProfile(id))
          .map(u -> u.orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no such user")))
          .compose(u -> audit.record(ctx, "admin.user_read", id, null, null).map(u)));
    });
  }

  private void auditLog(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Future<Void> admin = admin(ctx);
      String userId = ctx.queryParams().get("user_id");
      String limit = ctx.queryParams().get("limit");
      UUID about = userId == null ? null : UUID.fromString(userId);
      // Recorded once read (the answer shows the log as it was before this read).
      Responses.json(ctx, 200, admin.compose(v -> pool.preparedQuery(
              "SELECT id, at, actor_id, action, subject_id, ip, request_id, details FROM audit_log WHERE ($1::uuid IS NULL OR actor_id = $1 OR subject_id = $1) ORDER BY id DESC LIMIT $2")
          .execute(Tuple.of(about, limit == null ? 100 : Integer.parseInt(limit))))
          .compose(rows -> audit.record(ctx, "admin.audit_log_read", about, null, null)
              .map(v -> new JsonObject().put("items", DataExport.toJson(rows)))));
    });
  }

  /** Succeeds when the token says admin and the account still is one. */
  private Future<Void> admin(RoutingContext ctx) {
    Authenticator.requireRole(ctx, "admin");
    return Authenticator.isAdmin(ctx, users).compose(admin -> admin ? Future.succeededFuture()
        : Future.failedFuture(new ParleyException(Reason.FORBIDDEN, "this operation needs the role admin")));
  }
}
