package io.parley.core;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.UUID;

/**
 * Identifier generation. Database keys are time-ordered UUIDs (version 7, RFC 9562) so that
 * B-tree inserts stay local; opaque secrets are 256 random bits in URL-safe base64.
 */
public final class Ids {

  private final Clock clock;
  private final SecureRandom random;
  /** The last id's high half: ids made by one instance increase strictly (RFC 9562 §6.2, method 1). */
  private final java.util.concurrent.atomic.AtomicLong lastMsb = new java.util.concurrent.atomic.AtomicLong();

  public Ids(Clock clock, SecureRandom random) {
    this.clock = clock;
    this.random = random;
  }

  /**
   * A UUIDv7: 48 bits of Unix milliseconds, version and variant bits, then random bits. Within one
   * millisecond (or when the clock steps back) the 12-bit counter after the version goes up by one
   * from the last id instead, so that rows keyed by these ids sort in the order they were made.
   */
  public UUID uuid7() {
    long fresh = (clock.millis() << 16) | (0x7L << 12) | random.nextInt(1 << 11);
    long msb = lastMsb.accumulateAndGet(fresh, (last, next) -> next > last ? next : next(last));
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }

  /** The high half after {@code last}: its counter plus one, or the next millisecond when it is full. */
  private static long next(long last) {
    return (last & 0xFFFL) == 0xFFFL ? (((last >>> 16) + 1) << 16) | (0x7L << 12) : last + 1;
  }

  /** A short id for requests and log correlation (96 random bits). */
  public String requestId() {
    byte[] bytes = new byte[12];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** An opaque bearer secret (256 random bits). */
  public String secret() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
