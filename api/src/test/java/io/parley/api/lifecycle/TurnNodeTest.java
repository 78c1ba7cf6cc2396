package io.parley.api.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.calls.Call;
import io.parley.api.calls.EndReason;
import io.parley.api.infra.EmbeddedRedisService;
import io.parley.api.support.Poll;
import io.parley.api.support.TurnAllocate;
import io.parley.media.turn.TurnCredentials;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge TURN node ({@code PARLEY_ROLES=turn}) in a child JVM, as {@code ./parley run} starts one:
 * no PostgreSQL, no engine class ever loaded, REST credentials minted with the shared secret
 * allocate, and a call end or an account deletion broadcast over Redis (as an API node publishes
 * them) cuts the allocations and refuses the credentials. Without Redis it runs standalone.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TurnNodeTest {

  private static final String SECRET = "edge-node-shared-secret-0123456789";
  /** Packages of what a TURN node must never load: the engines, and the database. */
  private static final List<String> FORBIDDEN = List.of("ai.djl.", "ai.onnxruntime.", "io.github.givimad.",
      "de.kherud.llama.", "org.bytedeco.", "com.sun.speech.freetts.", "io.parley.inference.", "org.postgresql.",
      "io.vertx.pgclient.", "org.flywaydb.", "io.zonky.");
  private static final Pattern TURN_LINE = Pattern.compile("TURN/STUN\\s+turn:127\\.0\\.0\\.1:(\\d+)");
  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  @Test
  void aTurnOnlyNodeRelaysWithRestCredentialsAndHearsCallEndsOverRedis(@TempDir Path dir) throws Exception {
    try (EmbeddedRedisService redis = EmbeddedRedisService.start(PROCESSES.track(dir.resolve("redis-home")), 0)) {
      PROCESSES.trackRedisPort(redis.port());
      Path classes = dir.resolve("classes.log");
      Map<String, String> env = edgeEnv(dir.resolve("home"));
      env.put("PARLEY_REDIS_URL", redis.url().toString());
      int http = Integer.parseInt(env.get("PARLEY_HTTP_PORT"));
      try (ChildJvm node = ChildJvm.start("io.parley.api.Main", env,
          List.of("-Xlog:class+load=info:file=" + classes))) {
        PROCESSES.trackPid(node.pid());
        int turnPort = turnPort(node);
        Poll.until(Duration.ofSeconds(20), "the node subscribed to the cluster's broadcasts", () -> {
          HttpResponse<String> r = get(http, "/health/ready");
          return r.statusCode() == 200 && new JsonObject(r.body()).getJsonObject("checks").getString("redis").equals("up");
        }, Boolean::booleanValue);

        UUID callId = UUID.randomUUID();
        UUID userId = UUID.randomUUID();
        Instant endsAt = Instant.now().plus(Duration.ofMinutes(20));
        String[] credentials = TurnCredentials.mint(SECRET, endsAt, userId.toString(), callId.toString());
        String url = "turn:127.0.0.1:" + turnPort + "?transport=udp";
        TurnAllocate.Result relay = TurnAllocate.allocate(url, credentials[0], credentials[1]);
        assertThat(relay.ok()).as("Allocate with REST credentials (error %d)", relay.errorCode()).isTrue();
        assertThat(allocations(http)).isEqualTo(1);
        assertThat(TurnAllocate.allocate(url, credentials[0], "not-the-password").errorCode())
            .as("a password not made with the shared secret").isEqualTo(401);

        // What an API node's CallService publishes when the call ends there.
        Call ended = new Call(callId, UUID.randomUUID(), userId, UUID.randomUUID(), "video", Instant.now(), endsAt,
            Instant.now(), EndReason.HANGUP, null, null, 1200);
        JsonObject broadcast = new JsonObject().put("t", "call-ended").put("call", ended.toJson())
            .put("node", "an-api-node");
        assertThat(RedisProbe.command(redis.port(), "PUBLISH", "parley:cluster", broadcast.encode())).isEqualTo(":1");
        Poll.until(Duration.ofSeconds(5), "the call's allocation is cut", () -> allocations(http), n -> n == 0);
        assertThat(TurnAllocate.allocate(url, credentials[0], credentials[1]).errorCode())
            .as("the ended call's credentials no longer allocate").isIn(401, 403);

        // An account deleted on an API node: its other call's relay is cut too.
        String[] other = TurnCredentials.mint(SECRET, endsAt, userId.toString(), UUID.randomUUID().toString());
        assertThat(TurnAllocate.allocate(url, other[0], other[1]).ok()).isTrue();
        assertThat(allocations(http)).isEqualTo(1);
        JsonObject deleted = new JsonObject().put("t", "user-deleted").put("user", userId.toString())
            .put("node", "an-api-node");
        assertThat(RedisProbe.command(redis.port(), "PUBLISH", "parley:cluster", deleted.encode())).isEqualTo(":1");
        Poll.until(Duration.ofSeconds(5), "the deleted user's allocation is cut", () -> allocations(http), n -> n == 0);
        assertThat(TurnAllocate.allocate(url, other[0], other[1]).errorCode()).as("the deleted user's credentials")
            .isEqualTo(403);

        node.sigterm();
        assertThat(node.awaitExit(Duration.ofSeconds(20))).as(node.describe()).isIn(0, 143);
        assertThat(node.stdout()).anySatisfy(l -> assertThat(l).contains("turn node stopped"));
      }
      List<String> loaded = Files.readAllLines(classes);
      assertThat(loaded).as("the class-load log").anyMatch(l -> l.contains("io.parley.media.turn.TurnServer "));
      assertThat(loaded).as("classes a TURN node never needs")
          .noneMatch(l -> FORBIDDEN.stream().anyMatch(p -> l.contains("] " + p)));
    }
  }

  @Test
  void withoutRedisItRunsStandalone(@TempDir Path dir) throws Exception {
    Map<String, String> env = edgeEnv(dir.resolve("home"));
    int http = Integer.parseInt(env.get("PARLEY_HTTP_PORT"));
    try (ChildJvm node = ChildJvm.start("io.parley.api.Main", env)) {
      PROCESSES.trackPid(node.pid());
      int turnPort = turnPort(node);
      HttpResponse<String> ready = get(http, "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(ready.body()).getJsonObject("checks").getString("redis")).isEqualTo("standalone");
      String[] credentials = TurnCredentials.mint(SECRET, Instant.now().plusSeconds(600), "u1", "c1");
      assertThat(TurnAllocate.allocate("turn:127.0.0.1:" + turnPort + "?transport=tcp", credentials[0],
          credentials[1]).ok()).as("Allocate over TCP with REST credentials").isTrue();
      assertThat(get(http, "/api/v1/openapi.json").statusCode()).as("no API on a TURN node").isEqualTo(404);
      node.sigterm();
      assertThat(node.awaitExit(Duration.ofSeconds(20))).as(node.describe()).isIn(0, 143);
    }
    assertThat(dir.resolve("home").resolve("postgres")).as("no PostgreSQL data").doesNotExist();
  }

  /** A TURN-only node: nothing else of a full node's settings. */
  private static Map<String, String> edgeEnv(Path home) {
    Map<String, String> env = new HashMap<>();
    env.put("PARLEY_ROLES", "turn");
    env.put("PARLEY_HOME", home.toString());
    env.put("PARLEY_HTTP_HOST", "127.0.0.1");
    env.put("PARLEY_HTTP_PORT", Integer.toString(ChildJvm.freePort()));
    env.put("PARLEY_LOG_FORMAT", "json");
    env.put("PARLEY_TURN_SECRET", SECRET);
    env.put("PARLEY_TURN_HOST", "127.0.0.1");
    env.put("PARLEY_TURN_PORT", "0");
    env.put("PARLEY_TURN_RELAY_HOST", "127.0.0.1");
    return env;
  }

  private static int turnPort(ChildJvm node) {
    String line = node.awaitStdout(l -> TURN_LINE.matcher(l).find(), Duration.ofSeconds(30), "the TURN address");
    Matcher m = TURN_LINE.matcher(line);
    assertThat(m.find()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  /** parley_turn_allocations from the node's /metrics. */
  private static int allocations(int http) throws IOException, InterruptedException {
    for (String line : get(http, "/metrics").body().split("\n")) {
      if (line.startsWith("parley_turn_allocations ")) {
        return (int) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("no parley_turn_allocations in /metrics");
  }

  private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
