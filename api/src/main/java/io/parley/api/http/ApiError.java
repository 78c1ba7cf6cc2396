package io.parley.api.http;

import io.parley.core.ParleyException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/**
 * The one error shape of the API: {@code {"error":{"code","message","details","request_id","timestamp"}}}
 * with the matching HTTP status.
 */
public final class ApiError {

  private ApiError() {}

  public static void send(RoutingContext ctx, int status, String code, String message, Object details) {
    send(ctx, status, code, message, details, new JsonObject());
  }

  /**
   * A problem with a request to the OpenAI-compatible endpoints: the one shape plus OpenAI's
   * {@code type} ({@code invalid_request_error}) and {@code param} (the field, as OpenAI names it:
   * {@code messages[2].tool_call_id}), which OpenAI's clients read.
   */
  public static void sendOpenAi(RoutingContext ctx, ApiProblem problem) {
    String param = null;
    if (problem.details() != null && !problem.details().isEmpty()
        && problem.details().getValue(0) instanceof JsonObject d && d.getValue("field") instanceof String field) {
      param = field.substring(1).replaceAll("/(\\d+)(?=/|$)", "[$1]").replace('/', '.');
    }
    send(ctx, problem.status(), problem.code(), problem.getMessage(), problem.details(), new JsonObject()
        .put("type", problem.status() < 500 ? "invalid_request_error" : "server_error")
        .put("param", param == null || param.isEmpty() ? null : param));
  }

  private static void send(RoutingContext ctx, int status, String code, String message, Object details,
                           JsonObject extra) {
    HttpServerResponse res = ctx.response();
    if (res.ended() || res.closed()) {
      return;
    }
    if (res.headWritten()) {
      // Too late for a status: the best we can do is to cut the response.
      res.reset();
      return;
    }
    JsonObject error = new JsonObject()
        .put("code", code)
        .put("message", message)
        .put("details", details)
        .put("request_id", RequestLog.requestId(ctx))
        .put("timestamp", Instant.now().toString());
    error.mergeIn(extra);
    res.setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(new JsonObject().put("error", error).toBuffer());
  }

  /** The HTTP status and code for a reason of Parley's exception. */
  public static void send(RoutingContext ctx, ParleyException e) {
    switch (e.reason()) {
      case INVALID -> send(ctx, 400, "validation_failed", e.getMessage(), null);
      case UNAUTHENTICATED -> send(ctx, 401, "unauthorized", e.getMessage(), null);
      case FORBIDDEN -> send(ctx, 403, "forbidden", e.getMessage(), null);
      case NOT_FOUND -> send(ctx, 404, "not_found", e.getMessage(), null);
      case CONFLICT -> send(ctx, 409, e.code().orElse("conflict"), e.getMessage(), null);
      case LIMITED -> {
        retryAfter(ctx, e);
        send(ctx, 429, "rate_limited", e.getMessage(), null);
      }
      case UNAVAILABLE -> {
        retryAfter(ctx, e);
        send(ctx, 503, e.code().orElse("unavailable"), e.getMessage(), null);
      }
      case CONFIG, INTERNAL -> send(ctx, 500, "internal", "internal error", null);
    }
  }

  /** {@code Retry-After} in whole seconds (at least 1) when {@code e} says when to try again. */
  public static void retryAfter(RoutingContext ctx, ParleyException e) {
    e.retryAfter().ifPresent(d -> ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, d.toSeconds()))));
  }

  /** The code used for a bare HTTP status. */
  public static String codeFor(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 409 -> "conflict";
      case 413 -> "payload_too_large";
      case 415 -> "unsupported_media_type";
      case 429 -> "rate_limited";
      case 503 -> "unavailable";
      default -> status >= 500 ? "internal" : "error";
    };
  }
}
