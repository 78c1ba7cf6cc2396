package io.parley.core;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The one exception type of Parley's core and its modules: a {@link Reason} tells callers what
 * went wrong without parsing messages. Asynchronous code fails its futures with it; it never
 * throws across an async boundary.
 */
public final class ParleyException extends RuntimeException {

  /** What went wrong, coarse enough to map onto a protocol status. */
  public enum Reason {
    /** A configuration key has an invalid value. */
    CONFIG,
    /** The request or message was malformed or failed validation. */
    INVALID,
    /** Credentials missing, wrong or expired. */
    UNAUTHENTICATED,
    /** Authenticated but not allowed. */
    FORBIDDEN,
    /** The thing asked for does not exist (or is not visible to the caller). */
    NOT_FOUND,
    /** The request conflicts with the current state. */
    CONFLICT,
    /** A limit was exceeded (rate, quota, size). */
    LIMITED,
    /** A dependency (database, cache, model) is unavailable. */
    UNAVAILABLE,
    /** A bug or an unexpected state. */
    INTERNAL
  }

  private final Reason reason;
  private final Duration retryAfter;
  private final String code;

  public ParleyException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason);
    this.retryAfter = null;
    this.code = null;
  }

  /**
   * A failure with a specific machine-readable code (e.g. {@code outside_join_window}) that
   * protocols report instead of the reason's generic one.
   */
  public ParleyException(Reason reason, String code, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason);
    this.retryAfter = null;
    this.code = Objects.requireNonNull(code);
  }

  public ParleyException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason);
    this.retryAfter = null;
    this.code = null;
  }

  private ParleyException(Reason reason, String code, String message, Duration retryAfter) {
    super(message);
    this.reason = reason;
    this.retryAfter = retryAfter;
    this.code = code;
  }

  /** A LIMITED failure that tells the caller when trying again can succeed. */
  public static ParleyException limited(String message, Duration retryAfter) {
    return new ParleyException(Reason.LIMITED, null, message, Objects.requireNonNull(retryAfter));
  }

  /**
   * An UNAVAILABLE failure with its {@code code} that tells the caller when trying again can succeed
   * (an engine's worker process died and is starting again: {@code engine_restarted}).
   */
  public static ParleyException unavailable(String code, String message, Duration retryAfter) {
    return new ParleyException(Reason.UNAVAILABLE, Objects.requireNonNull(code), message,
        Objects.requireNonNull(retryAfter));
  }

  /** When a LIMITED or UNAVAILABLE failure may be retried. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  public Reason reason() {
    return reason;
  }

  /** The specific code, when one was given. */
  public Optional<String> code() {
    return Optional.ofNullable(code);
  }
}
