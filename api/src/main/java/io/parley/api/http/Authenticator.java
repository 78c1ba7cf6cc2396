package io.parley.api.http;

import io.parley.api.accounts.UserStore;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.AuthenticationHandler;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.util.UUID;

/**
 * Verifies the {@code Bearer} access token once per request, before validation and rate limiting.
 * Operations whose contract entry declares security get a 401 without a valid token; on the
 * others a token is optional, and when valid it makes the rate limit count per user. The verified
 * claims are kept on the request ({@link #claims}), not re-verified downstream.
 */
public final class Authenticator implements AuthenticationHandler {

  private static final String CLAIMS = "parley.claims";

  private final JWTAuth jwt;
  private final OpenAPIContract contract;

  public Authenticator(JWTAuth jwt, OpenAPIContract contract) {
    this.jwt = jwt;
    this.contract = contract;
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.put(UploadRate.BODY_READ, true); // routing reached the handler after the body handlers
    Operation op = contract.findOperation(ctx.request().path(), ctx.request().method());
    boolean required = op != null && !op.getSecurityRequirements().isEmpty();
    verify(ctx.request()).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.put(CLAIMS, ar.result());
        ctx.next();
      } else if (required) {
        ctx.fail(ar.cause());
      } else {
        ctx.next();
      }
    });
  }

  /**
   * The verified claims of the request's {@code Bearer} token; fails {@code UNAUTHENTICATED} when
   * it carries none or one that is invalid or expired.
   */
  Future<JsonObject> verify(HttpServerRequest req) {
    String header = req.getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(new ParleyException(Reason.UNAUTHENTICATED, "a bearer access token is required"));
    }
    return jwt.authenticate(new TokenCredentials(header.substring(7).trim()))
        .transform(ar -> ar.succeeded() ? Future.succeededFuture(ar.result().principal())
            : Future.failedFuture(new ParleyException(Reason.UNAUTHENTICATED, "access token is invalid or expired")));
  }

  /** The verified token claims of this request, or null. */
  public static JsonObject claims(RoutingContext ctx) {
    return ctx.get(CLAIMS);
  }

  /** The verified user id of this request, or null. */
  public static String subject(RoutingContext ctx) {
    JsonObject claims = claims(ctx);
    return claims == null ? null : claims.getString("sub");
  }

  /** The verified user id; fails (as a 401) when there is none. */
  public static UUID userId(RoutingContext ctx) {
    String sub = subject(ctx);
    if (sub == null) {
      throw new ParleyException(Reason.UNAUTHENTICATED, "a valid access token is required");
    }
    try {
      return UUID.fromString(sub);
    } catch (IllegalArgumentException e) {
      throw new ParleyException(Reason.UNAUTHENTICATED, "token subject is not a user id");
    }
  }

  /** The role claim of the verified token. */
  public static String role(RoutingContext ctx) {
    JsonObject claims = claims(ctx);
    return claims == null ? null : claims.getString("role");
  }

  /**
   * Whether the caller is an admin now: the token says so and the stored role still does. The
   * second check makes {@code ./parley admin revoke} take effect at once, not when the token ends.
   */
  public static Future<Boolean> isAdmin(RoutingContext ctx, UserStore users) {
    if (!"admin".equals(role(ctx))) {
      return Future.succeededFuture(false);
    }
    return users.byId(userId(ctx)).map(u -> u.filter(x -> "admin".equals(x.role())).isPresent());
  }

  /** Fails with 403 unless the caller has one of {@code roles}. */
  public static void requireRole(RoutingContext ctx, String... roles) {
    String role = role(ctx);
    for (String r : roles) {
      if (r.equals(role)) {
        return;
      }
    }
    throw new ParleyException(Reason.FORBIDDEN, "this operation needs the role " + String.join(" or ", roles));
  }
}
