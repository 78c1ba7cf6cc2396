package io.parley.api.infra;

import io.parley.core.config.ConfigSource;
import io.parley.core.config.ParleyConfig;
import java.net.URI;
import java.util.Deque;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node keeps its data: the external PostgreSQL and Redis it was given, or embedded ones
 * under {@code PARLEY_HOME} (held by the home lock), with the schema migrated. One code path
 * either way: what is built on top only sees the two URLs.
 *
 * @param pgUrl            the PostgreSQL to use
 * @param redisUrl         the Redis to use
 * @param embeddedPostgres the embedded PostgreSQL, when this node runs one
 * @param embeddedRedis    the embedded Redis, when this node runs one
 */
public record Storage(URI pgUrl, URI redisUrl, Optional<EmbeddedPostgresService> embeddedPostgres,
                      Optional<EmbeddedRedisService> embeddedRedis) {

  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);

  /**
   * Takes the home lock, starts what is embedded and migrates the schema; blocking. Everything it
   * starts is pushed on {@code closers} (the last started is closed first).
   */
  public static Storage start(ParleyConfig config, Deque<AutoCloseable> closers) {
    closers.push(HomeLock.acquire(config.home()));
    ParleyConfig.Storage settings = config.storage();
    EmbeddedPostgresService pg = null;
    URI pgUrl;
    if (settings.embeddedPostgres()) {
      pg = EmbeddedPostgresService.start(config.home(), settings.pgEmbeddedPort());
      closers.push(pg);
      pgUrl = pg.url();
      LOG.info("storage: embedded PostgreSQL (data in {})", pg.dataDirectory());
    } else {
      pgUrl = settings.pgUrl().orElseThrow();
      LOG.info("storage: external PostgreSQL at {}", ConfigSource.redact(pgUrl.toString()));
    }
    EmbeddedRedisService redis = null;
    URI redisUrl;
    if (settings.embeddedRedis()) {
      redis = EmbeddedRedisService.start(config.home(), settings.redisEmbeddedPort());
      closers.push(redis);
      redisUrl = redis.url();
      LOG.info("cache: embedded Redis on port {}", redis.port());
    } else {
      redisUrl = settings.redisUrl().orElseThrow();
      LOG.info("cache: external Redis at {}", ConfigSource.redact(redisUrl.toString()));
    }
    Database.migrate(pgUrl);
    return new Storage(pgUrl, redisUrl, Optional.ofNullable(pg), Optional.ofNullable(redis));
  }
}
