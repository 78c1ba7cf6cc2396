package io.parley.api.calls;

/** Why a call ended; {@link #wire()} is what PostgreSQL, the REST API and {@code call-ended} carry. */
public enum EndReason {
  /** A party hung up (signalling {@code hangup} or {@code POST /calls/{id}/end}). */
  HANGUP("hangup"),
  /** The call's clock reached {@code ends_at}. */
  TIME_LIMIT("time_limit"),
  /** A party did not come back within the grace period. */
  DISCONNECTED("disconnected"),
  /** The appointment was cancelled. */
  CANCELLED("cancelled"),
  /** A party deleted their account. */
  DELETED("deleted");

  private final String wire;

  EndReason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The reason written {@code wire}; null for null (a call not ended). */
  public static EndReason of(String wire) {
    if (wire == null) {
      return null;
    }
    for (EndReason r : values()) {
      if (r.wire.equals(wire)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown call end reason: " + wire);
  }
}
