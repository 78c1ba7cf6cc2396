package io.parley.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.parley.api.calls.CallOptions;
import io.parley.api.calls.TurnRevocations;
import io.parley.api.cluster.ClusterBus;
import io.parley.api.infra.NodeMetrics;
import io.parley.api.infra.Secrets;
import io.parley.core.Ids;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import io.parley.core.config.ParleyConfig;
import io.parley.media.turn.Nonces;
import io.parley.media.turn.PeerPolicy;
import io.parley.media.turn.TurnCredentials;
import io.parley.media.turn.TurnOptions;
import io.parley.media.turn.TurnServer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.redis.client.RedisOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An edge TURN node ({@code PARLEY_ROLES=turn}): the TURN/STUN server, and a small HTTP listener
 * for {@code /health/live}, {@code /health/ready} and {@code /metrics}; no PostgreSQL, no engines,
 * no API. It verifies TURN REST credentials with the shared secret ({@code PARLEY_TURN_SECRET}, the
 * API nodes' own), and with {@code PARLEY_REDIS_URL} hears the cluster's call ends and account
 * deletions ({@link ClusterBus#BROADCAST}) and cuts their allocations as every full node does.
 * Without Redis it runs standalone: credentials still expire at their call's end.
 */
public final class TurnNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TurnNode.class);

  /** Vert.x threads of an edge node: its HTTP listener and the Redis subscriber are all it runs. */
  private static final int EVENT_LOOPS = 1;
  private static final int WORKERS = 1;
  private static final long STARTUP_SECONDS = 60;

  /** The settings an edge node reads: TURN's, and the call limit (how long a revocation lasts). */
  public record Options(TurnOptions turn, CallOptions calls) {
    public static Options of(ConfigSource c) {
      TurnOptions turn = TurnOptions.from(c);
      if (!turn.enabled()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_ENABLED: a node with PARLEY_ROLES=turn needs TURN on");
      }
      return new Options(turn, CallOptions.from(c));
    }
  }

  private final ParleyConfig config;
  private final Options options;
  private final Deque<AutoCloseable> closers = new ArrayDeque<>();
  private Vertx vertx;
  private TurnServer turn;
  private ClusterBus bus;
  private HttpServer http;
  private boolean stopped;

  private TurnNode(ParleyConfig config) {
    this.config = config;
    this.options = Options.of(config.source());
  }

  /** Starts an edge node; blocking. Cleans up what it started on failure. */
  public static TurnNode start(ParleyConfig config) {
    TurnNode node = new TurnNode(config);
    try {
      node.boot();
      return node;
    } catch (RuntimeException | Error e) {
      node.close();
      throw e;
    }
  }

  private void boot() {
    long started = System.nanoTime();
    PrometheusMeterRegistry registry = NodeMetrics.registry();
    vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(EVENT_LOOPS).setWorkerPoolSize(WORKERS)
        .setInternalBlockingPoolSize(WORKERS)).build();
    closers.push(() -> vertx.close().await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));
    Clock clock = Clock.systemUTC();
    if (options.turn().secret().isEmpty()) {
      LOG.warn("turn node: no PARLEY_TURN_SECRET, using one generated into {}: only credentials minted with it "
          + "verify here, so set the API nodes' secret", config.home());
    }
    StartedTurn t = startTurn(options.turn(), config.home(), registry, clock);
    turn = t.server();
    closers.push(turn);
    TurnRevocations revocations = new TurnRevocations(turn, clock, options.calls().limit());
    Optional<URI> redisUrl = config.storage().redisUrl();
    if (redisUrl.isPresent()) {
      bus = new ClusterBus(vertx, new RedisOptions().setConnectionString(redisUrl.get().toString()),
          new Ids(clock, new SecureRandom()).uuid7().toString());
      bus.subscribe(ClusterBus.BROADCAST, revocations::apply);
      closers.push(bus);
      ParleyServer.await(bus.start(), STARTUP_SECONDS);
      LOG.info("turn node: hears call ends and revocations from Redis at {}",
          ConfigSource.redact(redisUrl.get().toString()));
    } else {
      LOG.info("turn node: standalone (no PARLEY_REDIS_URL): credentials end at their call's end, "
          + "ended calls are not cut earlier");
    }
    ParleyConfig.Http h = config.http();
    http = ParleyServer.await(vertx.createHttpServer().requestHandler(req -> serve(req, registry))
        .listen(h.port(), h.host()), STARTUP_SECONDS);
    closers.push(() -> http.close().await(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS));
    LOG.info("turn node: up in {} ms, health and metrics on {}:{}", (System.nanoTime() - started) / 1_000_000,
        h.host(), http.actualPort());
  }

  /** {@code /health/live}, {@code /health/ready} (TURN bound; Redis subscribed when configured), {@code /metrics}. */
  private void serve(HttpServerRequest req, PrometheusMeterRegistry registry) {
    switch (req.path()) {
      case "/health/live" -> req.response().putHeader("Content-Type", "application/json").end("{\"status\":\"up\"}");
      case "/health/ready" -> {
        String redis = bus == null ? "standalone" : bus.connected() ? "up" : "down";
        boolean up = !"down".equals(redis);
        req.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "no-store")
            .end("{\"status\":\"" + (up ? "ready" : "unavailable") + "\",\"checks\":{\"turn\":\"up\",\"redis\":\""
                + redis + "\"}}");
      }
      case "/metrics" -> vertx.executeBlocking(registry::scrape, false).onComplete(ar -> {
        if (ar.succeeded()) {
          req.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
        } else {
          req.response().setStatusCode(500).end();
        }
      });
      default -> req.response().setStatusCode(404).end();
    }
  }

  /** A started TURN server and the REST secret its credentials verify with (the current one). */
  record StartedTurn(TurnServer server, String secret) {}

  /**
   * TURN/STUN on its own Netty event loops (its data plane never touches Vert.x), one per core; the
   * secret is PARLEY_TURN_SECRET, else one generated once into {@code home}.
   */
  static StartedTurn startTurn(TurnOptions settings, Path home, MeterRegistry registry, Clock clock) {
    if (settings.secret().isEmpty()) {
      try {
        Files.createDirectories(home);
      } catch (IOException e) {
        throw new ParleyException(Reason.UNAVAILABLE, "cannot create " + home + ": " + e.getMessage(), e);
      }
      settings = settings.withSecret(Secrets.generated(home, "turn.secret", 32));
    }
    byte[] nonceKey = new byte[32];
    new SecureRandom().nextBytes(nonceKey);
    TurnCredentials credentials = new TurnCredentials(settings.realm(), settings.secrets(), settings.users(), clock);
    Nonces nonces = new Nonces(nonceKey, settings.nonceLifetime(), clock);
    PeerPolicy policy = PeerPolicy.ofThisHost(settings.allowPeers(), settings.externalAddresses());
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    TurnServer server = TurnServer.start(settings, credentials, nonces, policy, clock, registry, threads);
    return new StartedTurn(server, settings.secret().orElseThrow());
  }

  public TurnServer turn() {
    return turn;
  }

  /** The health and metrics listener's port. */
  public int httpPort() {
    return http.actualPort();
  }

  /** The cluster bus this node hears revocations on, when Redis is configured. */
  public Optional<ClusterBus> bus() {
    return Optional.ofNullable(bus);
  }

  /** Stops the listener, the Redis subscriber, TURN and Vert.x, in that order. */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    while (!closers.isEmpty()) {
      try {
        closers.pop().close();
      } catch (Exception e) {
        LOG.warn("while stopping: {}", e.toString());
      }
    }
    LOG.info("turn node stopped");
  }
}
