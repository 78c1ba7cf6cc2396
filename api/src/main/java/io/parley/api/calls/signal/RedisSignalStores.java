package io.parley.api.calls.signal;

import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signalling's state in Redis: the presence hash {@code parley:call:<id>:presence}, the outboxes
 * {@code parley:call:<id>:outbox:<role>} (both expire a minute after the call's end) and the
 * heartbeat keys {@code parley:node:<id>:alive} and {@code parley:node:<id>:beats}. Every round
 * trip gives up after {@link #TIMEOUT_MS}.
 */
final class RedisSignalStores {

  private static final Logger LOG = LoggerFactory.getLogger(RedisSignalStores.class);
  /** Redis round trips of signalling give up after this; joins then proceed without presence. */
  static final long TIMEOUT_MS = 2_000;

  private RedisSignalStores() {}

  private static String expireAt(Call call) {
    return Long.toString(call.endsAt().toEpochMilli() + 60_000);
  }

  private static Map<Role, String> roles(Response hash) {
    Map<Role, String> where = new EnumMap<>(Role.class);
    for (Role r : Role.values()) {
      Response v = hash == null ? null : hash.get(r.wire());
      if (v != null) {
        where.put(r, v.toString());
      }
    }
    return where;
  }

  /** The presence hash. */
  static final class Presence implements PresenceStore {
    private final RedisAPI redis;
    private final String nodeId;

    Presence(RedisAPI redis, String nodeId) {
      this.redis = redis;
      this.nodeId = nodeId;
    }

    private static String key(UUID callId) {
      return "parley:call:" + callId + ":presence";
    }

    @Override
    public Future<Map<Role, String>> present(Call call, Role role) {
      String key = key(call.id());
      return redis.hgetall(key).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .compose(before -> redis.hset(List.of(key, role.wire(), nodeId))
              .compose(v -> redis.pexpireat(List.of(key, expireAt(call))))
              .map(v -> roles(before)));
    }

    @Override
    public Future<Void> markAway(UUID callId, Role role) {
      return redis.hset(List.of(key(callId), role.wire(), AWAY)).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).mapEmpty();
    }

    @Override
    public Future<Map<Role, String>> read(UUID callId) {
      return redis.hgetall(key(callId)).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).map(RedisSignalStores::roles);
    }
  }

  /** The outbox lists; appends to one list are chained so that they keep their order. */
  static final class Outboxes implements Outbox {
    private static final String DRAIN_SCRIPT = """
        local v = redis.call('LRANGE', KEYS[1], 0, -1)
        redis.call('DEL', KEYS[1])
        return v
        """;
    private final RedisAPI redis;
    private final Map<String, Future<?>> chains = new ConcurrentHashMap<>();

    Outboxes(RedisAPI redis) {
      this.redis = redis;
    }

    private static String key(UUID callId, Role role) {
      return "parley:call:" + callId + ":outbox:" + role.wire();
    }

    @Override
    public void hold(Call call, Role to, JsonObject message) {
      String value = message.encode();
      chains.compute(key(call.id(), to), (k, previous) -> {
        Future<?> before = previous == null ? Future.succeededFuture() : previous;
        Future<?> next = before.transform(ignored -> redis.rpush(List.of(k, value))
            .compose(v -> redis.ltrim(k, Integer.toString(-MAX_MESSAGES), "-1"))
            .compose(v -> redis.pexpireat(List.of(k, expireAt(call))))
            .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .onFailure(t -> LOG.debug("call {}: message for an absent party dropped: {}", call.id(), t.toString())));
        next.onComplete(v -> chains.remove(k, next));
        return next;
      });
    }

    @Override
    public Future<List<JsonObject>> drain(Call call, Role role) {
      String key = key(call.id(), role);
      Future<?> pending = chains.getOrDefault(key, Future.succeededFuture());
      return pending.transform(ignored -> redis.eval(List.of(DRAIN_SCRIPT, "1", key)))
          .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).map(list -> {
            List<JsonObject> held = new ArrayList<>();
            if (list != null) {
              for (Response r : list) {
                try {
                  held.add(new JsonObject(r.toString()));
                } catch (RuntimeException e) {
                  LOG.debug("call {}: undecodable held message dropped: {}", call.id(), e.toString());
                }
              }
            }
            return held;
          });
    }
  }

  /** The heartbeat keys. */
  static final class Liveness implements NodeLiveness {
    /** A node's heartbeat key lives this long after its last renewal. */
    static final long TTL_MILLIS = 3 * HEARTBEAT_MILLIS;
    /** How long a node's "I keep a heartbeat" mark lives after its last renewal. */
    static final long MARK_SECONDS = 24 * 3600;
    private final RedisAPI redis;
    private final String nodeId;

    Liveness(RedisAPI redis, String nodeId) {
      this.redis = redis;
      this.nodeId = nodeId;
    }

    private static String aliveKey(String node) {
      return "parley:node:" + node + ":alive";
    }

    private static String markKey(String node) {
      return "parley:node:" + node + ":beats";
    }

    @Override
    public void beat() {
      redis.set(List.of(aliveKey(nodeId), "1", "PX", Long.toString(TTL_MILLIS)))
          .compose(v -> redis.set(List.of(markKey(nodeId), "1", "EX", Long.toString(MARK_SECONDS))))
          .onFailure(t -> LOG.debug("heartbeat not stored: {}", t.toString()));
    }

    @Override
    public Future<Void> stop() {
      return redis.del(List.of(aliveKey(nodeId), markKey(nodeId))).mapEmpty();
    }

    @Override
    public Future<Set<String>> silent(List<String> nodes) {
      List<String> keys = new ArrayList<>();
      for (String node : nodes) {
        keys.add(markKey(node));
        keys.add(aliveKey(node));
      }
      return redis.mget(keys).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).compose(values -> {
        if (values == null || values.size() != keys.size()) {
          return Future.failedFuture("unexpected reply to MGET of " + keys.size() + " keys");
        }
        Set<String> silent = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
          // It keeps a heartbeat (the mark is there) and missed it.
          if (values.get(2 * i) != null && values.get(2 * i + 1) == null) {
            silent.add(nodes.get(i));
          }
        }
        return Future.succeededFuture(silent);
      });
    }
  }
}
