package io.parley.api.accounts;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accounts deleted on any node, remembered until every access token issued to them has expired.
 * Access tokens are stateless JWTs: a deleted account's token still verifies, and the WebSocket
 * endpoints (signalling, realtime voice) ask here before they open anything for it. REST routes need
 * no such check: they read the account, which is gone.
 */
public final class DeletedAccounts {

  /** The WebSocket close code of a socket whose account was deleted, on every endpoint (RFC 6455 §7.4). */
  public static final short CLOSE_CODE = 4003;

  /** Deadline (System.nanoTime) until which each deleted account's tokens are refused. */
  private final Map<UUID, Long> refusedUntil = new ConcurrentHashMap<>();
  private final Duration tokenTtl;

  public DeletedAccounts(Duration tokenTtl) {
    this.tokenTtl = tokenTtl;
  }

  /** Records a deletion (announced cluster-wide by the node that deleted the account). */
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
