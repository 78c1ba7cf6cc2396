package io.parley.api.accounts;

import io.parley.api.calls.CallService;
import io.parley.api.accounts.AuditLog;
import io.parley.api.accounts.DataExport;
import io.parley.api.accounts.UserCache;
import io.parley.api.accounts.UserStore;
import io.vertx.core.buffer.Buffer;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.sqlclient.Pool;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.parley.api.http.RequestLog;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;

/** {@code /api/v1/users/me*}: the caller's own account, profile, export and deletion. */
public final class UserRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(UserRoutes.class);

  private final UserStore users;
  private final DataExport export;
  private final Pool pool;
  private final AuditLog audit;
  private final CallService calls;
  private final DeletedAccounts deleted;

  public UserRoutes(UserStore users, DataExport export, Pool pool, AuditLog audit, CallService calls,
                    DeletedAccounts deleted) {
    this.users = users;
    this.export = export;
    this.pool = pool;
    this.audit = audit;
    this.calls = calls;
    this.deleted = deleted;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("getMe").addHandler(this::getMe);
    b.getRoute("updateMe").addHandler(this::updateMe);
    b.getRoute("deleteMe").addHandler(this::deleteMe);
    b.getRoute("updateProfile").addHandler(this::updateProfile);
    b.getRoute("exportMe").addHandler(this::exportMe);
  }

  private void getMe(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = Authenticator.userId(ctx);
      UserCache cache = users.cache();
      Buffer cached = cache.get(id);
      if (cached != null) {
        ctx.response().putHeader("Content-Type", "application/json").end(cached);
        return;
      }
      long epoch = cache.epoch();
      users.withProfile(id).onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
          return;
        }
        if (ar.result().isEmpty()) {
          ctx.fail(gone());
          return;
        }
        Buffer body = ar.result().get().toBuffer();
        cache.put(id, body, epoch);
        ctx.response().putHeader("Content-Type", "application/json").end(body);
      });
    });
  }

  /**
   * Changes name and/or e-mail, audited in the same transaction: {@code user.updated} with the
   * fields sent, and for an e-mail change {@code user.email_changed} with both addresses. It never
   * changes the role.
   */
  private void updateMe(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = Authenticator.userId(ctx);
      JsonObject body = ctx.body().asJsonObject();
      Responses.json(ctx, 200, pool.withTransaction(conn -> users.update(conn, id, body.getString("name"),
              body.getString("email"))
          .compose(change -> {
            UserStore.Change c = change.orElseThrow(UserRoutes::gone);
            AuditLog.Who who = audit.who(ctx);
            Future<Void> updated = AuditLog.record(conn, id, "user.updated", id, who.ip(), who.requestId(),
                AuditLog.fields(body));
            if (!c.emailChanged()) {
              return updated.map(c.after());
            }
            JsonObject details = new JsonObject().put("from", c.before().email()).put("to", c.after().email());
            return updated.compose(v -> AuditLog.record(conn, id, "user.email_changed", id, who.ip(),
                who.requestId(), details)).map(c.after());
          }))
          .andThen(ar -> users.cache().invalidate(id))
          .map(UserStore.User::toJson));
    });
  }

  private void updateProfile(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = Authenticator.userId(ctx);
      JsonObject body = ctx.body().asJsonObject();
      Responses.json(ctx, 200, users.byId(id)
          .compose(u -> users.putProfile(u.orElseThrow(UserRoutes::gone).id(), body))
          .compose(profile -> audit.record(ctx, "user.profile_updated", id, null, AuditLog.fields(body))
              .map(profile)));
    });
  }

  private void exportMe(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = Authenticator.userId(ctx);
      Responses.json(ctx, 200, export.export(id).map(e -> {
        if (e.getValue("user") == null) {
          throw gone();
        }
        return e;
      }).compose(e -> audit.record(ctx, "user.exported", id, null, null).map(e)));
    });
  }

  /**
   * Deletes the account and everything of it in one transaction; the audit entry stays. Its open
   * calls are ended first (reason deleted) so that the other party is told and the relays cut;
   * once deleted, the deletion is announced ({@link DeletedAccounts#announce}) and every node closes the
   * account's signalling and realtime sockets and drops its TURN credentials.
   */
  private void deleteMe(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = Authenticator.userId(ctx);
      Future<Void> callsEnded = calls.endAllOf(id, io.parley.api.calls.EndReason.DELETED).recover(t -> {
        // Deletion goes ahead: the rows go with the account, and the call clock and credential expiry still hold.
        LOG.warn("user {}: open calls not ended before deletion: {}", id, t.toString());
        return Future.succeededFuture();
      });
      Responses.noContent(ctx, callsEnded
          .compose(v -> pool.withTransaction(conn -> users.delete(conn, id).compose(deleted -> deleted
              ? AuditLog.record(conn, id, "user.deleted", id, audit.who(ctx).ip(), RequestLog.requestId(ctx), null)
              : Future.failedFuture(gone()))))
          .onSuccess(v -> deleted.announce(id)));
    });
  }

  private static ParleyException gone() {
    return new ParleyException(Reason.UNAUTHENTICATED, "user no longer exists");
  }
}
