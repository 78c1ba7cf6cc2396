package io.parley.core.config;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The node-wide settings: home, HTTP, storage, auth, rate limits, the model directory, shutdown
 * and log format. Each part is a record whose compact constructor rejects values that cannot work;
 * {@link #from(ConfigSource)} turns raw keys into these records and names the offending key in
 * every error. The reference of keys, units and defaults is {@link ConfigKey}.
 *
 * <p>A feature's settings live next to the feature, which parses them from {@link #source()}:
 * {@code TurnOptions} in media; in inference, each engine's ({@code VadOptions}, {@code SttOptions},
 * {@code LlmOptions}, {@code TtsOptions}); in api, {@code VoiceOptions}, {@code CallOptions} and
 * {@code VisionOptions}. The node parses them all before it starts anything.
 */
public record ParleyConfig(
    Path home,
    Http http,
    Storage storage,
    Auth auth,
    RateLimits rateLimits,
    Path models,
    Duration shutdownTimeout,
    LogFormat logFormat,
    ConfigSource source) {

  public ParleyConfig {
    Objects.requireNonNull(home, "home");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(rateLimits, "rateLimits");
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(source, "source");
    if (shutdownTimeout.isNegative() || shutdownTimeout.isZero()) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_SHUTDOWN_TIMEOUT: must be positive");
    }
  }

  /** Log line format. */
  public enum LogFormat { JSON, TEXT }

  /** HTTP listener and request limits. */
  public record Http(String host, int port, Optional<String> publicUrl, int maxBodyBytes,
                     List<String> corsOrigins, boolean trustProxy, Optional<Path> tlsCert, Optional<Path> tlsKey,
                     int eventLoops, Duration headerTimeout, int uploadMinRate, Duration uploadRateWindow) {
    public Http {
      if (maxBodyBytes < 1024) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_MAX_BODY_BYTES: must be at least 1024");
      }
      corsOrigins = List.copyOf(corsOrigins);
      if (tlsCert.isPresent() != tlsKey.isPresent()) {
        throw new ParleyException(Reason.CONFIG, (tlsCert.isPresent() ? "PARLEY_TLS_KEY" : "PARLEY_TLS_CERT")
            + ": PARLEY_TLS_CERT and PARLEY_TLS_KEY go together");
      }
      tlsCert.filter(p -> !java.nio.file.Files.isReadable(p)).ifPresent(p -> {
        throw new ParleyException(Reason.CONFIG, "PARLEY_TLS_CERT: cannot read " + p);
      });
      tlsKey.filter(p -> !java.nio.file.Files.isReadable(p)).ifPresent(p -> {
        throw new ParleyException(Reason.CONFIG, "PARLEY_TLS_KEY: cannot read " + p);
      });
    }

    public boolean tls() {
      return tlsCert.isPresent();
    }
  }

  /** Where data lives: external URLs, or empty for the embedded services. */
  public record Storage(Optional<URI> pgUrl, int pgPoolSize, int pgEmbeddedPort,
                        Optional<URI> redisUrl, int redisEmbeddedPort, Duration userCacheTtl) {
    public Storage {
      pgUrl.ifPresent(u -> requireScheme(PARLEY_PG_URL, u, "postgresql", "postgres"));
      redisUrl.ifPresent(u -> requireScheme(PARLEY_REDIS_URL, u, "redis", "rediss"));
    }

    public boolean embeddedPostgres() {
      return pgUrl.isEmpty();
    }

    public boolean embeddedRedis() {
      return redisUrl.isEmpty();
    }
  }

  /** Password hashing, tokens and login throttling. */
  public record Auth(Optional<String> jwtSecret, List<String> oldJwtSecrets, String issuer, Duration accessTokenTtl,
                     Duration refreshTokenTtl, Argon2 argon2, int workers,
                     int maxFailuresPerAccount, int maxFailuresPerIp, Duration loginWindow) {
    public Auth {
      jwtSecret.ifPresent(s -> {
        if (s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
          throw new ParleyException(Reason.CONFIG, "PARLEY_JWT_SECRET: must be at least 32 bytes");
        }
      });
      for (String s : oldJwtSecrets) {
        if (s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
          throw new ParleyException(Reason.CONFIG, "PARLEY_JWT_OLD_SECRETS: every key must be at least 32 bytes");
        }
      }
      oldJwtSecrets = List.copyOf(oldJwtSecrets);
      if (refreshTokenTtl.compareTo(accessTokenTtl) <= 0) {
        throw new ParleyException(Reason.CONFIG,
            "PARLEY_REFRESH_TOKEN_TTL: must be longer than PARLEY_ACCESS_TOKEN_TTL");
      }
    }
  }

  /** Argon2id cost parameters (RFC 9106). */
  public record Argon2(int memoryKib, int iterations, int parallelism) {
    public Argon2 {
      if (memoryKib < 8 * parallelism) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_ARGON2_MEMORY_KIB: must be at least 8 x parallelism");
      }
    }
  }

  /** Requests per minute per rate-limit class. */
  public record RateLimits(boolean enabled, int apiPerMinute, int authPerMinute, int chatPerMinute,
                           int voicePerMinute, int visionPerMinute) {}

  /** Settings from the process environment (and the {@code PARLEY_CONFIG} file it may name). */
  public static ParleyConfig fromEnvironment() {
    return from(ConfigSource.load(System.getenv()));
  }

  /** Settings from explicit key/value pairs: defaults for the rest. */
  public static ParleyConfig of(Map<String, String> values) {
    return from(ConfigSource.of(values));
  }

  public static ParleyConfig from(ConfigSource c) {
    Path home = Path.of(c.string(PARLEY_HOME)).toAbsolutePath().normalize();
    Http http = new Http(
        c.string(PARLEY_HTTP_HOST),
        c.integer(PARLEY_HTTP_PORT, 0, 65535),
        Optional.ofNullable(c.string(PARLEY_PUBLIC_URL)),
        c.integer(PARLEY_MAX_BODY_BYTES, 0, Integer.MAX_VALUE),
        c.list(PARLEY_CORS_ORIGINS),
        c.bool(PARLEY_TRUST_PROXY),
        Optional.ofNullable(c.string(PARLEY_TLS_CERT)).map(Path::of),
        Optional.ofNullable(c.string(PARLEY_TLS_KEY)).map(Path::of),
        c.integer(PARLEY_HTTP_EVENT_LOOPS, 0, 1024),
        c.seconds(PARLEY_HTTP_HEADER_TIMEOUT, 1, 3600),
        c.integer(PARLEY_UPLOAD_MIN_RATE, 0, Integer.MAX_VALUE),
        c.seconds(PARLEY_UPLOAD_RATE_WINDOW, 1, 3600));
    Storage storage = new Storage(
        c.url(PARLEY_PG_URL),
        c.integer(PARLEY_PG_POOL_SIZE, 1, 1000),
        c.integer(PARLEY_PG_EMBEDDED_PORT, 0, 65535),
        c.url(PARLEY_REDIS_URL),
        c.integer(PARLEY_REDIS_EMBEDDED_PORT, 0, 65535),
        c.seconds(PARLEY_USER_CACHE_TTL, 0, 3600));
    Auth auth = new Auth(
        Optional.ofNullable(c.string(PARLEY_JWT_SECRET)),
        c.list(PARLEY_JWT_OLD_SECRETS),
        c.string(PARLEY_JWT_ISSUER),
        c.seconds(PARLEY_ACCESS_TOKEN_TTL, 10, 86_400),
        c.seconds(PARLEY_REFRESH_TOKEN_TTL, 60, 90 * 86_400),
        new Argon2(
            c.integer(PARLEY_ARGON2_MEMORY_KIB, 8, 4 * 1024 * 1024),
            c.integer(PARLEY_ARGON2_ITERATIONS, 1, 100),
            c.integer(PARLEY_ARGON2_PARALLELISM, 1, 64)),
        c.integer(PARLEY_AUTH_WORKERS, 1, 256),
        c.integer(PARLEY_LOGIN_MAX_FAILURES_ACCOUNT, 1, 1_000_000),
        c.integer(PARLEY_LOGIN_MAX_FAILURES_IP, 1, 1_000_000),
        c.seconds(PARLEY_LOGIN_WINDOW, 1, 86_400));
    RateLimits limits = new RateLimits(
        c.bool(PARLEY_RATE_LIMIT_ENABLED),
        c.integer(PARLEY_RATE_LIMIT_API_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_AUTH_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_CHAT_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_VOICE_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_VISION_PER_MINUTE, 1, Integer.MAX_VALUE));
    return new ParleyConfig(
        home, http, storage, auth, limits,
        Path.of(c.string(PARLEY_MODELS)).toAbsolutePath().normalize(),
        c.seconds(PARLEY_SHUTDOWN_TIMEOUT, 1, 600),
        c.choice(PARLEY_LOG_FORMAT, LogFormat.class),
        c);
  }

  private static void requireScheme(ConfigKey key, URI uri, String... schemes) {
    for (String s : schemes) {
      if (s.equalsIgnoreCase(uri.getScheme())) {
        return;
      }
    }
    throw ConfigSource.bad(key, "a URL with scheme " + String.join(" or ", schemes), ConfigSource.redact(uri.toString()));
  }
}
