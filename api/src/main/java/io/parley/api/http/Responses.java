package io.parley.api.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writing JSON results; failures go to {@link Failures} through the router. */
public final class Responses {

  private Responses() {}

  public static void json(RoutingContext ctx, int status, Future<JsonObject> result) {
    result.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
          .end(ar.result().toBuffer());
    });
  }

  public static void noContent(RoutingContext ctx, Future<?> result) {
    result.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ctx.response().setStatusCode(204).end();
    });
  }

  /** 204 when {@code found} is true, else a 404 naming {@code what} ("no such " + what). */
  public static void noContentOrNotFound(RoutingContext ctx, Future<Boolean> found, String what) {
    noContent(ctx, found.map(f -> {
      if (!f) {
        throw new io.parley.core.ParleyException(io.parley.core.ParleyException.Reason.NOT_FOUND, "no such " + what);
      }
      return null;
    }));
  }

  /** Runs a handler body, sending a thrown ParleyException (e.g. a role check) to the failure handler. */
  public static void guarded(RoutingContext ctx, Runnable body) {
    try {
      body.run();
    } catch (RuntimeException e) {
      ctx.fail(e);
    }
  }
}
