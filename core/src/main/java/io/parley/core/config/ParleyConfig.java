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
 */
public record ParleyConfig(
    Path home,
    Http http,
    Storage storage,
    Auth auth,
    RateLimits rateLimits,
    Turn turn,
    Calls calls,
    Voice voice,
    Vision vision,
    Path models,
    Duration shutdownTimeout,
    LogFormat logFormat) {

  public ParleyConfig {
    Objects.requireNonNull(home, "home");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(rateLimits, "rateLimits");
    Objects.requireNonNull(turn, "turn");
    Objects.requireNonNull(calls, "calls");
    Objects.requireNonNull(voice, "voice");
    Objects.requireNonNull(vision, "vision");
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(logFormat, "logFormat");
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

  /** TURN/STUN listener, relay ports, credentials, quotas and relay policy. */
  public record Turn(boolean enabled, String host, int port, Optional<String> externalIp, String relayHost,
                     int relayPortLow, int relayPortHigh, String realm, Optional<String> secret,
                     List<String> oldSecrets, Map<String, String> users, Duration nonceLifetime,
                     int maxAllocations, int maxAllocationsPerUser, long maxBytesPerSecond,
                     List<Cidr> allowPeers) {
    public Turn {
      secret.ifPresent(s -> {
        if (s.length() < 16) {
          throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_SECRET: must be at least 16 characters");
        }
      });
      if (relayPortLow > relayPortHigh) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_RELAY_PORTS: LOW must not exceed HIGH");
      }
      oldSecrets = List.copyOf(oldSecrets);
      users = Map.copyOf(users);
      allowPeers = List.copyOf(allowPeers);
    }

    /** Every secret that verifies REST credentials: the current one first. */
    public List<String> secrets() {
      List<String> all = new ArrayList<>();
      secret.ifPresent(all::add);
      all.addAll(oldSecrets);
      return List.copyOf(all);
    }

    /** The same settings with the (generated) current secret filled in. */
    public Turn withSecret(String s) {
      return new Turn(enabled, host, port, externalIp, relayHost, relayPortLow, relayPortHigh, realm, Optional.of(s),
          oldSecrets, users, nonceLifetime, maxAllocations, maxAllocationsPerUser, maxBytesPerSecond, allowPeers);
    }
  }

  /** Chat engine choice. */
  public enum LlmEngine { AUTO, OPENAI, LLAMA, NONE }

  /** Speech synthesis engine choice. */
  public enum TtsEngine { FREETTS, OPENAI }

  /** The voice assistant: VAD, speech to text, chat model, speech synthesis, sessions. */
  /** Photo analysis: the detector and the photo limits. */
  public record Vision(boolean enabled, VisionModel model, Optional<Path> yoloFile, YoloLayout yoloLayout, int yoloSize,
                       Optional<Path> yoloClasses, int workers, int threads, Duration batchWindow, int maxBatch,
                       double scoreThreshold, double iouThreshold, VisionDevice device, boolean compile, int maxPhotoBytes,
                       int maxPixels, long uploadMemory, Duration cacheTtl, Duration imageRetention) {
    public Vision {
      if (enabled && model == VisionModel.YOLO && yoloFile.isEmpty()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_VISION_YOLO_FILE: required with PARLEY_VISION_MODEL=yolo");
      }
      if (uploadMemory < maxPhotoBytes) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_PHOTO_UPLOAD_MEMORY (" + uploadMemory
            + " bytes) must be at least PARLEY_PHOTO_MAX_BYTES (" + maxPhotoBytes + "): no photo would fit");
      }
    }

    /** Threads for a forward pass: the configured count, or one per core. */
    public int effectiveThreads() {
      return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** Detector workers: the configured count, or one per core (at most 64). */
    public int effectiveWorkers() {
      return workers > 0 ? workers : Math.min(64, Math.max(1, Runtime.getRuntime().availableProcessors()));
    }
  }

  /** Where the detector runs. */
  public enum VisionDevice { AUTO, CPU, GPU }

  /** Which detector: the bundled NanoDet-m or an operator's YOLO export. */
  public enum VisionModel { NANODET, YOLO }

  /** A YOLO export's output layout: v8 (also YOLO11) or v5. */
  public enum YoloLayout { V5, V8 }

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
    List<Cidr> allow = new ArrayList<>();
    for (String s : c.list(PARLEY_TURN_ALLOW_PEERS)) {
      try {
        allow.add(Cidr.parse(s));
      } catch (IllegalArgumentException e) {
        throw ConfigSource.bad(PARLEY_TURN_ALLOW_PEERS, "a comma list of CIDRs like 127.0.0.0/8", s);
      }
    }
    String ports = c.string(PARLEY_TURN_RELAY_PORTS);
    int low;
    int high;
    try {
      String[] range = ports.split("-", 2);
      low = Integer.parseInt(range[0].trim());
      high = Integer.parseInt(range[1].trim());
      if (low < 1024 || high > 65535) {
        throw new NumberFormatException();
      }
    } catch (RuntimeException e) {
      throw ConfigSource.bad(PARLEY_TURN_RELAY_PORTS, "LOW-HIGH within 1024-65535", ports);
    }
    Map<String, String> users = new java.util.LinkedHashMap<>();
    for (String pair : c.list(PARLEY_TURN_USERS)) {
      int colon = pair.indexOf(':');
      if (colon <= 0 || colon == pair.length() - 1) {
        throw ConfigSource.bad(PARLEY_TURN_USERS, "user:password pairs", "(a malformed entry)");
      }
      users.put(pair.substring(0, colon), pair.substring(colon + 1));
    }
    String external = c.string(PARLEY_TURN_EXTERNAL_IP);
    if (external != null) {
      try {
        Cidr.parse(external);
      } catch (IllegalArgumentException e) {
        throw ConfigSource.bad(PARLEY_TURN_EXTERNAL_IP, "an IP address literal", external);
      }
    }
    Turn turn = new Turn(
        c.bool(PARLEY_TURN_ENABLED),
        c.string(PARLEY_TURN_HOST),
        c.integer(PARLEY_TURN_PORT, 0, 65535),
        Optional.ofNullable(external),
        c.string(PARLEY_TURN_RELAY_HOST),
        low,
        high,
        c.string(PARLEY_TURN_REALM),
        Optional.ofNullable(c.string(PARLEY_TURN_SECRET)),
        c.list(PARLEY_TURN_OLD_SECRETS),
        users,
        seconds(c, PARLEY_TURN_NONCE_LIFETIME, 10, 86_400),
        c.integer(PARLEY_TURN_MAX_ALLOCATIONS, 1, 1_000_000),
        c.integer(PARLEY_TURN_MAX_ALLOCATIONS_PER_USER, 1, 100_000),
        c.integer(PARLEY_TURN_MAX_BPS, 0, Integer.MAX_VALUE),
        allow);
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
    Vision vision = new Vision(
        c.bool(PARLEY_VISION_ENABLED),
        c.choice(PARLEY_VISION_MODEL, VisionModel.class),
        Optional.ofNullable(c.string(PARLEY_VISION_YOLO_FILE)).map(Path::of),
        c.choice(PARLEY_VISION_YOLO_LAYOUT, YoloLayout.class),
        c.integer(PARLEY_VISION_YOLO_SIZE, 32, 4096),
        Optional.ofNullable(c.string(PARLEY_VISION_YOLO_CLASSES)).map(Path::of),
        c.integer(PARLEY_VISION_WORKERS, 0, 64),
        c.integer(PARLEY_VISION_THREADS, 0, 256),
        Duration.ofMillis(c.integer(PARLEY_VISION_BATCH_WINDOW_MS, 0, 1000)),
        c.integer(PARLEY_VISION_MAX_BATCH, 1, 64),
        c.decimal(PARLEY_VISION_SCORE_THRESHOLD, 0.01, 0.99),
        c.decimal(PARLEY_VISION_IOU_THRESHOLD, 0.01, 0.99),
        c.choice(PARLEY_VISION_DEVICE, VisionDevice.class),
        c.bool(PARLEY_VISION_COMPILE),
        c.integer(PARLEY_PHOTO_MAX_BYTES, 1024, 256 * 1024 * 1024),
        c.integer(PARLEY_PHOTO_MAX_PIXELS, 1024, 500_000_000),
        c.integer(PARLEY_PHOTO_UPLOAD_MEMORY, 1024, Integer.MAX_VALUE),
        seconds(c, PARLEY_PHOTO_CACHE_TTL, 0, 30 * 86_400),
        Duration.ofDays(c.integer(PARLEY_MEAL_IMAGE_RETENTION, 1, 3650)));
    return new ParleyConfig(
        home, http, storage, auth, limits, turn, calls, voice, vision,
        Path.of(c.string(PARLEY_MODELS)).toAbsolutePath().normalize(),
        seconds(c, PARLEY_SHUTDOWN_TIMEOUT, 1, 600),
        c.choice(PARLEY_LOG_FORMAT, LogFormat.class));
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
