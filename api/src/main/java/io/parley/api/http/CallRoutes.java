package io.parley.api.http;

import io.parley.api.calls.Call;
import io.parley.api.calls.CallService;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.UUID;

/**
 * Expert calls over REST: starting or joining an appointment's call, the call and its summary,
 * ICE servers, hanging up and recording consent. Only the two parties act on a call (admins may
 * read it); anyone else gets 404.
 */
final class CallRoutes {

  /**
   * How {@link io.parley.api.calls.CallStore} and {@link CallService} word the conflicts that have
   * their own error codes (SIGNALLING.md); their exceptions carry no finer reason than CONFLICT.
   */
  private static final String OUTSIDE_WINDOW = "outside the join window";
  private static final String APPOINTMENT_CALL_ENDED = "this appointment's call has ended";
  private static final String CALL_ENDED = "the call has ended";

  private final CallService calls;

  CallRoutes(CallService calls) {
    this.calls = calls;
  }

  void mount(RouterBuilder b) {
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
          ctx.fail(coded(ar.cause()));
          return;
        }
        Responses.json(ctx, ar.result().created() ? 201 : 200, Future.succeededFuture(ar.result().call().toJson()));
      });
    });
  }

  private void get(RoutingContext ctx) {
    Responses.guarded(ctx, () -> Responses.json(ctx, 200,
        calls.get(id(ctx), Authenticator.userId(ctx), "admin".equals(Authenticator.role(ctx))).map(Call::toJson)));
  }

  private void iceServers(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      ctx.response().putHeader("Cache-Control", "no-store");
      Responses.json(ctx, 200, calls.iceServers(id(ctx), Authenticator.userId(ctx)).recover(CallRoutes::codedFuture));
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

  private static Future<JsonObject> codedFuture(Throwable t) {
    return Future.failedFuture(coded(t));
  }

  /** Conflicts with a code of their own: {@code outside_join_window}, {@code call_ended}. */
  private static Throwable coded(Throwable t) {
    if (t instanceof ParleyException pe && pe.reason() == Reason.CONFLICT && pe.getMessage() != null) {
      String m = pe.getMessage();
      if (m.startsWith(OUTSIDE_WINDOW)) {
        return new ApiProblem(409, "outside_join_window", m, null);
      }
      if (m.startsWith(APPOINTMENT_CALL_ENDED) || m.startsWith(CALL_ENDED)) {
        return new ApiProblem(409, "call_ended", m, null);
      }
    }
    return t;
  }
}
