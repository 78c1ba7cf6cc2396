package io.parley.api.http;

import io.parley.core.ParleyException;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure, from ours to the router's own (404, 405, 413, validation), into the one
 * error shape. Validation errors name the offending field in {@code details}.
 */
public final class Failures implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);
  private static final Pattern REQUIRED_FIELD = Pattern.compile("[Pp]roperty \"?([^\" ]+)\"? (?:is )?(?:required|missing)|required propert(?:y|ies).*?[\\[\"']?([A-Za-z0-9_]+)");

  /**
   * The validator names a failing parameter only in its message ("The value of query parameter
   * limit is invalid. Reason: ..."); its schema errors point at the value itself ("#").
   */
  private static final Pattern PARAMETER = Pattern.compile("^[^:]*?\\b(query|path|header|cookie) parameter (\\S+?)\\.?(?:\\s|$)");

  /** The body limit of the route a request went to (JSON, photo or audio). */
  private final java.util.function.ToLongFunction<RoutingContext> bodyLimit;

  public Failures(java.util.function.ToLongFunction<RoutingContext> bodyLimit) {
    this.bodyLimit = bodyLimit;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    int status = ctx.statusCode();
    if (failure instanceof ParleyException pe) {
      if (pe.reason() == ParleyException.Reason.INTERNAL || pe.reason() == ParleyException.Reason.CONFIG) {
        LOG.atError().addKeyValue("request_id", RequestLog.requestId(ctx)).setCause(pe)
            .log("internal failure on {} {}", ctx.request().method(), ctx.request().path());
      }
      ApiError.send(ctx, pe);
      return;
    }
    if (failure instanceof ApiProblem ap) {
      ApiError.send(ctx, ap.status(), ap.code(), ap.getMessage(), ap.details());
      return;
    }
    if (failure != null && dependencyDown(failure)) {
      LOG.atWarn().addKeyValue("request_id", RequestLog.requestId(ctx))
          .log("dependency unavailable on {} {}: {}", ctx.request().method(), ctx.request().path(), failure.toString());
      ctx.response().putHeader("Retry-After", "1");
      ApiError.send(ctx, 503, "unavailable", "a backing service is unavailable; retry shortly", null);
      return;
    }
    if (failure instanceof HttpException he) {
      status = he.getStatusCode();
      if (he.getCause() instanceof ValidatorException ve) {
        validation(ctx, ve);
        return;
      }
    }
    if (failure instanceof ValidatorException ve) {
      validation(ctx, ve);
      return;
    }
    if ((status == -1 || status == 500) && failure != null && ctx.get(UploadRate.BODY_READ) == null
        && bodyUnreadable(failure)) {
      status = 400;
    } else if (status == -1) {
      status = 500;
    }
    switch (status) {
      case 401 -> ApiError.send(ctx, 401, "unauthorized", "a valid access token is required", null);
      case 403 -> ApiError.send(ctx, 403, "forbidden", "not allowed", null);
      case 404 -> ApiError.send(ctx, 404, "not_found", "no such resource: " + ctx.request().path(), null);
      case 405 -> ApiError.send(ctx, 405, "method_not_allowed",
          ctx.request().method().name() + " is not allowed on " + ctx.request().path(), null);
      case 413 -> {
        long limit = bodyLimit.applyAsLong(ctx);
        ApiError.send(ctx, 413, "payload_too_large", "request body larger than " + limit + " bytes ("
            + String.format(java.util.Locale.ROOT, "%.1f MiB", limit / 1048576.0) + "), this route's limit",
            new JsonObject().put("limit_bytes", limit));
      }
      // A body the router could not read (a broken form or multipart framing): said in our own
      // words, never with the text of a Java exception.
      case 400 -> ApiError.send(ctx, 400, "bad_request", failure instanceof HttpException he && he.getPayload() != null
          ? he.getPayload() : "the request body could not be read (malformed JSON, form or multipart data)", null);
      default -> {
        if (status >= 500) {
          LOG.atError().addKeyValue("request_id", RequestLog.requestId(ctx)).setCause(failure)
              .log("unhandled failure on {} {}", ctx.request().method(), ctx.request().path());
          ApiError.send(ctx, status, ApiError.codeFor(status), "internal error", null);
        } else {
          ApiError.send(ctx, status, ApiError.codeFor(status), failure instanceof HttpException he
              && he.getPayload() != null ? he.getPayload() : "the request failed (" + status + ")", null);
        }
      }
    }
  }

  /** Connection-level failures of PostgreSQL or Redis: the request may succeed once they are back. */
  /**
   * A failure of Vert.x's body handler reading a broken upload (its multipart decoder refusing the
   * framing, the file part's stream to disk cut by it): the client's body, not the server, so 400.
   */
  static boolean bodyUnreadable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String type = c.getClass().getName();
      String message = String.valueOf(c.getMessage());
      if (type.startsWith("io.netty.handler.codec.http.multipart.")
          || message.equals("Pipe closed") || message.equals("Streaming aborted")) {
        return true;
      }
    }
    return false;
  }

  static boolean dependencyDown(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof java.net.ConnectException
          || c instanceof java.nio.channels.ClosedChannelException
          || c instanceof java.util.concurrent.TimeoutException
          || c instanceof io.vertx.core.http.ConnectionPoolTooBusyException
          || c instanceof io.vertx.sqlclient.ClosedConnectionException
          || c.getClass().getSimpleName().endsWith("TimeoutException")) {
        return true;
      }
    }
    return false;
  }

  private static void validation(RoutingContext ctx, ValidatorException ve) {
    JsonArray details = new JsonArray();
    // A parameter's errors are located inside that parameter's value: prefix them with its name.
    Matcher param = PARAMETER.matcher(ve.getMessage() == null ? "" : ve.getMessage());
    String in = param.find() ? param.group(1) : null;
    String prefix = in == null ? "" : "/" + param.group(2);
    if (ve instanceof SchemaValidationException sve && sve.getOutputUnit() != null) {
      List<OutputUnit> leaves = new ArrayList<>();
      flatten(sve.getOutputUnit(), leaves);
      // The validator reports wrappers ("properties", and "additionalProperties" on a declared but
      // invalid field) beside the real problem: keep one entry per field, the most specific one.
      java.util.Map<String, OutputUnit> byField = new java.util.LinkedHashMap<>();
      for (OutputUnit u : leaves) {
        String field = field(u);
        OutputUnit seen = byField.get(field);
        if (seen == null || (isWrapper(seen) && !isWrapper(u))) {
          byField.put(field, u);
        }
      }
      byField.forEach((field, u) -> {
        JsonObject d = new JsonObject()
            .put("field", in == null ? field : prefix + ("/".equals(field) ? "" : field))
            .put("problem", u.getError())
            .put("keyword", keyword(u.getKeywordLocation()));
        if (in != null) {
          d.put("in", in);
        }
        details.add(d);
      });
    }
    if (details.isEmpty()) {
      JsonObject d = new JsonObject().put("field", in == null ? null : prefix).put("problem", ve.getMessage());
      if (in != null) {
        d.put("in", in);
      }
      details.add(d);
    }
    ApiError.send(ctx, 400, "validation_failed", ve.getMessage(), details);
  }

  private static void flatten(OutputUnit unit, List<OutputUnit> out) {
    List<OutputUnit> errors = unit.getErrors();
    if (errors == null || errors.isEmpty()) {
      if (unit.getError() != null) {
        out.add(unit);
      }
      return;
    }
    for (OutputUnit e : errors) {
      flatten(e, out);
    }
  }

  private static boolean isWrapper(OutputUnit u) {
    String k = keyword(u.getKeywordLocation());
    return "properties".equals(k) || "additionalProperties".equals(k) || "$ref".equals(k) || "allOf".equals(k);
  }

  private static String keyword(String location) {
    if (location == null) {
      return null;
    }
    int slash = location.lastIndexOf('/');
    return slash < 0 ? location : location.substring(slash + 1);
  }

  /** The JSON pointer of the offending field; for a missing required field, the field itself. */
  static String field(OutputUnit u) {
    String instance = u.getInstanceLocation() == null ? "#" : u.getInstanceLocation();
    String path = instance.startsWith("#") ? instance.substring(1) : instance;
    if ("required".equals(keyword(u.getKeywordLocation())) && u.getError() != null) {
      Matcher m = REQUIRED_FIELD.matcher(u.getError());
      if (m.find()) {
        String name = m.group(1) != null ? m.group(1) : m.group(2);
        return path + "/" + name;
      }
    }
    if ("additionalProperties".equals(keyword(u.getKeywordLocation())) && u.getError() != null) {
      Matcher m = Pattern.compile("\"?([A-Za-z0-9_]+)\"?").matcher(u.getError().replaceFirst("^.*?:", ""));
      if (u.getError().contains(":") && m.find()) {
        return path + "/" + m.group(1);
      }
    }
    return path.isEmpty() ? "/" : path;
  }
}
