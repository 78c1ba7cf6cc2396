package io.parley.api.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.core.ParleyException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Embedded mode across restarts of a node on one PARLEY_HOME: data and the PostgreSQL port are
 * kept, a second node on a home in use is refused without harming the first, and the database
 * processes orphaned by a killed node are stopped by the next start.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RestartTest {

  /** Embedded services whatever the environment says: they are what is tested here. */
  private static final Map<String, String> EMBEDDED = Map.of("PARLEY_PG_URL", "", "PARLEY_REDIS_URL", "");
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  @Test
  void dataAndPostgresPortSurviveARestart() {
    Path home = PROCESSES.track(TestNode.tempHome());
    try {
      JsonObject user;
      String id;
      int port;
      long firstPostmaster;
      try (TestNode first = start(home)) {
        firstPostmaster = PROCESSES.postmaster(home);
        user = first.api().newUser();
        id = first.api().get("/api/v1/auth/me", user.getString("access_token")).json().getString("id");
        port = first.server().embeddedPostgres().orElseThrow().port();
        assertThat(portFile(home)).isEqualTo(port);
      }
      // A clean stop: the postmaster is gone and has removed its pid file.
      EmbeddedProcesses.awaitDead(firstPostmaster, Duration.ofSeconds(10), "postmaster of the stopped node");
      assertThat(home.resolve("postgres/postmaster.pid")).doesNotExist();

      try (TestNode second = start(home)) {
        assertThat(second.server().embeddedPostgres().orElseThrow().port()).isEqualTo(port);
        assertThat(portFile(home)).isEqualTo(port);
        Api api = second.api();
        Api.Res login = login(api, user);
        assertThat(login.status()).as(login.body()).isEqualTo(200);
        Api.Res me = api.get("/api/v1/auth/me", login.json().getString("access_token"));
        assertThat(me.json().getString("id")).isEqualTo(id);
        assertThat(me.json().getString("email")).isEqualTo(user.getString("email"));
        // The row itself is there, not just a login that happens to work.
        Api.Res again = api.post("/api/v1/auth/signup", null, new JsonObject().put("email", user.getString("email"))
            .put("password", "another-password-1").put("name", "Again"));
        assertThat(again.status()).as(again.body()).isEqualTo(409);
      }
    } finally {
      PROCESSES.adopt(home);
      TestNode.deleteTree(home);
    }
  }

  @Test
  void secondNodeOnAHomeInUseFailsFastAndTheFirstKeepsServing() {
    Path home = PROCESSES.track(TestNode.tempHome());
    try (TestNode first = start(home)) {
      long postmaster = PROCESSES.postmaster(home);
      long redis = PROCESSES.redis(home);
      Api api = first.api();
      JsonObject user = api.newUser();

      long t0 = System.nanoTime();
      assertThatThrownBy(() -> start(home).close())
          .isInstanceOf(ParleyException.class)
          .hasMessageContaining("PARLEY_HOME")
          .hasMessageContaining("already running");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));

      // Another process is refused too: the failed attempt above must not have dropped the OS lock
      // (had it, this process would take the home and stop the first node's PostgreSQL as an orphan).
      try (ChildJvm other = ChildJvm.start("io.parley.api.Main", ChildJvm.parleyEnv(home, ChildJvm.freePort()))) {
        int exit = other.awaitExit(BOUND);
        assertThat(exit).as(other.describe()).isNotZero();
        assertThat(String.join("\n", other.stderr())).contains("already running").contains("PARLEY_HOME");
      }

      // The first node is unaffected.
      assertThat(EmbeddedProcesses.alive(postmaster)).as("first node's postmaster").isTrue();
      assertThat(EmbeddedProcesses.alive(redis)).as("first node's redis-server").isTrue();
      assertThat(EmbeddedProcesses.pidIn(home.resolve("postgres/postmaster.pid"))).hasValue(postmaster);
      assertThat(api.get("/health/ready", null).status()).isEqualTo(200);
      Api.Res login = login(api, user);
      assertThat(login.status()).as(login.body()).isEqualTo(200);
      assertThat(api.get("/api/v1/users/me", login.json().getString("access_token")).status()).isEqualTo(200);
      assertThat(api.newUser().getString("access_token")).isNotBlank();
    } finally {
      PROCESSES.adopt(home);
      TestNode.deleteTree(home);
    }
  }

  @Test
  void processesOrphanedByAKilledNodeAreStoppedByTheNextStartAndTheDataIsKept() {
    Path home = PROCESSES.track(TestNode.tempHome());
    try {
      JsonObject user;
      String id;
      int port;
      try (TestNode first = start(home)) {
        user = first.api().newUser();
        id = first.api().get("/api/v1/auth/me", user.getString("access_token")).json().getString("id");
        port = first.server().embeddedPostgres().orElseThrow().port();
      }

      // A node that took the home and started its databases, then was SIGKILLed.
      long orphanPostmaster;
      long orphanRedis;
      try (ChildJvm killed = ChildJvm.start(OrphanMaker.class.getName(), Map.of(), home.toString())) {
        String ready = killed.awaitStdout(l -> l.startsWith("orphan-maker ready"), BOUND, "the databases");
        Matcher m = Pattern.compile("redis=(\\d+)").matcher(ready);
        assertThat(m.find()).isTrue();
        PROCESSES.trackRedisPort(Integer.parseInt(m.group(1)));
        orphanPostmaster = PROCESSES.postmaster(home);
        orphanRedis = PROCESSES.redis(home);
        killed.sigkill();
        killed.awaitExit(Duration.ofSeconds(10));
      }
      assertThat(EmbeddedProcesses.alive(orphanPostmaster)).as("postmaster outlives the killed JVM").isTrue();
      assertThat(EmbeddedProcesses.alive(orphanRedis)).as("redis-server outlives the killed JVM").isTrue();

      try (TestNode second = start(home)) {
        EmbeddedProcesses.awaitDead(orphanPostmaster, Duration.ofSeconds(5), "orphaned postmaster");
        EmbeddedProcesses.awaitDead(orphanRedis, Duration.ofSeconds(5), "orphaned redis-server");
        long postmaster = PROCESSES.postmaster(home);
        assertThat(postmaster).isNotEqualTo(orphanPostmaster);
        assertThat(EmbeddedProcesses.alive(postmaster)).isTrue();
        assertThat(second.server().embeddedPostgres().orElseThrow().port()).isEqualTo(port);

        Api api = second.api();
        assertThat(api.get("/health/ready", null).status()).isEqualTo(200);
        Api.Res login = login(api, user);
        assertThat(login.status()).as(login.body()).isEqualTo(200);
        assertThat(api.get("/api/v1/auth/me", login.json().getString("access_token")).json().getString("id"))
            .isEqualTo(id);
      }
    } finally {
      PROCESSES.adopt(home);
      TestNode.deleteTree(home);
    }
  }

  private static TestNode start(Path home) {
    TestNode node = TestNode.startOn(home, EMBEDDED);
    PROCESSES.trackRedisPort(node.server().embeddedRedis().orElseThrow().port());
    return node;
  }

  private static Api.Res login(Api api, JsonObject user) {
    return api.post("/api/v1/auth/login", null,
        new JsonObject().put("email", user.getString("email")).put("password", user.getString("password")));
  }

  private static int portFile(Path home) {
    try {
      return Integer.parseInt(Files.readString(home.resolve("postgres.port")).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
