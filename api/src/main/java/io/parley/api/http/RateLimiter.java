package io.parley.api.http;

import io.parley.api.infra.Counters;
import io.parley.core.config.ParleyConfig.RateLimits;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Locale;

/**
 * Per-class request limits in fixed one-minute windows, counted in Redis (per node while Redis is
 * away, see {@link Counters}). The subject is the authenticated user, else the client IP. Every
 * limited response carries {@code X-RateLimit-Limit/Remaining/Reset}; a refused one is a 429 with
 * {@code Retry-After}.
 */
public final class RateLimiter {

  static final Duration WINDOW = Duration.ofMinutes(1);

  /** Limit classes: each has its own budget. */
  public enum LimitClass { API, AUTH, CHAT, VOICE, VISION }

  private final RateLimits limits;
  private final Counters counters;
  private final ClientIp clientIp;
  private final Authenticator authenticator;

  /** Builds the limiter once the router's client-IP policy and authenticator exist. */
  public record Factory(RateLimits limits, Counters counters) {
    RateLimiter create(ClientIp clientIp, Authenticator authenticator) {
      return new RateLimiter(limits, counters, clientIp, authenticator);
    }

    /**
     * Counts one request of {@code user} in {@code limitClass} outside the router (a WebSocket
     * handshake) against the same budget as the class's HTTP routes; true when within it.
     */
    public io.vertx.core.Future<Boolean> admit(LimitClass limitClass, java.util.UUID user) {
      if (!limits.enabled()) {
        return io.vertx.core.Future.succeededFuture(true);
      }
      int limit = new RateLimiter(limits, counters, null, null).limitOf(limitClass);
      return counters.hit(key(limitClass, "u:" + user), WINDOW).map(c -> c.value() <= limit);
    }
  }

  private static String key(LimitClass limitClass, String who) {
    return "rl:" + limitClass.name().toLowerCase(Locale.ROOT) + ":" + who;
  }

  RateLimiter(RateLimits limits, Counters counters, ClientIp clientIp, Authenticator authenticator) {
    this.limits = limits;
    this.counters = counters;
    this.clientIp = clientIp;
    this.authenticator = authenticator;
  }

  public int limitOf(LimitClass c) {
    return switch (c) {
      case API -> limits.apiPerMinute();
      case AUTH -> limits.authPerMinute();
      case CHAT -> limits.chatPerMinute();
      case VOICE -> limits.voicePerMinute();
      case VISION -> limits.visionPerMinute();
    };
  }

  /** A handler limiting the requests it sees under {@code limitClass}. */
  public Handler<RoutingContext> handler(LimitClass limitClass) {
    return ctx -> {
      if (!limits.enabled()) {
        ctx.next();
        return;
      }
      int limit = limitOf(limitClass);
      // AUTH is keyed by IP: those calls are how one gets a user in the first place.
      String subject = limitClass == LimitClass.AUTH ? null : Authenticator.subject(ctx);
      String key = key(limitClass, subject != null ? "u:" + subject : "ip:" + clientIp.of(ctx));
      counters.hit(key, WINDOW).onComplete(ar -> {
        if (ar.failed()) {
          // Counters never fail (they degrade to local counting); this is a bug, surface it.
          ctx.fail(ar.cause());
          return;
        }
        Counters.Count count = ar.result();
        long resetSeconds = Math.max(1, (count.resetMillis() + 999) / 1000);
        var res = ctx.response();
        res.putHeader("X-RateLimit-Limit", Integer.toString(limit));
        res.putHeader("X-RateLimit-Remaining", Long.toString(Math.max(0, limit - count.value())));
        res.putHeader("X-RateLimit-Reset", Long.toString(resetSeconds));
        if (count.value() > limit) {
          res.putHeader("Retry-After", Long.toString(resetSeconds));
          ApiError.send(ctx, 429, "rate_limited", "too many requests: " + limit + " per minute in class "
              + limitClass.name().toLowerCase(Locale.ROOT), null);
          return;
        }
        ctx.next();
      });
    };
  }
}
