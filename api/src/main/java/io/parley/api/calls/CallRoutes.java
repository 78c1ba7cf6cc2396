package io.parley.api.calls;

import io.parley.api.calls.Call;
import io.parley.api.calls.CallService;
import io.parley.api.accounts.UserStore;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.UUID;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;

/**
 * Expert calls over REST: starting or joining an appointment's call, the call and its summary,
 * ICE servers, hanging up and recording consent. Only the two parties act on a call (admins may
 * read it); anyone else gets 404.
 */
public final class CallRoutes {

  private final CallService calls;
  private final UserStore users;

  public CallRoutes(CallService calls, UserStore users) {
    this.calls = calls;
    this.users = users;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("startCall").addHandler(this::start);
    b.getRoute("getCall").addHandler(this::get);
    b.getRoute("getIceServers").addHandler(this::iceServers);
    b.getRoute("endCall").addHandler(this::end);
    b.getRoute("setCallConsent").addHandler(this::consent);
  }

  /** 201 with the call when this request started it, 200 with the open one otherwise. */
  private void start(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID appointment = UUID.fromString(ctx.pathParam("appointmentId"));
      calls.start(appointment, Authenticator.userId(ctx)).onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ar.cause());
          return;
        }
        Responses.json(ctx, ar.result().created() ? 201 : 200, Future.succeededFuture(ar.result().call().toJson()));
      });
    });
  }

  private void get(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = id(ctx);
      UUID caller = Authenticator.userId(ctx);
      Responses.json(ctx, 200, Authenticator.isAdmin(ctx, users).compose(admin -> calls.get(id, caller, admin))
          .map(Call::toJson));
    });
  }

  private void iceServers(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      ctx.response().putHeader("Cache-Control", "no-store");
      Responses.json(ctx, 200, calls.iceServers(id(ctx), Authenticator.userId(ctx)));
    });
  }

  private void end(RoutingContext ctx) {
    Responses.guarded(ctx, () -> Responses.json(ctx, 200,
        calls.hangUp(id(ctx), Authenticator.userId(ctx)).map(Call::toJson)));
  }

  private void consent(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      boolean recording = ctx.body().asJsonObject().getBoolean("recording");
      Responses.json(ctx, 200, calls.consent(id(ctx), Authenticator.userId(ctx), recording).map(Call::toJson));
    });
  }

  private static UUID id(RoutingContext ctx) {
    return UUID.fromString(ctx.pathParam("callId"));
  }
}
