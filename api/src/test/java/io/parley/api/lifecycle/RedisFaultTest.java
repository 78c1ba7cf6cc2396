package io.parley.api.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.store.EmbeddedRedisService;
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
 * back, counting returns to Redis (after the short local period that follows a failure). What was
 * counted locally during the outage is not carried over: a subject starts a fresh window in Redis.
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
      assertThat(RedisProbe.get(redis.port(), apiKey(aToken))).isEqualTo("2");

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

      // Counting goes back to Redis: B, refused locally, starts a fresh window there.
      Api.Res back = Poll.until(BOUND, "B's requests to be counted in Redis again",
          () -> api.get("/api/v1/users/me", bToken), r -> r.status() == 200);
      String counted = RedisProbe.get(redis.port(), apiKey(bToken));
      assertThat(counted).as("B's counter in Redis").isNotNull();
      assertThat(Long.parseLong(counted)).isEqualTo(LIMIT - Long.parseLong(back.header("X-RateLimit-Remaining")));

      // ... and the limit carries on there: the request past the budget is refused.
      Api.Res last = back;
      for (int i = 0; i < LIMIT && last.status() == 200; i++) {
        last = api.get("/api/v1/users/me", bToken);
      }
      assertThat(last.status()).isEqualTo(429);
      assertThat(Long.parseLong(RedisProbe.get(redis.port(), apiKey(bToken)))).isGreaterThan(LIMIT);
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
