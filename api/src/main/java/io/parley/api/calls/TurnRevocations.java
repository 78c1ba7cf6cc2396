package io.parley.api.calls;

import io.parley.api.accounts.DeletedAccounts;
import io.parley.api.cluster.ClusterBus;
import io.parley.media.turn.TurnServer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node's TURN server does when a call ends or an account is deleted, on whichever node:
 * cut the allocations of the call (or the user) and refuse their credentials until they expire.
 * The full node applies it from {@link CallService} and {@link DeletedAccounts}; an edge TURN node,
 * which has no PostgreSQL, from the cluster's broadcasts alone ({@link #apply(JsonObject)}), the same
 * messages those two publish.
 */
public final class TurnRevocations {

  private static final Logger LOG = LoggerFactory.getLogger(TurnRevocations.class);
  /** Broadcast type of an ended call; its {@code call} is the call's JSON. */
  static final String CALL_ENDED = "call-ended";
  /** TURN REST credentials of Parley live at most a day (a call's end): refuse a deleted user's that long. */
  private static final Duration LONGEST_CREDENTIALS = Duration.ofDays(1);

  private final TurnServer turn;
  private final Clock clock;
  private final Duration callLimit;

  /** {@code callLimit}: no call lasts longer than this from now (PARLEY_CALL_LIMIT). */
  public TurnRevocations(TurnServer turn, Clock clock, Duration callLimit) {
    this.turn = turn;
    this.clock = clock;
    this.callLimit = callLimit;
  }

  /** Cuts the call's allocations; its credentials expire at its end, unknown (deleted): the limit from now. */
  public int callEnded(UUID callId, Instant endsAt) {
    Instant until = endsAt == null ? clock.instant().plus(callLimit) : endsAt.plusSeconds(5);
    int cut = turn.revokeTag(callId.toString(), until);
    if (cut > 0) {
      LOG.info("call {}: {} TURN allocation(s) revoked on this node", callId, cut);
    }
    return cut;
  }

  /** Cuts the user's allocations and refuses their credentials. */
  public int userDeleted(UUID userId) {
    return turn.revokeUser(userId.toString(), clock.instant().plus(LONGEST_CREDENTIALS));
  }

  /**
   * Applies a message of {@link ClusterBus#BROADCAST} (an ended call or a deleted account; others
   * are not about TURN). Malformed messages are logged and ignored.
   */
  public void apply(JsonObject m) {
    try {
      switch (m.getString("t", "")) {
        case CALL_ENDED -> {
          Call c = CallService.fromJson(m.getJsonObject("call"));
          callEnded(c.id(), c.endsAt());
        }
        case DeletedAccounts.BROADCAST_TYPE -> userDeleted(UUID.fromString(m.getString("user")));
        default -> { }
      }
    } catch (RuntimeException e) {
      LOG.warn("malformed cluster broadcast: {}", e.toString());
    }
  }
}
