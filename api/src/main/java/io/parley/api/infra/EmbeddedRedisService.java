package io.parley.api.infra;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * A real redis-server run by Parley on loopback when no {@code PARLEY_REDIS_URL} is given. Its
 * contents are ephemeral by design (rate-limit windows, pub/sub, clocks mirrored from PostgreSQL),
 * so persistence is off. A redis-server orphaned by a killed Parley is stopped via its pid file.
 */
public final class EmbeddedRedisService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedisService.class);

  private final RedisServer server;
  private final int port;
  private final Path pidFile;

  private EmbeddedRedisService(RedisServer server, int port, Path pidFile) {
    this.server = server;
    this.port = port;
    this.pidFile = pidFile;
  }

  /** Starts the server; blocking, call off the event loop. */
  public static EmbeddedRedisService start(Path home, int configuredPort) {
    Path dir = home.resolve("redis");
    Path pidFile = dir.resolve("redis.pid");
    try {
      Files.createDirectories(dir);
      Orphans.stop(pidFile, "redis-server", Duration.ofSeconds(5));
      int port = configuredPort != 0 ? configuredPort : FreePort.pick();
      RedisServer server = RedisServer.newRedisServer()
          .bind("127.0.0.1")
          .port(port)
          .setting("daemonize no")
          .setting("pidfile " + pidFile)
          .setting("dir " + dir)
          .setting("save \"\"")
          .setting("appendonly no")
          .setting("protected-mode yes")
          .setting("maxmemory 256mb")
          .setting("maxmemory-policy volatile-lru")
          .soutListener(line -> LOG.debug("redis: {}", line))
          .serrListener(line -> LOG.warn("redis: {}", line))
          // The node stops it in order at JVM exit (ParleyServer's shutdown hook), after its clients.
          .onShutdownForceStop(false)
          .build();
      server.start();
      LOG.info("embedded Redis ready on 127.0.0.1:{}", port);
      return new EmbeddedRedisService(server, port, pidFile);
    } catch (IOException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "embedded Redis failed to start: " + e.getMessage()
          + " (it needs libssl3)", e);
    }
  }

  public URI url() {
    return URI.create("redis://127.0.0.1:" + port);
  }

  public int port() {
    return port;
  }

  /** Stops the server (also used by fault tests to take Redis away mid-run). */
  public void stop() throws IOException {
    server.stop();
  }

  /** Starts it again on the same port. */
  public void restart() throws IOException {
    server.start();
  }

  @Override
  public void close() throws IOException {
    server.stop();
    Files.deleteIfExists(pidFile);
  }
}
