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

  public Ids(Clock clock, SecureRandom random) {
    this.clock = clock;
    this.random = random;
  }

  /** A UUIDv7: 48 bits of Unix milliseconds, version and variant bits, then random bits. */
  public UUID uuid7() {
    long millis = clock.millis();
    long randA = random.nextInt(1 << 12);
    long msb = (millis << 16) | (0x7L << 12) | randA;
    long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
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
