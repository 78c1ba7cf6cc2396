package io.parley.api.accounts;

import io.parley.api.cluster.ClusterBus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Account deletion as a cluster event. The node that deletes an account {@linkplain #announce
 * announces} it on the cluster bus; every node hears it and runs each feature's listener
 * ({@link #onDeleted}: signalling connections and realtime sessions close, TURN allocations are cut,
 * caches forget the account), and remembers the account until every access token issued to it has
 * expired: access tokens are stateless JWTs, so a deleted account's token still verifies, and the
 * WebSocket endpoints ask {@link #isDeleted} before they open anything for it. REST routes need no
 * such check: they read the account, which is gone. Edge TURN nodes read the same broadcast
 * ({@link #BROADCAST_TYPE}) without this class.
 */
public final class DeletedAccounts {

  private static final Logger LOG = LoggerFactory.getLogger(DeletedAccounts.class);

  /** The type of the {@link ClusterBus#BROADCAST} message of a deleted account; its {@code user} is the id. */
  public static final String BROADCAST_TYPE = "user-deleted";

  /** The WebSocket close code of a socket whose account was deleted, on every endpoint (RFC 6455 §7.4). */
  public static final short CLOSE_CODE = 4003;

  /** Deadline (System.nanoTime) until which each deleted account's tokens are refused. */
  private final Map<UUID, Long> refusedUntil = new ConcurrentHashMap<>();
  private final Duration tokenTtl;
  private final ClusterBus bus;
  private final List<Consumer<UUID>> listeners = new CopyOnWriteArrayList<>();

  /** Deletions of this node only (no cluster). */
  public DeletedAccounts(Duration tokenTtl) {
    this(tokenTtl, null);
  }

  /** Deletions announced on and heard from {@code bus}. */
  public DeletedAccounts(Duration tokenTtl, ClusterBus bus) {
    this.tokenTtl = tokenTtl;
    this.bus = bus;
    if (bus != null) {
      bus.subscribe(ClusterBus.BROADCAST, this::onBroadcast);
    }
  }

  /** Runs {@code listener} on this node for every deleted account, whichever node deleted it. */
  public void onDeleted(Consumer<UUID> listener) {
    listeners.add(listener);
  }

  /** The account {@code user} was deleted on this node: every node hears it. */
  public void announce(UUID user) {
    apply(user);
    if (bus != null) {
      bus.publish(ClusterBus.BROADCAST, new JsonObject().put("t", BROADCAST_TYPE).put("user", user.toString()))
          .onFailure(t -> LOG.warn("account {}: deletion not broadcast: {}", user, t.toString()));
    }
  }

  private void onBroadcast(JsonObject m) {
    if (!BROADCAST_TYPE.equals(m.getString("t")) || bus.nodeId().equals(m.getString("node"))) {
      return;
    }
    try {
      apply(UUID.fromString(m.getString("user")));
    } catch (RuntimeException e) {
      LOG.warn("malformed account deletion broadcast: {}", e.toString());
    }
  }

  private void apply(UUID user) {
    deleted(user);
    for (Consumer<UUID> l : listeners) {
      try {
        l.accept(user);
      } catch (RuntimeException e) {
        LOG.warn("account {}: a deletion listener failed: {}", user, e.toString());
      }
    }
  }

  /** Records a deletion: the account's tokens are refused until they expire. */
  public void deleted(UUID user) {
    long now = System.nanoTime();
    refusedUntil.put(user, now + tokenTtl.toNanos());
    refusedUntil.values().removeIf(until -> until - now <= 0);
  }

  /** Whether {@code user} was deleted while tokens issued to it may still be valid. */
  public boolean isDeleted(UUID user) {
    Long until = refusedUntil.get(user);
    return until != null && until - System.nanoTime() > 0;
  }
}
