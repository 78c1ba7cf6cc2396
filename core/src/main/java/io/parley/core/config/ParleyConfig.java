package io.parley.core.config;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Parley's validated settings. Each part is a record whose compact constructor rejects values that
 * cannot work; {@link #from(ConfigSource)} turns raw keys into these records and names the
 * offending key in every error. The reference of keys, units and defaults is {@link ConfigKey}.
 *
 * <p>A feature whose settings only it reads keeps them next to itself and parses them from
 * {@link #source()} ({@code TurnOptions} in media, {@code VisionOptions} in api); the node parses
 * them all before it starts anything.
 */
public record ParleyConfig(
    Path home,
    Http http,
    Storage storage,
    Auth auth,
    RateLimits rateLimits,
    Calls calls,
    Voice voice,
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
    Objects.requireNonNull(calls, "calls");
    Objects.requireNonNull(voice, "voice");
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
                     int eventLoops) {
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
  public record Auth(Optional<String> jwtSecret, String issuer, Duration accessTokenTtl,
                     Duration refreshTokenTtl, Argon2 argon2, int workers,
                     int maxFailuresPerAccount, int maxFailuresPerIp, Duration loginWindow) {
    public Auth {
      jwtSecret.ifPresent(s -> {
        if (s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
          throw new ParleyException(Reason.CONFIG, "PARLEY_JWT_SECRET: must be at least 32 bytes");
        }
      });
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

  /** Chat engine choice. */
  public enum LlmEngine { AUTO, OPENAI, LLAMA, NONE }

  /** Speech synthesis engine choice. */
  public enum TtsEngine { FREETTS, OPENAI }

  /** The voice assistant: VAD, speech to text, chat model, speech synthesis, sessions. */
  public record Voice(boolean enabled, int vadThreads, double vadStartThreshold, double vadEndThreshold, Duration minSpeech,
                      Duration minSilence, Duration preRoll, Optional<Path> whisperModel, int whisperThreads,
                      int sttWorkers, Duration interimEvery, String language, LlmEngine llmEngine,
                      Optional<URI> llmBaseUrl, Optional<String> llmApiKey, String llmModel, Optional<Path> llamaModel,
                      int llmWorkers, int maxTokens, int contextMessages, TtsEngine ttsEngine,
                      Optional<URI> ttsBaseUrl, Optional<String> ttsApiKey, String ttsVoice, int ttsWorkers,
                      Duration bargeIn, Duration sessionGrace, Duration idleTimeout, int maxSessionsPerUser) {
    public Voice {
      if (vadEndThreshold > vadStartThreshold) {
        throw new ParleyException(Reason.CONFIG,
            "PARLEY_VAD_END_THRESHOLD: must not be above PARLEY_VAD_START_THRESHOLD (" + vadStartThreshold + ")");
      }
      if (llmEngine == LlmEngine.LLAMA && llamaModel.isEmpty()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_LLAMA_MODEL: required with PARLEY_LLM_ENGINE=llama");
      }
      if (llmEngine == LlmEngine.OPENAI && llmBaseUrl.isEmpty()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_LLM_BASE_URL: required with PARLEY_LLM_ENGINE=openai");
      }
      if (ttsEngine == TtsEngine.OPENAI && ttsBaseUrl.isEmpty()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_TTS_BASE_URL: required with PARLEY_TTS_ENGINE=openai");
      }
    }

    /** The chat engine in effect once AUTO is resolved. */
    public LlmEngine effectiveLlmEngine() {
      if (llmEngine != LlmEngine.AUTO) {
        return llmEngine;
      }
      return llamaModel.isPresent() ? LlmEngine.LLAMA : llmBaseUrl.isPresent() ? LlmEngine.OPENAI : LlmEngine.NONE;
    }

    /** The language for Whisper, or empty for detection. */
    public Optional<String> sttLanguage() {
      return "auto".equalsIgnoreCase(language) ? Optional.empty() : Optional.of(language);
    }
  }

  /** Expert calls and their signalling. */
  public record Calls(Duration limit, List<Duration> warnings, Duration joinEarly, Duration grace, int freePerMonth, int maxMessageBytes,
                      int messagesPerSecond, Duration authTimeout, Duration pingInterval) {
    public Calls {
      if (limit.isZero() || limit.isNegative()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_CALL_LIMIT: must be positive");
      }
      if (maxMessageBytes < 1024) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_SIGNAL_MAX_MESSAGE_BYTES: must be at least 1024");
      }
    }
  }

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
        c.integer(PARLEY_HTTP_EVENT_LOOPS, 0, 1024));
    Storage storage = new Storage(
        url(c, PARLEY_PG_URL),
        c.integer(PARLEY_PG_POOL_SIZE, 1, 1000),
        c.integer(PARLEY_PG_EMBEDDED_PORT, 0, 65535),
        url(c, PARLEY_REDIS_URL),
        c.integer(PARLEY_REDIS_EMBEDDED_PORT, 0, 65535),
        seconds(c, PARLEY_USER_CACHE_TTL, 0, 3600));
    Auth auth = new Auth(
        Optional.ofNullable(c.string(PARLEY_JWT_SECRET)),
        c.string(PARLEY_JWT_ISSUER),
        seconds(c, PARLEY_ACCESS_TOKEN_TTL, 10, 86_400),
        seconds(c, PARLEY_REFRESH_TOKEN_TTL, 60, 90 * 86_400),
        new Argon2(
            c.integer(PARLEY_ARGON2_MEMORY_KIB, 8, 4 * 1024 * 1024),
            c.integer(PARLEY_ARGON2_ITERATIONS, 1, 100),
            c.integer(PARLEY_ARGON2_PARALLELISM, 1, 64)),
        c.integer(PARLEY_AUTH_WORKERS, 1, 256),
        c.integer(PARLEY_LOGIN_MAX_FAILURES_ACCOUNT, 1, 1_000_000),
        c.integer(PARLEY_LOGIN_MAX_FAILURES_IP, 1, 1_000_000),
        seconds(c, PARLEY_LOGIN_WINDOW, 1, 86_400));
    RateLimits limits = new RateLimits(
        c.bool(PARLEY_RATE_LIMIT_ENABLED),
        c.integer(PARLEY_RATE_LIMIT_API_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_AUTH_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_CHAT_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_VOICE_PER_MINUTE, 1, Integer.MAX_VALUE),
        c.integer(PARLEY_RATE_LIMIT_VISION_PER_MINUTE, 1, Integer.MAX_VALUE));
    Calls calls = new Calls(
        seconds(c, PARLEY_CALL_LIMIT, 1, 24 * 3600),
        warnings(c),
        seconds(c, PARLEY_CALL_JOIN_EARLY, 0, 7 * 86_400),
        seconds(c, PARLEY_CALL_GRACE, 1, 3600),
        c.integer(PARLEY_CALL_FREE_PER_MONTH, 0, 10_000),
        c.integer(PARLEY_SIGNAL_MAX_MESSAGE_BYTES, 1024, 1024 * 1024),
        c.integer(PARLEY_SIGNAL_RATE, 1, 100_000),
        seconds(c, PARLEY_SIGNAL_AUTH_TIMEOUT, 1, 300),
        seconds(c, PARLEY_SIGNAL_PING_INTERVAL, 1, 3600));
    Voice voice = new Voice(
        c.bool(PARLEY_VOICE_ENABLED),
        c.integer(PARLEY_VAD_THREADS, 1, 64),
        c.decimal(PARLEY_VAD_START_THRESHOLD, 0.01, 0.99),
        c.decimal(PARLEY_VAD_END_THRESHOLD, 0.01, 0.99),
        Duration.ofMillis(c.integer(PARLEY_VAD_MIN_SPEECH_MS, 0, 10_000)),
        Duration.ofMillis(c.integer(PARLEY_VAD_MIN_SILENCE_MS, 32, 10_000)),
        Duration.ofMillis(c.integer(PARLEY_VAD_PREROLL_MS, 0, 5_000)),
        Optional.ofNullable(c.string(PARLEY_WHISPER_MODEL)).map(Path::of),
        c.integer(PARLEY_WHISPER_THREADS, 1, 64),
        c.integer(PARLEY_STT_WORKERS, 1, 64),
        Duration.ofMillis(c.integer(PARLEY_STT_INTERIM_MS, 0, 60_000)),
        c.string(PARLEY_STT_LANGUAGE),
        c.choice(PARLEY_LLM_ENGINE, LlmEngine.class),
        url(c, PARLEY_LLM_BASE_URL),
        Optional.ofNullable(c.string(PARLEY_LLM_API_KEY)),
        c.string(PARLEY_LLM_MODEL),
        Optional.ofNullable(c.string(PARLEY_LLAMA_MODEL)).map(Path::of),
        c.integer(PARLEY_LLM_WORKERS, 1, 64),
        c.integer(PARLEY_LLM_MAX_TOKENS, 1, 32_768),
        c.integer(PARLEY_LLM_CONTEXT_MESSAGES, 0, 1_000),
        c.choice(PARLEY_TTS_ENGINE, TtsEngine.class),
        url(c, PARLEY_TTS_BASE_URL),
        Optional.ofNullable(c.string(PARLEY_TTS_API_KEY)),
        c.string(PARLEY_TTS_VOICE),
        c.integer(PARLEY_TTS_WORKERS, 1, 64),
        Duration.ofMillis(c.integer(PARLEY_VOICE_BARGE_IN_MS, 0, 10_000)),
        seconds(c, PARLEY_VOICE_SESSION_GRACE, 0, 3600),
        seconds(c, PARLEY_VOICE_IDLE_TIMEOUT, 1, 86_400),
        c.integer(PARLEY_VOICE_MAX_SESSIONS_PER_USER, 1, 1_000));
    return new ParleyConfig(
        home, http, storage, auth, limits, calls, voice,
        Path.of(c.string(PARLEY_MODELS)).toAbsolutePath().normalize(),
        seconds(c, PARLEY_SHUTDOWN_TIMEOUT, 1, 600),
        c.choice(PARLEY_LOG_FORMAT, LogFormat.class),
        c);
  }

  private static List<Duration> warnings(ConfigSource c) {
    List<Duration> out = new ArrayList<>();
    for (String s : c.list(PARLEY_CALL_WARNINGS)) {
      try {
        int v = Integer.parseInt(s.trim());
        if (v <= 0) {
          throw new NumberFormatException();
        }
        out.add(Duration.ofSeconds(v));
      } catch (NumberFormatException e) {
        throw ConfigSource.bad(PARLEY_CALL_WARNINGS, "a comma list of positive whole seconds like 120,30", s);
      }
    }
    return List.copyOf(out);
  }

  private static Duration seconds(ConfigSource c, ConfigKey key, int min, int max) {
    return Duration.ofSeconds(c.integer(key, min, max));
  }

  private static Optional<URI> url(ConfigSource c, ConfigKey key) {
    String v = c.string(key);
    if (v == null) {
      return Optional.empty();
    }
    try {
      URI uri = new URI(v);
      if (uri.getHost() == null) {
        throw ConfigSource.bad(key, "a URL with a host", redact(v));
      }
      return Optional.of(uri);
    } catch (java.net.URISyntaxException e) {
      throw ConfigSource.bad(key, "a URL", redact(v));
    }
  }

  private static void requireScheme(ConfigKey key, URI uri, String... schemes) {
    for (String s : schemes) {
      if (s.equalsIgnoreCase(uri.getScheme())) {
        return;
      }
    }
    throw ConfigSource.bad(key, "a URL with scheme " + String.join(" or ", schemes), redact(uri.toString()));
  }

  /** URLs may carry passwords: never echo the user-info part. */
  public static String redact(String url) {
    return url.replaceAll("//[^/@]*@", "//***@");
  }
}
