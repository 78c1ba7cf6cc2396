package io.parley.api.lifecycle;

import io.parley.api.support.Poll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real main class in a child JVM, as operators run it: JSON logs on stdout that carry request
 * ids and no secrets, a graceful SIGTERM that takes the embedded databases down with it, a clear
 * exit on bad configuration, and recovery from a SIGKILL that left the databases running.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ProcessLifecycleTest {

  private static final String MAIN = "io.parley.api.Main";
  private static final Duration STARTUP = Duration.ofSeconds(60);
  /** Main's banner: the only stdout lines that are not log lines. */
  private static final Pattern BANNER =
      Pattern.compile("Parley is up:|  (API|health|metrics|OpenAI) +https?://.*|  realtime +wss?://.*|  TURN/STUN +turn:.*");
  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  @Test
  void logsAreJsonWithRequestIdsAndNoSecretsAndSigtermStopsEverything() throws Exception {
    Path home = PROCESSES.track(TestNode.tempHome());
    int port = ChildJvm.freePort();
    try (ChildJvm parley = ChildJvm.start(MAIN, ChildJvm.parleyEnv(home, port))) {
      Api api = awaitUp(parley, port);
      long postmaster = PROCESSES.postmaster(home);
      long redis = PROCESSES.redis(home);

      String email = "proc-" + UUID.randomUUID() + "@example.test";
      String password = "pw-" + UUID.randomUUID();
      String wrongPassword = "wrong-" + UUID.randomUUID();
      JsonObject tokens = api.signup(email, password, "Process User");
      String access = tokens.getString("access_token");
      String refresh = tokens.getString("refresh_token");
      Api.Res me = api.get("/api/v1/auth/me", access);
      assertThat(me.status()).isEqualTo(200);
      Api.Res refreshed = api.post("/api/v1/auth/refresh", null, new JsonObject().put("refresh_token", refresh));
      assertThat(refreshed.status()).as(refreshed.body()).isEqualTo(200);
      Api.Res wrong = api.post("/api/v1/auth/login", null,
          new JsonObject().put("email", email).put("password", wrongPassword));
      assertThat(wrong.status()).isEqualTo(401);
      // A token in the query string is not accepted, and must not be logged either.
      Api.Res inQuery = api.get("/api/v1/auth/me?access_token=" + access, null);
      assertThat(inQuery.status()).isEqualTo(401);
      String lastId = inQuery.header("X-Request-Id");
      parley.awaitStdout(l -> l.contains(lastId), Duration.ofSeconds(10), "the access log of the last request");

      JsonObject access0 = logLines(parley.stdout()).stream()
          .filter(l -> "parley.access".equals(l.getString("logger")))
          .filter(l -> me.header("X-Request-Id").equals(l.getString("request_id")))
          .findFirst().orElseThrow(() -> new AssertionError("no access log line with request_id "
              + me.header("X-Request-Id") + " in:\n" + String.join("\n", parley.stdout())));
      assertThat(access0.getString("method")).isEqualTo("GET");
      assertThat(access0.getString("path")).isEqualTo("/api/v1/auth/me");
      assertThat(access0.getValue("status")).isEqualTo(200);
      assertThat(access0.getString("user_id")).isEqualTo(me.json().getString("id"));

      // WebSocket upgrades reach the access log too, accepted (101) or refused (401), path only.
      java.net.http.HttpClient ws = java.net.http.HttpClient.newHttpClient();
      ws.newWebSocketBuilder().header("Authorization", "Bearer " + access)
          .buildAsync(java.net.URI.create("ws://localhost:" + port + "/v1/realtime"),
              new java.net.http.WebSocket.Listener() { })
          .get(10, java.util.concurrent.TimeUnit.SECONDS).abort();
      assertThatThrownBy(() -> ws.newWebSocketBuilder()
          .buildAsync(java.net.URI.create("ws://localhost:" + port + "/v1/realtime?access_token=" + refresh),
              new java.net.http.WebSocket.Listener() { })
          .get(10, java.util.concurrent.TimeUnit.SECONDS)).hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class);
      parley.awaitStdout(l -> l.contains("websocket upgrade") && l.contains("\"status\":401"), Duration.ofSeconds(10),
          "the access log of the refused upgrade");
      List<JsonObject> upgrades = logLines(parley.stdout()).stream()
          .filter(l -> "parley.access".equals(l.getString("logger")) && "websocket upgrade".equals(l.getString("msg")))
          .toList();
      assertThat(upgrades).extracting(l -> l.getValue("status")).contains(101, 401);
      assertThat(upgrades).allSatisfy(l -> assertThat(l.getString("path")).isEqualTo("/v1/realtime"));

      // SIGTERM: a graceful stop, the embedded databases with it.
      parley.sigterm();
      int exit = parley.awaitExit(Duration.ofSeconds(10));
      assertThat(exit).as(parley.describe()).isIn(0, 143);
      // pg_ctl returns once postmaster.pid is gone, a moment before the process itself has exited.
      EmbeddedProcesses.awaitDead(postmaster, Duration.ofSeconds(5), "postmaster after SIGTERM");
      EmbeddedProcesses.awaitDead(redis, Duration.ofSeconds(5), "redis-server after SIGTERM");
      assertThat(home.resolve("postgres/postmaster.pid")).as("clean PostgreSQL shutdown").doesNotExist();
      assertThat(home.resolve("redis/redis.pid")).doesNotExist();
      assertThat(parley.stdout()).anySatisfy(l -> assertThat(l).contains("Parley stopped in"));

      // The whole run, shutdown included: JSON log lines only, and no secret anywhere.
      List<JsonObject> logs = logLines(parley.stdout());
      assertThat(logs).allSatisfy(l -> assertThat(l.fieldNames()).contains("ts", "level", "logger", "msg"));
      List<String> secrets = List.of(password, wrongPassword, access, refresh,
          refreshed.json().getString("access_token"), refreshed.json().getString("refresh_token"));
      List<String> everything = new ArrayList<>(parley.stdout());
      everything.addAll(parley.stderr());
      for (String line : everything) {
        for (String secret : secrets) {
          assertThat(line).as("a log line leaks a secret").doesNotContain(secret);
        }
      }
    } finally {
      PROCESSES.adopt(home);
      TestNode.deleteTree(home);
    }
  }

  @Test
  void badConfigurationExitsQuicklyNamingTheKey() {
    Path home = PROCESSES.track(TestNode.tempHome());
    Map<String, String> env = new java.util.HashMap<>(ChildJvm.parleyEnv(home, 0));
    env.put("PARLEY_HTTP_PORT", "abc");
    try (ChildJvm parley = ChildJvm.start(MAIN, env)) {
      int exit = parley.awaitExit(Duration.ofSeconds(30));
      assertThat(exit).as(parley.describe()).isNotZero();
      assertThat(String.join("\n", parley.stderr())).contains("PARLEY_HTTP_PORT");
      assertThat(parley.stdout()).noneSatisfy(l -> assertThat(l).contains("Parley is up"));
      // Refused before anything was started.
      assertThat(home.resolve("postgres")).doesNotExist();
    } finally {
      PROCESSES.adopt(home);
      TestNode.deleteTree(home);
    }
  }

  @Test
  void afterSigkillTheNextStartStopsTheOrphansAndKeepsTheData() {
    Path home = PROCESSES.track(TestNode.tempHome());
    String email = "killed-" + UUID.randomUUID() + "@example.test";
    String password = "pw-" + UUID.randomUUID();
    try {
      long orphanPostmaster;
      long orphanRedis;
      String id;
      int port = ChildJvm.freePort();
      try (ChildJvm killed = ChildJvm.start(MAIN, ChildJvm.parleyEnv(home, port))) {
        Api api = awaitUp(killed, port);
        orphanPostmaster = PROCESSES.postmaster(home);
        orphanRedis = PROCESSES.redis(home);
        String access = api.signup(email, password, "Killed User").getString("access_token");
        id = api.get("/api/v1/auth/me", access).json().getString("id");
        killed.sigkill();
        assertThat(killed.awaitExit(Duration.ofSeconds(10))).isEqualTo(137);
      }
      assertThat(EmbeddedProcesses.alive(orphanPostmaster)).as("postmaster outlives the SIGKILLed JVM").isTrue();
      assertThat(EmbeddedProcesses.alive(orphanRedis)).as("redis-server outlives the SIGKILLed JVM").isTrue();

      port = ChildJvm.freePort();
      try (ChildJvm next = ChildJvm.start(MAIN, ChildJvm.parleyEnv(home, port))) {
        Api api = awaitUp(next, port);
        EmbeddedProcesses.awaitDead(orphanPostmaster, Duration.ofSeconds(5), "orphaned postmaster");
        EmbeddedProcesses.awaitDead(orphanRedis, Duration.ofSeconds(5), "orphaned redis-server");
        assertThat(next.stdout()).anySatisfy(l -> assertThat(l)
            .contains("stopping orphaned postgres (pid " + orphanPostmaster + ")"));
        long postmaster = PROCESSES.postmaster(home);
        long redis = PROCESSES.redis(home);
        assertThat(postmaster).isNotEqualTo(orphanPostmaster);

        Api.Res login = api.post("/api/v1/auth/login", null,
            new JsonObject().put("email", email).put("password", password));
        assertThat(login.status()).as(login.body()).isEqualTo(200);
        assertThat(api.get("/api/v1/auth/me", login.json().getString("access_token")).json().getString("id"))
            .isEqualTo(id);

        next.sigterm();
        assertThat(next.awaitExit(Duration.ofSeconds(10))).as(next.describe()).isIn(0, 143);
        EmbeddedProcesses.awaitDead(postmaster, Duration.ofSeconds(5), "postmaster after SIGTERM");
        EmbeddedProcesses.awaitDead(redis, Duration.ofSeconds(5), "redis-server after SIGTERM");
      }
    } finally {
      PROCESSES.adopt(home);
      TestNode.deleteTree(home);
    }
  }

  /** Every stdout line but Main's banner, each parsed as a JSON object (fails on one that is not). */
  private static List<JsonObject> logLines(List<String> stdout) {
    List<JsonObject> logs = new ArrayList<>();
    for (String line : stdout) {
      if (line.isBlank() || BANNER.matcher(line).matches()) {
        continue;
      }
      try {
        logs.add(new JsonObject(line));
      } catch (DecodeException e) {
        throw new AssertionError("stdout line is not a JSON object: " + line, e);
      }
    }
    return logs;
  }

  /** Waits for Main's banner and for readiness; returns a client for the child. */
  private static Api awaitUp(ChildJvm parley, int port) {
    parley.awaitStdout(l -> l.startsWith("Parley is up"), STARTUP, "\"Parley is up\"");
    Api api = new Api("http://127.0.0.1:" + port);
    Poll.until(Duration.ofSeconds(30), "/health/ready to be 200", () -> api.get("/health/ready", null),
        r -> r.status() == 200);
    return api;
  }
}
