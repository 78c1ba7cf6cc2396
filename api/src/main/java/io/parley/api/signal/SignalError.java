package io.parley.api.signal;

/** Error codes of signalling {@code error} messages; the connection stays open after each. */
enum SignalError {
  BAD_JSON, UNKNOWN_TYPE, INVALID, TOO_LARGE, RATE_LIMITED, NOT_JOINED, NOT_FOUND, CALL_ENDED, UNAUTHENTICATED,
  UNAVAILABLE;

  String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
