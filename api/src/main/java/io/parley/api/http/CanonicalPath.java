package io.parley.api.http;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;

/**
 * Answers 404 to a request whose path is not in canonical form ({@code /api/v1/experts/},
 * {@code /api/v1//auth/login}, {@code /api/v1/./experts}, {@code /api/v1/%65xperts}), before any
 * other handler sees it. The router matches such paths to the canonical route, but what decides
 * authentication, the rate-limit class and the body limit reads the path as sent: one spelling
 * for all of them closes every gap between the two, now and for handlers added later. A security
 * policy handler, so that the router runs it before the body, authentication and rate-limit ones.
 */
final class CanonicalPath implements SecurityPolicyHandler {

  @Override
  public void handle(RoutingContext ctx) {
    String raw = ctx.request().path();
    if (raw != null && raw.equals(canonical(ctx.normalizedPath()))) {
      ctx.next();
    } else {
      ApiError.send(ctx, 404, "not_found", "no such resource: " + raw
          + " (paths are matched as written: no repeated or trailing slashes, dot segments or escaped letters)", null);
    }
  }

  /** RFC 3986 normalised path (dot segments removed, unreserved escapes decoded), slashes collapsed, no trailing one. */
  static String canonical(String normalized) {
    if (normalized == null) {
      return null;
    }
    String s = normalized.replaceAll("/{2,}", "/");
    return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
