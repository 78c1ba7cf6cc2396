package io.parley.api.accounts;

import io.parley.api.cluster.ClusterBus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-node cache of {@code GET /api/v1/users/me} bodies, the API's hottest read. Correctness comes
 * from invalidation, not from the TTL: every write of a user or profile invalidates the entry on
 * this node at once and on the other nodes through the {@link ClusterBus}. The cache is bypassed
 * while the bus is disconnected (an invalidation could be missed) and emptied when it reconnects;
 * the TTL only bounds what a lost broadcast could leave behind.
 *
 * <p>A read that raced an invalidation does not fill the cache: every invalidation advances an
 * epoch, and a value is stored only if the epoch has not moved since its read began.
 */
public final class UserCache {

  private static final Logger LOG = LoggerFactory.getLogger(UserCache.class);
  /** Entries kept at most; past it the cache starts over (cheap, and rare with a sane TTL). */
  static final int MAX_ENTRIES = 100_000;

  private record Entry(Buffer body, long expiresAtNanos) {}

  private final ClusterBus bus;
  private final long ttlNanos;
  private final Map<UUID, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong epoch = new AtomicLong();
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();

  public UserCache(ClusterBus bus, Duration ttl) {
    this.bus = bus;
    this.ttlNanos = ttl.toNanos();
    bus.subscribe(ClusterBus.BROADCAST, this::onBroadcast);
    bus.onConnected(this::clear);
  }

  public boolean enabled() {
    return ttlNanos > 0;
  }

  /** The epoch to pass to {@link #put}, read before the database read starts. */
  public long epoch() {
    return epoch.get();
  }

  /** The cached body, or null (disabled, bus down, absent, expired). */
  public Buffer get(UUID id) {
    if (ttlNanos == 0 || !bus.connected()) {
      return null;
    }
    Entry e = entries.get(id);
    if (e == null || e.expiresAtNanos - System.nanoTime() <= 0) {
      misses.incrementAndGet();
      return null;
    }
    hits.incrementAndGet();
    return e.body;
  }

  /** Stores a body read at {@code epochAtRead}, unless something was invalidated since. */
  public void put(UUID id, Buffer body, long epochAtRead) {
    if (ttlNanos == 0 || !bus.connected() || epoch.get() != epochAtRead) {
      return;
    }
    if (entries.size() >= MAX_ENTRIES) {
      entries.clear();
    }
    Entry entry = new Entry(body, System.nanoTime() + ttlNanos);
    entries.put(id, entry);
    if (epoch.get() != epochAtRead) {
      // An invalidation ran between the check and the put: the value may predate it.
      entries.remove(id, entry);
    }
  }

  /** A user or profile changed: forget it here and on every other node. */
  public void invalidate(UUID id) {
    invalidateLocally(id);
    if (ttlNanos > 0) {
      bus.publish(ClusterBus.BROADCAST, new JsonObject().put("t", "user-changed").put("user", id.toString()))
          .onFailure(t -> LOG.debug("user-changed not broadcast: {}", t.toString()));
    }
  }

  public void invalidateLocally(UUID id) {
    epoch.incrementAndGet();
    entries.remove(id);
  }

  private void clear() {
    epoch.incrementAndGet();
    entries.clear();
  }

  private void onBroadcast(JsonObject m) {
    if ("user-changed".equals(m.getString("t")) && !bus.nodeId().equals(m.getString("node"))) {
      try {
        invalidateLocally(UUID.fromString(m.getString("user")));
      } catch (RuntimeException e) {
        LOG.debug("malformed user-changed broadcast");
      }
    }
  }

  public long hits() {
    return hits.get();
  }

  public long misses() {
    return misses.get();
  }
}
