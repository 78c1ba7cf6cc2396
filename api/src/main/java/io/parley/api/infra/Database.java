package io.parley.api.infra;

import io.parley.api.infra.migration.V5__email_key;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Schema migrations (Flyway over JDBC, at startup) and the reactive connection pool. */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private Database() {}

  /** Applies pending migrations; blocking, runs before the server accepts requests. */
  public static void migrate(URI url) {
    Credentials c = Credentials.of(url);
    try {
      Flyway flyway = Flyway.configure()
          .dataSource(jdbc(url), c.user(), c.password())
          .locations("classpath:db/migration")
          .javaMigrations(new V5__email_key())
          .connectRetries(10)
          .load();
      var result = flyway.migrate();
      LOG.info("schema at version {} ({} migration(s) applied now)", flyway.info().current().getVersion(),
          result.migrationsExecuted);
    } catch (RuntimeException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "database migration failed on "
          + ConfigSource.redact(url.toString()) + ": " + e.getMessage(), e);
    }
  }

  /** A blocking JDBC connection, for the operator's commands ({@code ./parley admin}); never on an event loop. */
  public static Connection connect(URI url) throws SQLException {
    Credentials c = Credentials.of(url);
    return DriverManager.getConnection(jdbc(url), c.user(), c.password());
  }

  private static String jdbc(URI url) {
    return "jdbc:postgresql://" + url.getHost() + ":" + port(url) + Credentials.of(url).database();
  }

  /** A pool that reconnects by itself: a restarted PostgreSQL needs no Parley restart. */
  public static Pool pool(Vertx vertx, URI url, int size) {
    Credentials c = Credentials.of(url);
    PgConnectOptions connect = new PgConnectOptions()
        .setHost(url.getHost())
        .setPort(port(url))
        .setDatabase(c.database().substring(1))
        .setUser(c.user())
        .setPassword(c.password() == null ? "" : c.password())
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(256)
        .setReconnectAttempts(0);
    PoolOptions pool = new PoolOptions()
        .setName("parley-pg")
        .setMaxSize(size)
        .setMaxWaitQueueSize(size * 64)
        .setIdleTimeout(60)
        .setConnectionTimeout(5)
        .setShared(false);
    return PgBuilder.pool().with(pool).connectingTo(connect).using(vertx).build();
  }

  private static int port(URI url) {
    return url.getPort() > 0 ? url.getPort() : 5432;
  }

  private record Credentials(String user, String password, String database) {
    static Credentials of(URI url) {
      String info = url.getRawUserInfo();
      String user = "postgres";
      String password = null;
      if (info != null) {
        int colon = info.indexOf(':');
        user = decode(colon < 0 ? info : info.substring(0, colon));
        password = colon < 0 ? null : decode(info.substring(colon + 1));
      }
      String path = url.getPath();
      String db = path == null || path.length() <= 1 ? "/postgres" : path;
      return new Credentials(user, password, db);
    }

    private static String decode(String s) {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
  }
}
