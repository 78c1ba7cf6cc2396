package io.parley.api.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;

/**
 * Refuses a JSON body or a query with U+0000 (NUL) in any of its strings, with a 400 naming the field, before
 * any route sees it. PostgreSQL cannot store NUL in text: let through, a profile or a message with
 * one fails at the database (a 500, or a message acknowledged and never stored). Refusing is the one
 * rule for every place text enters; stripping would change what the user wrote without telling them.
 *
 * <p>Costs one scan of the body's bytes for the six-character escape of NUL (backslash, "u0000") (JSON cannot carry a raw NUL);
 * only a body that has one is parsed here, to name the field.
 */
public final class TextGuard implements Handler<RoutingContext> {

  private static final byte[] ESCAPE = {'\\', 'u', '0', '0', '0', '0'};

  @Override
  public void handle(RoutingContext ctx) {
    String query = ctx.request().query();
    if (query != null && query.contains("%00")) {
      for (Map.Entry<String, String> p : ctx.queryParams()) {
        if (p.getKey().indexOf('\0') >= 0 || p.getValue().indexOf('\0') >= 0) {
          refuse(ctx, "/" + p.getKey().replace("\0", ""));
          return;
        }
      }
    }
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || !mayHoldNul(body)) {
      ctx.next();
      return;
    }
    String field;
    try {
      field = nulField(Json.decodeValue(body), "");
    } catch (DecodeException e) {
      ctx.next(); // not JSON: the route's own parsing answers it
      return;
    }
    if (field == null) {
      ctx.next();
      return;
    }
    refuse(ctx, field.isEmpty() ? "/" : field);
  }

  private static void refuse(RoutingContext ctx, String field) {
    ApiProblem problem = ApiProblem.field(field, "text",
        "contains the character U+0000 (NUL), which Parley does not store; remove it and send again");
    if (ctx.normalizedPath().startsWith("/v1/")) {
      ApiError.sendOpenAi(ctx, problem);
    } else {
      ApiError.send(ctx, problem.status(), problem.code(), problem.getMessage(), problem.details());
    }
  }

  /** Whether the body holds the escape of NUL, not itself escaped (an escaped backslash before "u0000" is text). */
  static boolean mayHoldNul(Buffer body) {
    int n = body.length() - ESCAPE.length;
    for (int i = 0; i <= n; i++) {
      if (body.getByte(i) != '\\') {
        continue;
      }
      boolean match = true;
      for (int k = 1; k < ESCAPE.length && match; k++) {
        match = body.getByte(i + k) == ESCAPE[k];
      }
      if (match) {
        return true;
      }
      i++; // an escape's second character is never the start of another escape
    }
    return false;
  }

  /** The JSON pointer of the first key or string holding NUL under {@code at}, or null. */
  public static String nulField(Object value, String at) {
    if (value instanceof String s) {
      return s.indexOf('\0') >= 0 ? at : null;
    }
    if (value instanceof JsonObject o) {
      value = o.getMap();
    }
    if (value instanceof JsonArray a) {
      value = a.getList();
    }
    if (value instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = String.valueOf(e.getKey());
        String here = at + "/" + key.replace("~", "~0").replace("/", "~1");
        if (key.indexOf('\0') >= 0) {
          return here;
        }
        String found = nulField(e.getValue(), here);
        if (found != null) {
          return found;
        }
      }
    } else if (value instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        String found = nulField(l.get(i), at + "/" + i);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }
}
