package io.parley.api.infra;

import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expiring counters (fixed windows) shared by the cluster through Redis. When Redis cannot be
 * reached, counting degrades to this node's memory instead of failing requests: limits keep
 * holding, per node rather than cluster-wide, and {@link Count#degraded()} says so. After a Redis
 * failure the node stays local for {@link #RETRY_AFTER} before trying Redis again, so a dead Redis
 * does not add a connection attempt to every request.
 *
 * <p>Request rate limits use {@link #hit}: the first hit of a window on a node asks Redis, later
 * hits count on the node and are sent to Redis in one {@code INCRBY} every {@link #SYNC_INTERVAL}.
 * On one node that is exact; across N nodes a window can overshoot by what the other nodes counted
 * in the last interval. It saves a Redis round trip on every request.
 */
public final class Counters {

  private static final Logger LOG = LoggerFactory.getLogger(Counters.class);
  /** How long a Redis round trip may take before the node counts locally. */
  static final long REDIS_TIMEOUT_MS = 250;
  /** How long to stay local after a Redis failure. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  /** How often hits counted on this node are sent to Redis. */
  public static final Duration SYNC_INTERVAL = Duration.ofMillis(100);
  /** Bound on locally held counters; expired ones are swept when it is reached. */
  static final int MAX_LOCAL_COUNTERS = 100_000;

  /** Adds ARGV[2] to KEYS[1], starting a window of ARGV[1] ms if it has none; returns {count, ms left}. */
  private static final String ADD_SCRIPT = """
      local c = redis.call('INCRBY', KEYS[1], ARGV[2])
      local ttl = redis.call('PTTL', KEYS[1])
      if ttl < 0 then
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        ttl = tonumber(ARGV[1])
      end
      return {c, ttl}
      """;
  private static final String GET_SCRIPT = """
      local c = redis.call('GET', KEYS[1])
      if not c then return {0, 0} end
      return {tonumber(c), redis.call('PTTL', KEYS[1])}
      """;

  /** A counter's value and the milliseconds until its window resets. */
  public record Count(long value, long resetMillis, boolean degraded) {}

  private record Local(long value, long expiresAt) {}

  /** This node's view of one rate-limit window: the cluster count at the last sync, plus hits since. Opened by its first hit. */
  private static final class Window {
    final Duration length;
    long base;
    long pending;
    volatile long expiresAt;
    boolean syncing;
    /** Completed once the window's first hit has its count (until then, expiresAt is in the far future). */
    final io.vertx.core.Promise<Void> opened = io.vertx.core.Promise.promise();

    Window(Duration length, long base, long expiresAt) {
      this.length = length;
      this.base = base;
      this.expiresAt = expiresAt;
    }
  }

  private final RedisAPI redis;
  private final Map<String, Local> local = new ConcurrentHashMap<>();
  private final Map<String, Window> windows = new ConcurrentHashMap<>();
  private final AtomicLong redisDownUntil = new AtomicLong();

  public Counters(RedisAPI redis) {
    this.redis = redis;
  }

  /**
   * Counts one request in {@code key}'s window of {@code window}: the first hit of a window on this
   * node goes to Redis, the others are counted here and sent by {@link #sync()}. Hits that arrive
   * while the first one is at Redis wait for its answer and count on top of it, so that one node
   * is exact however many requests arrive at once.
   */
  public Future<Count> hit(String key, Duration window) {
    long now = System.currentTimeMillis();
    Window w = windows.get(key);
    if (w == null || w.expiresAt <= now) {
      Window opening = new Window(window, 0, Long.MAX_VALUE);
      w = windows.compute(key, (k, open) -> open == null || open.expiresAt <= now ? opening : open);
      if (w == opening) {
        return increment(key, window).map(c -> {
          synchronized (opening) {
            if (c.degraded()) {
              // Counted only here (Redis is away): the next successful sync carries it over.
              opening.pending = c.value();
            } else {
              opening.base = c.value();
            }
            opening.expiresAt = now + Math.max(1, c.resetMillis());
          }
          opening.opened.tryComplete();
          return c;
        }).onFailure(t -> {
          windows.remove(key, opening); // the next hit opens it again
          opening.opened.tryFail(t);
        });
      }
    }
    Window counted = w;
    return counted.opened.future().isComplete() ? Future.succeededFuture(local(counted))
        : counted.opened.future().map(v -> local(counted));
  }

  /** One more hit counted on this node in an open window. */
  private Count local(Window w) {
    long value;
    synchronized (w) {
      w.pending++;
      value = w.base + w.pending;
    }
    return new Count(value, Math.max(0, w.expiresAt - System.currentTimeMillis()), localMode());
  }

  /** Sends the hits counted on this node to Redis; call every {@link #SYNC_INTERVAL}. */
  public void sync() {
    long now = System.currentTimeMillis();
    windows.entrySet().removeIf(e -> e.getValue().expiresAt <= now);
    if (localMode()) {
      return;
    }
    windows.forEach((key, w) -> {
      long delta;
      synchronized (w) {
        if (w.pending == 0 || w.syncing) {
          return;
        }
        delta = w.pending;
        w.syncing = true;
      }
      redis.eval(List.of(ADD_SCRIPT, "1", key, Long.toString(w.length.toMillis()), Long.toString(delta)))
          .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .onComplete(ar -> {
            synchronized (w) {
              w.syncing = false;
              if (ar.succeeded()) {
                Count c = count(ar.result(), false);
                w.pending -= delta;
                w.base = c.value();
                w.expiresAt = System.currentTimeMillis() + Math.max(1, c.resetMillis());
              }
            }
            if (ar.failed()) {
              redisFailed(ar.cause());
            }
          });
    });
  }

  /** Adds one to {@code key}, starting a window of {@code window} if it had none. */
  public Future<Count> increment(String key, Duration window) {
    if (localMode()) {
      return Future.succeededFuture(localIncrement(key, window));
    }
    return redis.eval(List.of(ADD_SCRIPT, "1", key, Long.toString(window.toMillis()), "1"))
        .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(r -> count(r, false))
        .recover(t -> {
          redisFailed(t);
          return Future.succeededFuture(localIncrement(key, window));
        });
  }

  /** Current value of {@code key} (0 when absent). */
  public Future<Count> get(String key) {
    if (localMode()) {
      return Future.succeededFuture(localGet(key));
    }
    return redis.eval(List.of(GET_SCRIPT, "1", key))
        .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(r -> count(r, false))
        .recover(t -> {
          redisFailed(t);
          return Future.succeededFuture(localGet(key));
        });
  }

  /** Removes {@code key} everywhere it may be counted. */
  public Future<Void> reset(String key) {
    local.remove(key);
    if (localMode()) {
      return Future.succeededFuture();
    }
    return redis.del(List.of(key)).timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .<Void>mapEmpty()
        .recover(t -> {
          redisFailed(t);
          return Future.succeededFuture();
        });
  }

  private boolean localMode() {
    return System.currentTimeMillis() < redisDownUntil.get();
  }

  private void redisFailed(Throwable t) {
    long until = System.currentTimeMillis() + RETRY_AFTER.toMillis();
    if (redisDownUntil.getAndSet(until) < System.currentTimeMillis() - RETRY_AFTER.toMillis()) {
      LOG.warn("Redis unavailable ({}); counting rate limits on this node until it returns", t.toString());
    }
  }

  private static Count count(Response r, boolean degraded) {
    return new Count(r.get(0).toLong(), Math.max(0, r.get(1).toLong()), degraded);
  }

  private Count localIncrement(String key, Duration window) {
    long now = System.currentTimeMillis();
    if (local.size() >= MAX_LOCAL_COUNTERS) {
      local.values().removeIf(l -> l.expiresAt() <= now);
    }
    Local l = local.compute(key, (k, old) -> old == null || old.expiresAt() <= now
        ? new Local(1, now + window.toMillis())
        : new Local(old.value() + 1, old.expiresAt()));
    return new Count(l.value(), l.expiresAt() - now, true);
  }

  private Count localGet(String key) {
    long now = System.currentTimeMillis();
    Local l = local.get(key);
    if (l == null || l.expiresAt() <= now) {
      return new Count(0, 0, true);
    }
    return new Count(l.value(), l.expiresAt() - now, true);
  }

  /** Whether the last Redis attempt failed recently (for readiness and metrics). */
  public boolean degraded() {
    return localMode();
  }
}
