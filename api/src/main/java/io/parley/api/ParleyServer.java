package io.parley.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.parley.api.accounts.AccountsFeature;
import io.parley.api.accounts.AuditLog;
import io.parley.api.accounts.AuditOptions;
import io.parley.api.accounts.AuditRetention;
import io.parley.api.accounts.AuthService;
import io.parley.api.accounts.DataExport;
import io.parley.api.accounts.DeletedAccounts;
import io.parley.api.accounts.ExpertStore;
import io.parley.api.accounts.PasswordHasher;
import io.parley.api.accounts.RefreshTokenStore;
import io.parley.api.accounts.TokenService;
import io.parley.api.accounts.UserCache;
import io.parley.api.accounts.UserStore;
import io.parley.api.assistant.tools.ServerTools;
import io.parley.api.assistant.AssistantFeature;
import io.parley.api.assistant.AssistantOptions;
import io.parley.api.assistant.ConversationRetention;
import io.parley.api.assistant.context.PersonalPrompts;
import io.parley.api.assistant.VoiceOptions;
import io.parley.api.assistant.VoiceServices;
import io.parley.api.calls.CallOptions;
import io.parley.api.calls.CallService;
import io.parley.api.calls.CallStore;
import io.parley.api.calls.CallsFeature;
import io.parley.api.calls.signal.SignalHub;
import io.parley.api.cluster.ClusterBus;
import io.parley.api.http.ClientIp;
import io.parley.api.http.Feature;
import io.parley.api.http.Health;
import io.parley.api.http.HttpApi;
import io.parley.api.http.HttpListeners;
import io.parley.api.http.RateLimiter;
import io.parley.api.infra.Counters;
import io.parley.api.infra.Database;
import io.parley.api.infra.EmbeddedPostgresService;
import io.parley.api.infra.EmbeddedRedisService;
import io.parley.api.infra.EventLoopLag;
import io.parley.api.infra.NodeMetrics;
import io.parley.api.infra.Secrets;
import io.parley.api.infra.Storage;
import io.parley.api.meals.MealStore;
import io.parley.api.meals.MealsFeature;
import io.parley.api.meals.VisionOptions;
import io.parley.api.meals.foods.FoodOptions;
import io.parley.api.meals.foods.Foods;
import io.parley.core.Ids;
import io.parley.core.ParleyException.Reason;
import io.parley.core.ParleyException;
import io.parley.core.config.ParleyConfig;
import io.parley.media.turn.TurnOptions;
import io.parley.media.turn.TurnServer;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
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
      "vad/silero_vad_v5.onnx", "nanodet/model.json", "nanodet/nanodet.bin", "centernet/model.json",
      "centernet/centernet.bin");

  private final ParleyConfig config;
  private final FeatureOptions options;
  /** Things to close on stop, most recent first. */
  private final Deque<AutoCloseable> closers = new ArrayDeque<>();
  private EmbeddedPostgresService embeddedPostgres;
  private EmbeddedRedisService embeddedRedis;
  private Vertx vertx;
  private HttpServer http;
  private io.vertx.ext.web.Router router;
  private TurnServer turn;
  private String turnSecret;
  private CallService calls;
  private SignalHub signal;
  private AssistantFeature assistant;
  private io.parley.api.meals.VisionServices vision;
  private io.parley.api.engines.NativeEngines engines;
  private Pool pool;
  private boolean stopped;
  private final Thread shutdownHook = new Thread(this::close, "parley-node-shutdown");

  private ParleyServer(ParleyConfig config) {
    this.config = config;
    this.options = FeatureOptions.of(config);
  }

  /**
   * The settings each feature reads from the configuration's keys: parsed and validated before
   * anything starts, so that a bad value is a configuration error, not a half-started node.
   */
  public record FeatureOptions(Roles roles, TurnOptions turn, CallOptions calls, VoiceOptions voice,
                               AssistantOptions assistant, VisionOptions vision, FoodOptions foods,
                               AuditOptions audit, io.parley.api.engines.EngineOptions engines) {
    /** The options of {@code config}, with the engines of a role the node does not have turned off. */
    public static FeatureOptions of(ParleyConfig config) {
      Roles roles = Roles.from(config.source());
      VoiceOptions voice = VoiceOptions.from(config.source());
      VisionOptions vision = VisionOptions.from(config.source());
      TurnOptions turn = TurnOptions.from(config.source());
      CallOptions calls = CallOptions.from(config.source());
      if (!calls.turnUrls().isEmpty() && turn.secret().isEmpty()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_SECRET: required with PARLEY_CALL_TURN_URLS (the TURN "
            + "nodes there verify credentials with the same secret)");
      }
      return new FeatureOptions(roles, turn, calls, roles.has(Roles.Role.VOICE) ? voice : voice.withoutEngines(),
          AssistantOptions.from(config.source()), roles.has(Roles.Role.VISION) ? vision : vision.withoutDetector(),
          FoodOptions.from(config.source()), AuditOptions.from(config.source()),
          io.parley.api.engines.EngineOptions.from(config.source()));
    }
  }

  /** Starts a node; blocking (call from a main or test thread). Cleans up what it started on failure. */
  public static ParleyServer start(ParleyConfig config) {
    ParleyServer server = new ParleyServer(config);
    // A JVM that exits with the node still up stops it in order (clients and the cluster bus before the
    // embedded Redis and PostgreSQL), not through the libraries' own hooks, which stopped Redis under
    // open connections ("Connection reset" as an unhandled error at every SIGTERM).
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    try {
      server.boot();
      return server;
    } catch (RuntimeException | Error e) {
      server.close();
      throw e;
    }
  }

  /**
   * Holds the node's monitor, as {@link #close} does: a SIGTERM while the node starts closes it once
   * it has started, everything it started included (its closers are never drained while pushed).
   */
  private synchronized void boot() {
    Storage storage = Storage.start(config, closers);
    embeddedPostgres = storage.embeddedPostgres().orElse(null);
    embeddedRedis = storage.embeddedRedis().orElse(null);
    URI pgUrl = storage.pgUrl();
    URI redisUrl = storage.redisUrl();
    ParleyConfig.Storage storageSettings = config.storage();

    PrometheusMeterRegistry registry = NodeMetrics.registry();
    vertx = NodeMetrics.vertx(registry);
    closers.push(() -> vertx.close().await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));
    closers.push(EventLoopLag.start(vertx, registry));

    pool = Database.pool(vertx, pgUrl, storageSettings.pgPoolSize());
    Pool poolRef = pool;
    io.micrometer.core.instrument.Gauge.builder("parley.pg.pool.connections", poolRef, Pool::size)
        .description("PostgreSQL connections currently open by this node").register(registry);
    io.micrometer.core.instrument.Gauge.builder("parley.pg.pool.max", storageSettings, s -> s.pgPoolSize())
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
    UserCache userCache = new UserCache(bus, storageSettings.userCacheTtl());
    io.micrometer.core.instrument.FunctionCounter.builder("parley.user.cache.hits", userCache, UserCache::hits)
        .description("GET /api/v1/users/me answered from this node's cache").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("parley.user.cache.misses", userCache, UserCache::misses)
        .description("GET /api/v1/users/me read from PostgreSQL").register(registry);
    UserStore users = new UserStore(pool, userCache);
    RefreshTokenStore refreshTokens = new RefreshTokenStore(pool);
    ClientIp clientIp = new ClientIp(config.http().trustProxy());
    AuditLog audit = new AuditLog(pool, clientIp);
    options.audit().retention().ifPresent(days -> closers.push(new AuditRetention(vertx, pool, days, clock)));
    AuthService auth = new AuthService(config.auth(), users, refreshTokens, audit, counters, tokens, hasher,
        authWorkers, ids, clock);
    RateLimiter.Factory limits = new RateLimiter.Factory(config.rateLimits(), counters);
    Health health = new Health(pool, redis, config.models(), MODEL_FILES);

    long timeout = 60;
    Roles roles = options.roles();
    if (options.turn().enabled() && roles.has(Roles.Role.TURN)) {
      TurnNode.StartedTurn started = TurnNode.startTurn(options.turn(), config.home(), registry, clock);
      turn = started.server();
      turnSecret = started.secret();
      closers.push(turn);
    }
    if (!options.calls().turnUrls().isEmpty()) {
      turnSecret = options.turn().secret().orElseThrow();
    }
    CallStore callStore = new CallStore(pool);
    calls = new CallService(vertx, options.calls(), callStore, bus, ids, clock, Optional.ofNullable(turn),
        Optional.ofNullable(turnSecret), registry);
    closers.push(calls);
    // Account deletion, announced by the node that deletes and heard by every feature on every node.
    DeletedAccounts deleted = new DeletedAccounts(config.auth().accessTokenTtl(), bus);
    deleted.onDeleted(userCache::invalidateLocally);
    deleted.onDeleted(calls::accountDeleted);
    if (roles.has(Roles.Role.SIGNAL)) {
      signal = new SignalHub(vertx, options.calls(), tokens.jwt(), deleted, calls, callStore, bus, redis, registry);
    }

    MealStore meals = new MealStore(pool, ids);
    Foods foods = Foods.load(options.foods());
    ExpertStore experts = new ExpertStore(pool, userCache);
    // The native engines: in worker processes (each group's own, started in parallel and restarted when
    // one dies), or with PARLEY_ENGINE_ISOLATION=inline in this JVM.
    io.parley.api.engines.NativeEngines engines = io.parley.api.engines.EngineWorkers.start(options.engines(),
        config.source(), options.voice(), options.vision(), config.models(), registry);
    closers.push(engines);
    this.engines = engines;
    if (engines instanceof io.parley.api.engines.EngineWorkers workers) {
      health.engines(workers::states);
    }
    assistant = AssistantFeature.start(new AssistantFeature.Needs(vertx, config.models(), pool, redis, tokens.jwt(),
        deleted, ids, clock, registry, users, meals, foods, experts, calls, audit, clientIp,
        user -> limits.admit(RateLimiter.LimitClass.VOICE, user), engines), options.voice(), options.assistant(), closers);
    // Inline, after the voice engines, not before: libjllama's static initializers build std::regex
    // objects, and with libtorch (vision) loaded first they bind to libtorch's copies of those templates,
    // built for the other std::string ABI, and abort the process with std::bad_alloc (a native
    // backtrace shows it). Loading llama.cpp first is what makes one process hold both; worker
    // processes keep them apart.
    vision = io.parley.api.meals.VisionServices.start(vertx, options.vision(), engines);
    closers.push(vision);

    List<Feature> features = List.of(
        new AccountsFeature(auth, users, experts, new DataExport(pool), pool, clientIp, audit, calls, deleted),
        new CallsFeature(pool, calls, Optional.ofNullable(signal), users, ids),
        assistant,
        new MealsFeature(vertx, vision, redis, registry, meals, foods));
    HttpApi.Deps deps = new HttpApi.Deps(vertx, config, ids, tokens.jwt(), clientIp,
        limits, health, registry, options.vision(), options.voice().uploadMemory(), features);
    router = await(HttpApi.create(deps), timeout);
    http = HttpListeners.start(vertx, config.http(), router, features, config.shutdownTimeout(), closers).get(0);
    if (signal != null) {
      closers.push(signal);
    }

    long purge = vertx.setPeriodic(Duration.ofHours(1).toMillis(), id -> refreshTokens.purgeExpired()
        .onFailure(t -> LOG.warn("refresh token purge failed: {}", t.toString())));
    closers.push(() -> vertx.cancelTimer(purge));
    LOG.info("Parley listening on {} (roles {})", baseUrl(), roles);
  }

  static <T> T await(io.vertx.core.Future<T> f, long seconds) {
    try {
      return f.await(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "startup step timed out after " + seconds + " s", e);
    }
  }

  /** The configured secret, else one generated once into PARLEY_HOME/jwt.secret (mode 600). */
  private String jwtSecret() {
    return config.auth().jwtSecret().orElseGet(() -> Secrets.generated(config.home(), "jwt.secret", 48));
  }

  /** The port actually bound (differs from the configured one when that is 0). */
  /** The HTTP router: every route this node serves (the contract test lists them). */
  public io.vertx.ext.web.Router router() {
    return router;
  }

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

  /** Where this node's native engines run: its worker processes, or this JVM. */
  public io.parley.api.engines.NativeEngines engines() {
    return engines;
  }

  /** Expert calls of this node. */
  public CallService calls() {
    return calls;
  }

  /** This node's photo analysis (detector, decoder). */
  public io.parley.api.meals.VisionServices vision() {
    return vision;
  }

  /** The conversation retention purge, when PARLEY_CONVERSATION_RETENTION_DAYS is set. */
  public Optional<ConversationRetention> retention() {
    return assistant.retention();
  }

  /** The personal context every answer's prompt carries (for tests and benchmarks). */
  public PersonalPrompts personalPrompts() {
    return assistant.prompts();
  }

  /** The assistant's server tools (what its sessions run for their users). */
  public ServerTools serverTools() {
    return assistant.tools();
  }

  /** The voice engines of this node. */
  public VoiceServices voice() {
    return assistant.voice();
  }

  /** The signalling endpoint of this node (null on a node without the signal role). */
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
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // closing from a shutdown hook: this one
    }
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
