package io.parley.api.infra;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by Parley itself, its data under {@code PARLEY_HOME/postgres} so that it
 * survives restarts. Durable settings are restored (the library turns fsync off for tests), the
 * port is remembered across restarts, and a postmaster orphaned by a killed Parley is stopped first.
 */
public final class EmbeddedPostgresService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresService.class);

  private volatile EmbeddedPostgres postgres;
  private final Path dataDir;
  private final int port;

  private EmbeddedPostgresService(EmbeddedPostgres postgres, Path dataDir) {
    this.postgres = postgres;
    this.dataDir = dataDir;
    this.port = postgres.getPort();
  }

  /** Starts (or restarts, on the same data) the server; blocking, call off the event loop. */
  public static EmbeddedPostgresService start(Path home, int configuredPort) {
    Path dataDir = home.resolve("postgres");
    Path portFile = home.resolve("postgres.port");
    try {
      Files.createDirectories(dataDir);
      Orphans.stop(dataDir.resolve("postmaster.pid"), "postgres", Duration.ofSeconds(10));
      int port = configuredPort != 0 ? configuredPort : rememberedOrFreePort(portFile);
      EmbeddedPostgres pg = launch(dataDir, port);
      Files.writeString(portFile, Integer.toString(port));
      LOG.info("embedded PostgreSQL ready on 127.0.0.1:{} with data in {}", port, dataDir);
      return new EmbeddedPostgresService(pg, dataDir);
    } catch (IOException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "embedded PostgreSQL failed to start in " + dataDir
          + ": " + e.getMessage(), e);
    }
  }

  private static EmbeddedPostgres launch(Path dataDir, int port) throws IOException {
    return EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setPort(port)
          .setRegisterShutdownHook(false)
          .setPGStartupWait(Duration.ofSeconds(60))
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on")
          .setServerConfig("max_connections", "200")
          .start();
  }

  /** Stops the server, keeping its data (operators' maintenance, fault tests). */
  public synchronized void stop() throws IOException {
    postgres.close();
  }

  /** Starts it again on the same data directory and port. */
  public synchronized void restart() throws IOException {
    postgres = launch(dataDir, port);
  }

  private static int rememberedOrFreePort(Path portFile) throws IOException {
    if (Files.exists(portFile)) {
      try {
        int port = Integer.parseInt(Files.readString(portFile).trim());
        try (ServerSocket probe = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
          return port;
        } catch (IOException busy) {
          LOG.info("embedded PostgreSQL port {} is taken, picking another", port);
        }
      } catch (NumberFormatException ignored) {
        // rewritten below
      }
    }
    return FreePort.pick();
  }

  /** Connection URL for the embedded server (trust authentication on loopback). */
  public URI url() {
    return urlOf(port);
  }

  /** The URL of an embedded PostgreSQL listening on {@code port}, this process's or another's. */
  public static URI urlOf(int port) {
    return URI.create("postgresql://postgres@127.0.0.1:" + port + "/postgres");
  }

  public int port() {
    return port;
  }

  public Path dataDirectory() {
    return dataDir;
  }

  @Override
  public synchronized void close() throws IOException {
    postgres.close();
  }
}
