package io.parley.api.calls.signal.protocol;

import java.util.Locale;

/** Error codes of signalling {@code error} messages; the connection stays open after each. */
public enum SignalError {
  BAD_JSON, UNKNOWN_TYPE, INVALID, TOO_LARGE, RATE_LIMITED, NOT_JOINED, NOT_FOUND, CALL_ENDED, UNAUTHENTICATED,
  UNAVAILABLE;

  /** The code as written in {@code error} messages. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
