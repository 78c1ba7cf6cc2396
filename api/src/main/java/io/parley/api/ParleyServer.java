package io.parley.api;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.parley.api.auth.AuthService;
import io.parley.api.auth.PasswordHasher;
import io.parley.api.auth.TokenService;
import io.parley.api.calls.CallService;
import io.parley.api.calls.CallStore;
import io.parley.api.cluster.ClusterBus;
import io.parley.api.signal.SignalHub;
import io.parley.api.voice.RealtimeEndpoint;
import io.parley.api.voice.VoiceServices;
import io.parley.api.voice.VoiceSetup;
import io.parley.api.http.Health;
import io.parley.api.http.HttpApi;
import io.parley.api.http.RateLimiter;
import io.parley.api.store.AuditLog;
import io.parley.api.store.Counters;
import io.parley.api.store.DataExport;
import io.parley.api.store.Database;
import io.parley.api.store.EmbeddedPostgresService;
import io.parley.api.store.EmbeddedRedisService;
import io.parley.api.store.ExpertStore;
import io.parley.api.store.HomeLock;
import io.parley.api.store.RefreshTokenStore;
import io.parley.api.store.ConversationStore;
import io.parley.api.store.UserCache;
import io.parley.api.store.UserStore;
import io.parley.core.Ids;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ParleyConfig;
import io.parley.media.turn.Nonces;
import io.parley.media.turn.PeerPolicy;
import io.parley.media.turn.TurnCredentials;
import io.parley.media.turn.TurnServer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Parley node: its storage (embedded or external), its Vert.x instance and HTTP server. Starts
 * in dependency order and stops in the reverse order, each step bounded by the shutdown timeout.
 */
public final class ParleyServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ParleyServer.class);

  /** Model files reported by readiness (paths under PARLEY_MODELS, as written by models/fetch). */
  public static final List<String> MODEL_FILES = List.of(
      "vad/silero_vad_v5.onnx", "nanodet/model.json", "nanodet/nanodet.bin");

  private final ParleyConfig config;
  /** Things to close on stop, most recent first. */
  private final Deque<AutoCloseable> closers = new ArrayDeque<>();
  private EmbeddedPostgresService embeddedPostgres;
  private EmbeddedRedisService embeddedRedis;
  private Vertx vertx;
  private HttpServer http;
  private TurnServer turn;
  private String turnSecret;
  private CallService calls;
  private SignalHub signal;
  private VoiceServices voice;
  private io.parley.api.vision.VisionServices vision;
  private ConversationStore conversations;
  private Pool pool;
  private boolean stopped;

  private ParleyServer(ParleyConfig config) {
    this.config = config;
  }

  /** Starts a node; blocking (call from a main or test thread). Cleans up what it started on failure. */
  public static ParleyServer start(ParleyConfig config) {
    ParleyServer server = new ParleyServer(config);
    try {
      server.boot();
      return server;
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
  }

  private void boot() {
    HomeLock lock = HomeLock.acquire(config.home());
    closers.push(lock);
    ParleyConfig.Storage storage = config.storage();

    URI pgUrl;
    if (storage.embeddedPostgres()) {
      embeddedPostgres = EmbeddedPostgresService.start(config.home(), storage.pgEmbeddedPort());
      closers.push(embeddedPostgres);
      pgUrl = embeddedPostgres.url();
      LOG.info("storage: embedded PostgreSQL (data in {})", embeddedPostgres.dataDirectory());
    } else {
      pgUrl = storage.pgUrl().orElseThrow();
      LOG.info("storage: external PostgreSQL at {}", ParleyConfig.redact(pgUrl.toString()));
    }
    URI redisUrl;
    if (storage.embeddedRedis()) {
      embeddedRedis = EmbeddedRedisService.start(config.home(), storage.redisEmbeddedPort());
      closers.push(embeddedRedis);
      redisUrl = embeddedRedis.url();
      LOG.info("cache: embedded Redis on port {}", embeddedRedis.port());
    } else {
      redisUrl = storage.redisUrl().orElseThrow();
      LOG.info("cache: external Redis at {}", ParleyConfig.redact(redisUrl.toString()));
    }
    Database.migrate(pgUrl);

    PrometheusMeterRegistry registry = metricsRegistry();
    // Vert.x keeps metrics backends in a static map by registry name: with the default name, every
    // further node in this JVM would report into the first node's registry and not its own.
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName("parley-" + java.util.UUID.randomUUID())
        .setJvmMetricsEnabled(false)
        .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME);
    vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    closers.push(() -> vertx.close().await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));

    pool = Database.pool(vertx, pgUrl, storage.pgPoolSize());
    Pool poolRef = pool;
    io.micrometer.core.instrument.Gauge.builder("parley.pg.pool.connections", poolRef, Pool::size)
        .description("PostgreSQL connections currently open by this node").register(registry);
    io.micrometer.core.instrument.Gauge.builder("parley.pg.pool.max", storage, s -> s.pgPoolSize())
        .description("Configured maximum PostgreSQL connections (PARLEY_PG_POOL_SIZE)").register(registry);
    closers.push(() -> pool.close().await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));
    RedisOptions redisOptions = new RedisOptions()
        .setConnectionString(redisUrl.toString())
        .setMaxPoolSize(16)
        .setMaxPoolWaiting(1024)
        .setPoolRecycleTimeout(15_000);
    Redis redisClient = Redis.createClient(vertx, redisOptions);
    closers.push(redisClient::close);
    RedisAPI redis = RedisAPI.api(redisClient);

    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    Ids ids = new Ids(clock, random);
    WorkerExecutor authWorkers = vertx.createSharedWorkerExecutor("parley-auth", config.auth().workers());
    closers.push(() -> authWorkers.close().await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));
    TokenService tokens = new TokenService(vertx, config.auth(), jwtSecret(), ids);
    PasswordHasher hasher = new PasswordHasher(config.auth().argon2(), random);
    Counters counters = new Counters(redis);
    long sync = vertx.setPeriodic(Counters.SYNC_INTERVAL.toMillis(), id -> counters.sync());
    closers.push(() -> vertx.cancelTimer(sync));
    io.micrometer.core.instrument.Gauge.builder("parley.ratelimit.degraded", counters, c -> c.degraded() ? 1 : 0)
        .description("1 while rate limits are counted locally because Redis is unreachable").register(registry);
    ClusterBus bus = new ClusterBus(vertx, redisOptions, ids.uuid7().toString());
    closers.push(bus);
    await(bus.start(), 60);
    UserCache userCache = new UserCache(bus, storage.userCacheTtl());
    io.micrometer.core.instrument.FunctionCounter.builder("parley.user.cache.hits", userCache, UserCache::hits)
        .description("GET /api/v1/users/me answered from this node's cache").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("parley.user.cache.misses", userCache, UserCache::misses)
        .description("GET /api/v1/users/me read from PostgreSQL").register(registry);
    UserStore users = new UserStore(pool, userCache);
    RefreshTokenStore refreshTokens = new RefreshTokenStore(pool);
    AuditLog audit = new AuditLog(pool);
    AuthService auth = new AuthService(config.auth(), users, refreshTokens, audit, counters, tokens, hasher,
        authWorkers, ids, clock);
    Health health = new Health(pool, redis, config.models(), MODEL_FILES);

    long timeout = 60;
    if (config.turn().enabled()) {
      turn = startTurn(registry);
      closers.push(turn);
    }
    CallStore callStore = new CallStore(pool);
    calls = new CallService(vertx, config.calls(), callStore, bus, ids, clock, Optional.ofNullable(turn),
        Optional.ofNullable(turnSecret), registry);
    closers.push(calls);
    calls.onUserDeleted(userCache::invalidateLocally);
    signal = new SignalHub(vertx, config.calls(), tokens.jwt(), config.auth().accessTokenTtl(), calls, callStore, bus, redis, registry);

    voice = VoiceSetup.start(vertx, config, registry);
    vision = io.parley.api.vision.VisionServices.start(vertx, config);
    closers.push(vision);
    conversations = new ConversationStore(pool, ids);
    closers.push(voice);
    HttpApi.Deps deps = new HttpApi.Deps(vertx, config, ids, tokens.jwt(), auth, users, new ExpertStore(pool, userCache),
        new DataExport(pool), pool, new RateLimiter.Factory(config.rateLimits(), counters), health, registry, calls, voice,
        conversations, vision, redis);
    var router = await(HttpApi.create(deps), timeout);
    ParleyConfig.Voice voiceConfig = config.voice();
    RealtimeEndpoint realtime = new RealtimeEndpoint(vertx, tokens.jwt(), conversations,
        (context, settings, events, conversationId, history, inputRate, outputRate) -> voice.session(vertx, context,
            voiceConfig, settings, events, conversations, conversationId, history, inputRate, outputRate),
        voiceConfig, registry, redis);
    closers.push(realtime::close);
    calls.onUserDeleted(realtime::userDeleted);
    HttpServerOptions httpOptions = new HttpServerOptions();
    if (config.http().tls()) {
      httpOptions.setSsl(true).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
          .setCertPath(config.http().tlsCert().orElseThrow().toString())
          .setKeyPath(config.http().tlsKey().orElseThrow().toString()));
    }
    httpOptions
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setCompressionSupported(true)
        .setMaxHeaderSize(16 * 1024)
        .setIdleTimeout(120)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxWebSocketFrameSize(SignalHub.MAX_FRAME_BYTES)
        .setMaxWebSocketMessageSize(SignalHub.MAX_FRAME_BYTES)
        // Browsers open /v1/realtime with the subprotocols ["realtime", "openai-insecure-api-key.<token>"]
        // (the token rides on the second) and refuse a handshake that selects none: select "realtime".
        .setWebSocketSubProtocols(java.util.List.of("realtime"));
    // One server per event loop on the same port: Vert.x spreads connections over them, so HTTP
    // and WebSockets use every core (a single server would keep them all on one event loop).
    int loops = config.http().eventLoops() > 0 ? config.http().eventLoops()
        : Math.max(1, Runtime.getRuntime().availableProcessors());
    // Servers share a port only when they ask for the same one: pick a free port for "0" first.
    int port = config.http().port();
    if (port == 0 && loops > 1) {
      try {
        port = io.parley.api.store.FreePort.pick();
      } catch (IOException e) {
        throw new ParleyException(Reason.UNAVAILABLE, "no free port for HTTP: " + e.getMessage(), e);
      }
    }
    for (int i = 0; i < loops; i++) {
      HttpServer server = vertx.createHttpServer(new HttpServerOptions(httpOptions).setPort(port))
          .requestHandler(router)
          .webSocketHandshakeHandler(h -> {
            if (SignalHub.PATH.equals(h.path())) {
              signal.handshake(h);
            } else if (RealtimeEndpoint.PATH.equals(h.path())) {
              realtime.handshake(h);
            } else {
              h.reject(404);
            }
          })
          .webSocketHandler(ws -> { });
      await(server.listen(), timeout);
      if (i == 0) {
        http = server;
      }
      closers.push(() -> server.shutdown(config.shutdownTimeout().toMillis() / 2, TimeUnit.MILLISECONDS)
          .await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));
    }
    closers.push(signal);

    long purge = vertx.setPeriodic(Duration.ofHours(1).toMillis(), id -> refreshTokens.purgeExpired()
        .onFailure(t -> LOG.warn("refresh token purge failed: {}", t.toString())));
    closers.push(() -> vertx.cancelTimer(purge));
    LOG.info("Parley listening on {}", baseUrl());
  }

  /** TURN/STUN on its own Netty event loops (its data plane never touches Vert.x). */
  private TurnServer startTurn(PrometheusMeterRegistry registry) {
    ParleyConfig.Turn settings = config.turn();
    if (settings.secret().isEmpty()) {
      settings = settings.withSecret(generatedSecret("turn.secret", 32));
    }
    turnSecret = settings.secret().orElseThrow();
    byte[] nonceKey = new byte[32];
    new SecureRandom().nextBytes(nonceKey);
    Clock clock = Clock.systemUTC();
    TurnCredentials credentials = new TurnCredentials(settings.realm(), settings.secrets(), settings.users(), clock);
    Nonces nonces = new Nonces(nonceKey, settings.nonceLifetime(), clock);
    PeerPolicy policy = new PeerPolicy(settings.allowPeers(), localAddresses());
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    return TurnServer.start(settings, credentials, nonces, policy, registry, threads);
  }

  /** This host's addresses: relaying to them would reach the server itself. */
  private static Set<InetAddress> localAddresses() {
    Set<InetAddress> out = new HashSet<>();
    try {
      for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
        out.addAll(java.util.Collections.list(nic.getInetAddresses()));
      }
    } catch (java.net.SocketException e) {
      LOG.warn("cannot list network interfaces: {}", e.toString());
    }
    return out;
  }

  /** A secret generated once into PARLEY_HOME/{@code name} (mode 600) and read back after. */
  private String generatedSecret(String name, int bytes) {
    Path file = config.home().resolve(name);
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      byte[] raw = new byte[bytes];
      new SecureRandom().nextBytes(raw);
      String secret = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, secret, StandardCharsets.UTF_8);
      return secret;
    } catch (IOException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "cannot read or create " + file + ": " + e.getMessage(), e);
    }
  }

  private static <T> T await(io.vertx.core.Future<T> f, long seconds) {
    try {
      return f.await(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "startup step timed out after " + seconds + " s", e);
    }
  }

  private static PrometheusMeterRegistry metricsRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Latency histograms (Prometheus buckets) for HTTP server timings, so p50/p99 can be computed.
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getName().equals("vertx.http.server.response.time")) {
          return DistributionStatisticConfig.builder().percentilesHistogram(true)
              .minimumExpectedValue(1e5).maximumExpectedValue(3e10).build().merge(config);
        }
        return config;
      }
    });
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    return registry;
  }

  /** The configured secret, else one generated once into PARLEY_HOME/jwt.secret (mode 600). */
  private String jwtSecret() {
    return config.auth().jwtSecret().orElseGet(() -> generatedSecret("jwt.secret", 48));
  }

  /** The port actually bound (differs from the configured one when that is 0). */
  public int httpPort() {
    return http.actualPort();
  }

  public String baseUrl() {
    return config.http().publicUrl().orElse((config.http().tls() ? "https" : "http") + "://localhost:" + httpPort());
  }

  public Vertx vertx() {
    return vertx;
  }

  public Pool pool() {
    return pool;
  }

  public ParleyConfig config() {
    return config;
  }

  /** Expert calls of this node. */
  public CallService calls() {
    return calls;
  }

  /** The voice engines of this node. */
  /** This node's photo analysis (detector, decoder). */
  public io.parley.api.vision.VisionServices vision() {
    return vision;
  }

  public VoiceServices voice() {
    return voice;
  }

  /** The signalling endpoint of this node. */
  public SignalHub signal() {
    return signal;
  }

  /** The TURN server, when enabled. */
  public Optional<TurnServer> turn() {
    return Optional.ofNullable(turn);
  }

  /** The embedded PostgreSQL, when this node runs one. */
  public Optional<EmbeddedPostgresService> embeddedPostgres() {
    return Optional.ofNullable(embeddedPostgres);
  }

  /** The embedded Redis, when this node runs one. */
  public Optional<EmbeddedRedisService> embeddedRedis() {
    return Optional.ofNullable(embeddedRedis);
  }

  /** Drains HTTP, then closes clients, Vert.x, the embedded services and the home lock, in that order. */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    long start = System.nanoTime();
    while (!closers.isEmpty()) {
      AutoCloseable c = closers.pop();
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("while stopping: {}", e.toString());
      }
    }
    LOG.info("Parley stopped in {} ms", (System.nanoTime() - start) / 1_000_000);
  }
}
