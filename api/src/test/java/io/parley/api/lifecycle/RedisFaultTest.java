package io.parley.api.lifecycle;

import io.parley.api.support.Poll;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.infra.EmbeddedRedisService;
import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis taken away from a running node, then given back.
 *
 * <p>The behaviour chosen (see {@code Counters}): without Redis the node keeps serving. Readiness
 * turns 503 (checks.redis "down: ...") so that a load balancer can prefer healthy nodes, but
 * liveness stays 200 and every request still works; rate limits and login throttles are counted in
 * the node's own memory, so limits keep holding, per node instead of cluster-wide. When Redis is
 * back, counting returns to Redis (after the short local period that follows a failure), and what
 * was counted locally during the outage is carried over: the next sync adds it to Redis, so a
 * subject refused during the outage stays refused for the rest of its window.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RedisFaultTest {

  private static final int LIMIT = 5;
  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  @Test
  void outageDegradesToPerNodeLimitsAndRedisTakesOverAgainWhenBack() {
    try (TestNode node = TestNode.start(Map.of("PARLEY_RATE_LIMIT_API_PER_MINUTE", Integer.toString(LIMIT),
        "PARLEY_PG_URL", "", "PARLEY_REDIS_URL", ""))) {
      PROCESSES.track(node.home());
      EmbeddedRedisService redis = node.server().embeddedRedis().orElseThrow();
      PROCESSES.trackRedisPort(redis.port());
      PROCESSES.postmaster(node.home());
      long redisPid = PROCESSES.redis(node.home());
      Api api = node.api();

      // While Redis runs, the API budget is counted in Redis.
      JsonObject a = api.newUser();
      String aToken = a.getString("access_token");
      for (int i = 1; i <= 2; i++) {
        Api.Res r = api.get("/api/v1/users/me", aToken);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(LIMIT - i));
      }
      // Hits after a window's first are sent to Redis in batches (every Counters.SYNC_INTERVAL).
      Poll.until(BOUND, "A's two requests to be counted in Redis", () -> RedisProbe.get(redis.port(), apiKey(aToken)),
          v -> "2".equals(v));

      stop(redis);
      EmbeddedProcesses.awaitDead(redisPid, Duration.ofSeconds(10), "redis-server after stop()");

      // Up, but not ready.
      assertThat(api.get("/health/live", null).status()).isEqualTo(200);
      Api.Res notReady = Poll.until(BOUND, "/health/ready to report Redis down",
          () -> api.get("/health/ready", null), r -> r.status() == 503);
      assertThat(notReady.json().getString("status")).isEqualTo("unavailable");
      assertThat(notReady.json().getJsonObject("checks").getString("redis")).startsWith("down");
      assertThat(notReady.json().getJsonObject("checks").getString("postgres")).isEqualTo("up");

      // Login and sign-up still work: their throttles count locally.
      Api.Res login = api.post("/api/v1/auth/login", null,
          new JsonObject().put("email", a.getString("email")).put("password", a.getString("password")));
      assertThat(login.status()).as(login.body()).isEqualTo(200);
      assertThat(api.get("/api/v1/auth/me", login.json().getString("access_token")).json().getString("email"))
          .isEqualTo(a.getString("email"));
      JsonObject b = api.newUser();
      String bToken = b.getString("access_token");

      // Authenticated requests keep working, and the limit still holds, counted on this node.
      for (int i = 1; i <= LIMIT; i++) {
        Api.Res r = api.get("/api/v1/users/me", bToken);
        assertThat(r.status()).as("request %d during the outage: %s", i, r.body()).isEqualTo(200);
        assertThat(r.json().getString("email")).isEqualTo(b.getString("email"));
        assertThat(r.header("X-RateLimit-Limit")).isEqualTo(Integer.toString(LIMIT));
        assertThat(r.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(LIMIT - i));
      }
      Api.Res refused = api.get("/api/v1/users/me", bToken);
      assertThat(refused.status()).as(refused.body()).isEqualTo(429);
      assertThat(refused.header("Retry-After")).isNotNull();
      assertThat(refused.error().getString("code")).isEqualTo("rate_limited");
      assertThat(refused.error().getString("request_id")).isEqualTo(refused.header("X-Request-Id"));

      restart(redis);
      long newRedisPid = PROCESSES.redis(node.home());
      assertThat(newRedisPid).isNotEqualTo(redisPid);
      Api.Res ready = Poll.until(BOUND, "/health/ready to be 200 again after the Redis restart",
          () -> api.get("/health/ready", null), r -> r.status() == 200);
      assertThat(ready.json().getJsonObject("checks").getString("redis")).isEqualTo("up");

      // What was counted during the outage reaches Redis: B's six hits, and B stays refused.
      Poll.until(BOUND, "B's outage hits to be carried over to Redis",
          () -> RedisProbe.get(redis.port(), apiKey(bToken)),
          v -> v != null && Long.parseLong(v) >= LIMIT + 1);
      Api.Res stillRefused = api.get("/api/v1/users/me", bToken);
      assertThat(stillRefused.status()).as(stillRefused.body()).isEqualTo(429);

      // A subject new since the restart is counted in Redis again, and refused past the budget.
      JsonObject c = api.newUser();
      String cToken = c.getString("access_token");
      Api.Res last = null;
      for (int i = 1; i <= LIMIT; i++) {
        last = api.get("/api/v1/users/me", cToken);
        assertThat(last.status()).as(last.body()).isEqualTo(200);
        assertThat(last.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(LIMIT - i));
      }
      Poll.until(BOUND, "C's requests to be counted in Redis", () -> RedisProbe.get(redis.port(), apiKey(cToken)),
          v -> Integer.toString(LIMIT).equals(v));
      last = api.get("/api/v1/users/me", cToken);
      assertThat(last.status()).isEqualTo(429);
    }
  }

  /** The rate-limit key of the API class for the token's user (the JWT subject). */
  private static String apiKey(String accessToken) {
    String payload = accessToken.split("\\.")[1];
    String json = new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8);
    return "rl:api:u:" + new JsonObject(json).getString("sub");
  }

  private static void stop(EmbeddedRedisService redis) {
    try {
      redis.stop();
    } catch (java.io.IOException e) {
      throw new AssertionError("stopping Redis", e);
    }
  }

  private static void restart(EmbeddedRedisService redis) {
    try {
      redis.restart();
    } catch (java.io.IOException e) {
      throw new AssertionError("restarting Redis", e);
    }
  }
}
