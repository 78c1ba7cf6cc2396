package io.parley.api.support;

import io.parley.api.AdminCommand;
import io.parley.api.ParleyServer;
import io.parley.core.config.ParleyConfig;
import io.parley.inference.DefaultModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A real Parley node for black-box tests: embedded PostgreSQL and Redis under a fresh temporary
 * PARLEY_HOME (or external ones when PARLEY_PG_URL / PARLEY_REDIS_URL are set in the environment),
 * HTTP on a free loopback port. Argon2 runs with small costs here so that tests stay quick; the
 * production parameters are exercised by the hasher's own tests and by the login benchmark.
 */
public final class TestNode implements AutoCloseable {

  private static TestNode shared;

  private final ParleyServer server;
  private final ParleyConfig config;
  private final Path home;
  private final boolean ownsHome;

  private TestNode(ParleyConfig config, Path home, boolean ownsHome) {
    this.server = ParleyServer.start(config);
    this.config = config;
    this.home = home;
    this.ownsHome = ownsHome;
  }

  /** Settings every test node uses; {@code overrides} replace or add keys. */
  public static Map<String, String> settings(Path home, Map<String, String> overrides) {
    Map<String, String> s = new HashMap<>();
    s.put("PARLEY_HOME", home.toString());
    s.put("PARLEY_HTTP_HOST", "127.0.0.1");
    s.put("PARLEY_HTTP_PORT", "0");
    s.put("PARLEY_LOG_FORMAT", "text");
    // TURN on a free loopback port: tests never collide with each other or a running ./parley run.
    s.put("PARLEY_TURN_HOST", "127.0.0.1");
    s.put("PARLEY_TURN_PORT", "0");
    s.put("PARLEY_TURN_TLS_PORT", "0");
    s.put("PARLEY_TURN_RELAY_HOST", "127.0.0.1");
    s.put("PARLEY_ARGON2_MEMORY_KIB", "1024");
    s.put("PARLEY_ARGON2_ITERATIONS", "1");
    s.put("PARLEY_RATE_LIMIT_AUTH_PER_MINUTE", "100000");
    s.put("PARLEY_RATE_LIMIT_API_PER_MINUTE", "100000");
    s.put("PARLEY_LOGIN_MAX_FAILURES_IP", "100000");
    s.put("PARLEY_MODELS", nodeModelsDir().toString());
    // The detector (DJL, libtorch) only where a test asks for it: most nodes serve no photos.
    s.put("PARLEY_VISION_ENABLED", "false");
    for (String key : new String[] {"PARLEY_PG_URL", "PARLEY_REDIS_URL"}) {
      String external = System.getenv(key);
      if (external != null && !external.isBlank()) {
        s.put(key, external);
      }
    }
    s.putAll(overrides);
    return s;
  }

  /** A node of its own, on a fresh home, with these setting overrides. */
  public static TestNode start(Map<String, String> overrides) {
    Path home = tempHome();
    return new TestNode(ParleyConfig.of(settings(home, overrides)), home, true);
  }

  /**
   * {@code settings} plus this node's PostgreSQL and Redis: the settings of a second node of the
   * same cluster.
   */
  public Map<String, String> sameCluster(Map<String, String> settings) {
    Map<String, String> s = new HashMap<>(settings);
    s.put("PARLEY_PG_URL", server.embeddedPostgres().orElseThrow().url().toString());
    s.put("PARLEY_REDIS_URL", server.embeddedRedis().orElseThrow().url().toString());
    return Map.copyOf(s);
  }

  /** A node on an existing home (restart tests); the caller owns the home. */
  public static TestNode startOn(Path home, Map<String, String> overrides) {
    return new TestNode(ParleyConfig.of(settings(home, overrides)), home, false);
  }

  /**
   * One node shared by all test classes of this JVM that need nothing special: it saves a
   * PostgreSQL start per class. Tests on it create their own users, so they do not interfere.
   */
  public static synchronized TestNode shared() {
    if (shared == null) {
      shared = start(Map.of());
      TestNode node = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(node::close));
    }
    return shared;
  }

  public static Path tempHome() {
    try {
      return Files.createTempDirectory("parley-test-");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The repository's models/ directory (tests run from the module directory). */
  public static Path modelsDir() {
    Path here = Path.of("").toAbsolutePath();
    Path candidate = here.resolve("models");
    if (!Files.isDirectory(candidate) && here.getParent() != null) {
      candidate = here.getParent().resolve("models");
    }
    return candidate;
  }

  /**
   * What a test node's {@code PARLEY_MODELS} holds: the repository's models/ without the default
   * Whisper, chat and end-of-turn models ({@link DefaultModel}), which a developer's {@code ./parley models} may
   * have fetched into it. A node loads those only when its test names a file (as on CI, where they
   * are never there), so the tests run the same on every machine.
   */
  public static Path nodeModelsDir() {
    return NodeModels.DIR;
  }

  /** Links to every entry of models/ but the default models' directories, made once per JVM. */
  private static final class NodeModels {
    static final Path DIR = link();

    private static Path link() {
      Set<Path> defaults = Set.of(Path.of(DefaultModel.WHISPER.file()).getName(0),
          Path.of(DefaultModel.CHAT.file()).getName(0), Path.of(DefaultModel.SMART_TURN.file()).getName(0));
      try {
        Path dir = Files.createTempDirectory("parley-test-models-");
        dir.toFile().deleteOnExit();
        try (var entries = Files.list(modelsDir())) {
          for (Path entry : entries.toList()) {
            if (!defaults.contains(entry.getFileName())) {
              Path link = Files.createSymbolicLink(dir.resolve(entry.getFileName()), entry.toAbsolutePath());
              link.toFile().deleteOnExit();
            }
          }
        }
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  public ParleyServer server() {
    return server;
  }

  public Path home() {
    return home;
  }

  /**
   * Runs {@code ./parley admin ARGS} against this node's database (what an operator does, in this
   * JVM), returning its exit code and output.
   */
  public AdminCommand.Result admin(String... args) {
    return AdminCommand.run(config, java.util.List.of(args));
  }

  /** Makes the registered account {@code email} an admin, as an operator does; fails the test otherwise. */
  public void grantAdmin(String email) {
    AdminCommand.Result r = admin("grant", email);
    if (r.code() != 0) {
      throw new AssertionError("./parley admin grant " + email + " failed: " + r.output());
    }
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.httpPort();
  }

  public Api api() {
    return new Api(baseUrl());
  }

  /** Closes each of {@code parts} that is there (a fixture's node, stand-in servers), in order. */
  public static void closeAll(AutoCloseable... parts) throws Exception {
    for (AutoCloseable part : parts) {
      if (part != null) {
        part.close();
      }
    }
  }

  @Override
  public void close() {
    server.close();
    if (ownsHome) {
      deleteTree(home);
    }
  }

  public static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort: temp files
        }
      });
    } catch (IOException ignored) {
      // already gone
    }
  }
}
