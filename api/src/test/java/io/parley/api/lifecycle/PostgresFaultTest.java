package io.parley.api.lifecycle;

import io.parley.api.support.Poll;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.infra.EmbeddedPostgresService;
import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL taken away from a running node, then given back: the node stays up and answers
 * quickly with errors in the API's error shape, readiness says why, and the same connection pool
 * serves again once the database is back, with the data written before the outage.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PostgresFaultTest {

  private static final Duration BOUND = Duration.ofSeconds(30);
  /** A failing request must come back well within this (the pool gives up connecting after 5 s). */
  private static final Duration FAIL_FAST = Duration.ofSeconds(10);
  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  @Test
  void outageFailsRequestsFastAndThePoolRecoversWithTheData() {
    try (TestNode node = TestNode.start(Map.of("PARLEY_PG_URL", "", "PARLEY_REDIS_URL", ""))) {
      PROCESSES.track(node.home());
      PROCESSES.trackRedisPort(node.server().embeddedRedis().orElseThrow().port());
      PROCESSES.redis(node.home());
      EmbeddedPostgresService pg = node.server().embeddedPostgres().orElseThrow();
      long postmaster = PROCESSES.postmaster(node.home());
      var pool = node.server().pool();
      Api api = node.api();

      JsonObject a = api.newUser();
      String aToken = a.getString("access_token");
      Api.Res renamed = api.put("/api/v1/users/me", aToken, new JsonObject().put("name", "Written Before"));
      assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);

      stop(pg);
      EmbeddedProcesses.awaitDead(postmaster, Duration.ofSeconds(10), "postmaster after stop()");

      assertThat(api.get("/health/live", null).status()).isEqualTo(200);
      Api.Res notReady = Poll.until(BOUND, "/health/ready to report PostgreSQL down",
          () -> api.get("/health/ready", null), r -> r.status() == 503);
      assertThat(notReady.json().getString("status")).isEqualTo("unavailable");
      assertThat(notReady.json().getJsonObject("checks").getString("postgres")).startsWith("down");
      assertThat(notReady.json().getJsonObject("checks").getString("redis")).isEqualTo("up");

      // Requests that need the database fail fast, as 5xx in the error shape.
      assertServerError(api, "GET /api/v1/users/me", () -> api.get("/api/v1/users/me", aToken));
      assertServerError(api, "login", () -> api.post("/api/v1/auth/login", null,
          new JsonObject().put("email", a.getString("email")).put("password", a.getString("password"))));
      assertServerError(api, "signup", () -> api.post("/api/v1/auth/signup", null,
          new JsonObject().put("email", "later@example.test").put("password", "pw-later-123").put("name", "Later")));
      assertThat(api.get("/health/live", null).status()).as("still up after failed requests").isEqualTo(200);

      restart(pg);
      long newPostmaster = PROCESSES.postmaster(node.home());
      assertThat(newPostmaster).isNotEqualTo(postmaster);
      assertThat(pg.port()).isEqualTo(node.server().embeddedPostgres().orElseThrow().port());

      Api.Res ready = Poll.until(BOUND, "/health/ready to be 200 after the PostgreSQL restart",
          () -> api.get("/health/ready", null), r -> r.status() == 200);
      assertThat(ready.json().getJsonObject("checks").getString("postgres")).isEqualTo("up");
      assertThat(node.server().pool()).as("the same pool, no server restart").isSameAs(pool);

      // The data written before the outage is there; login and sign-up work again.
      Api.Res login = Poll.until(BOUND, "login to work again", () -> api.post("/api/v1/auth/login", null,
          new JsonObject().put("email", a.getString("email")).put("password", a.getString("password"))),
          r -> r.status() == 200);
      Api.Res me = api.get("/api/v1/users/me", login.json().getString("access_token"));
      assertThat(me.status()).as(me.body()).isEqualTo(200);
      assertThat(me.json().getString("email")).isEqualTo(a.getString("email"));
      assertThat(me.json().getString("name")).isEqualTo("Written Before");
      JsonObject c = api.newUser();
      assertThat(api.get("/api/v1/auth/me", c.getString("access_token")).status()).isEqualTo(200);
    }
  }

  private static void assertServerError(Api api, String what, java.util.function.Supplier<Api.Res> call) {
    long start = System.nanoTime();
    Api.Res r = call.get();
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).as("%s must fail fast", what).isLessThan(FAIL_FAST);
    assertThat(r.status()).as("%s while PostgreSQL is down: %s", what, r.body()).isBetween(500, 599);
    JsonObject error = r.error();
    assertThat(error).as("%s error shape", what).isNotNull();
    assertThat(error.getString("code")).isNotBlank();
    assertThat(error.getString("message")).isNotBlank();
    assertThat(error.getString("request_id")).isEqualTo(r.header("X-Request-Id"));
    assertThat(error.getString("timestamp")).isNotBlank();
    assertThat(error.containsKey("details")).isTrue();
  }

  private static void stop(EmbeddedPostgresService pg) {
    try {
      pg.stop();
    } catch (IOException e) {
      throw new AssertionError("stopping PostgreSQL", e);
    }
  }

  private static void restart(EmbeddedPostgresService pg) {
    try {
      pg.restart();
    } catch (IOException e) {
      throw new AssertionError("restarting PostgreSQL", e);
    }
  }
}
