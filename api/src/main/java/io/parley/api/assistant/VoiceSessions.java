package io.parley.api.assistant;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realtime sessions of all nodes, in Redis, so that limits and resumes hold across a cluster:
 *
 * <ul>
 *   <li><b>Per-user cap</b> ({@code PARLEY_VOICE_MAX_SESSIONS_PER_USER}): each open session holds a
 *       lease in the sorted set {@code parley:voice:sessions:<user>} (member: session id, score: when
 *       the lease ends). Taking one is atomic (a script drops ended leases, counts, adds). Each node
 *       renews its own sessions' leases every {@link #RENEW_EVERY}; a node that dies leaves leases
 *       that end after {@link #LEASE} on their own.</li>
 *   <li><b>Resume anywhere</b>: a dropped session's state waits under {@code parley:voice:resume:<token>}
 *       for the grace period; a reconnect with that token, on any node behind the load balancer,
 *       takes it (get-and-delete: a token works once).</li>
 * </ul>
 *
 * When Redis cannot answer (within {@link #REDIS_TIMEOUT}), sessions are not refused for it: the
 * cap falls back to this node's own count, and resume to this node's own memory.
 */
final class VoiceSessions {

  private static final Logger LOG = LoggerFactory.getLogger(VoiceSessions.class);

  /** A session's lease; renewed well before it ends. */
  static final Duration LEASE = Duration.ofSeconds(90);
  static final Duration RENEW_EVERY = Duration.ofSeconds(30);
  static final Duration REDIS_TIMEOUT = Duration.ofSeconds(2);

  /** KEYS[1] the user's set; ARGV: now ms, lease end ms, max, session id, lease ms. 1 taken, 0 full. */
  private static final String ACQUIRE = """
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
      if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
      redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
      redis.call('PEXPIRE', KEYS[1], ARGV[5])
      return 1
      """;

  /** KEYS[1] the resume key: its value, deleted (Redis 6.2's GETDEL, in a form older servers run). */
  private static final String TAKE = """
      local v = redis.call('GET', KEYS[1])
      if v then redis.call('DEL', KEYS[1]) end
      return v
      """;

  private final Vertx vertx;
  private final RedisAPI redis;
  private final int maxPerUser;
  /** This node's sessions (id -> user), whose leases it renews. */
  private final Map<String, UUID> local = new ConcurrentHashMap<>();
  private final long timer;

  VoiceSessions(Vertx vertx, RedisAPI redis, int maxPerUser) {
    this.vertx = vertx;
    this.redis = redis;
    this.maxPerUser = maxPerUser;
    this.timer = vertx.setPeriodic(RENEW_EVERY.toMillis(), id -> renew());
  }

  private static String sessionsKey(UUID user) {
    return "parley:voice:sessions:" + user;
  }

  private static String resumeKey(String token) {
    return "parley:voice:resume:" + token;
  }

  /**
   * Takes a lease for a new session of {@code user}: true, or false when the user already has the
   * maximum open on all nodes. Empty when Redis could not say.
   */
  Future<Optional<Boolean>> acquire(UUID user, String sessionId) {
    long now = System.currentTimeMillis();
    return redis.eval(List.of(ACQUIRE, "1", sessionsKey(user), Long.toString(now), Long.toString(now + LEASE.toMillis()),
            Integer.toString(maxPerUser), sessionId, Long.toString(LEASE.toMillis())))
        .timeout(REDIS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(r -> {
          boolean taken = r != null && r.toInteger() == 1;
          if (taken) {
            local.put(sessionId, user);
          }
          return Optional.of(taken);
        })
        .otherwise(e -> {
          LOG.warn("voice: the cluster-wide session count is unavailable ({}); this node's own count applies",
              e.toString());
          return Optional.empty();
        });
  }

  /** Ends a session's lease at once. */
  void release(UUID user, String sessionId) {
    if (local.remove(sessionId) != null) {
      redis.zrem(List.of(sessionsKey(user), sessionId))
          .onFailure(e -> LOG.debug("voice: lease of {} not released ({}); it ends by itself", sessionId, e.toString()));
    }
  }

  private void renew() {
    long end = System.currentTimeMillis() + LEASE.toMillis();
    for (Map.Entry<String, UUID> e : local.entrySet()) {
      String key = sessionsKey(e.getValue());
      redis.zadd(List.of(key, "XX", Long.toString(end), e.getKey()))
          .compose(r -> redis.pexpire(List.of(key, Long.toString(LEASE.toMillis()))))
          .onFailure(x -> LOG.debug("voice: lease renewal failed: {}", x.toString()));
    }
  }

  /** Keeps a dropped session's state for {@code grace} under its resume token, for any node. */
  Future<Void> keep(String token, JsonObject state, Duration grace) {
    return redis.set(List.of(resumeKey(token), state.encode(), "PX", Long.toString(Math.max(1, grace.toMillis()))))
        .timeout(REDIS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).mapEmpty();
  }

  /**
   * The state kept under {@code token}, taken (a token works once): empty when there is none; a
   * failed future when Redis could not say.
   */
  Future<Optional<JsonObject>> take(String token) {
    return redis.eval(List.of(TAKE, "1", resumeKey(token)))
        .timeout(REDIS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(r -> Optional.ofNullable(r).map(Response::toString).map(JsonObject::new))
        .onFailure(e -> LOG.warn("voice: resume state unavailable from Redis ({}); this node's memory applies",
            e.toString()));
  }

  /** Stops renewing and releases this node's leases (shutdown). */
  void close() {
    vertx.cancelTimer(timer);
    for (Map.Entry<String, UUID> e : new ArrayList<>(local.entrySet())) {
      release(e.getValue(), e.getKey());
    }
  }
}
