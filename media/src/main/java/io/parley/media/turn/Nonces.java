package io.parley.media.turn;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless nonces (RFC 8489 §9.2): the expiry time and a MAC over it, so that any thread (and,
 * with a shared key, any node) can check a nonce without remembering it. A nonce the server made
 * that has expired is "stale"; one that does not verify is INVALID. The server answers 438 to both
 * (RFC 8489 §9.2.4: a nonce no longer valid), so a client with a forged or foreign nonce simply retries.
 */
public final class Nonces {

  /** The check of a presented nonce. */
  public enum Check { VALID, STALE, INVALID }

  private static final int MAC_BYTES = 12;
  private static final Base64.Encoder ENC = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DEC = Base64.getUrlDecoder();

  private final byte[] key;
  private final Duration lifetime;
  private final Clock clock;
  private final ThreadLocal<Mac> macs;

  public Nonces(byte[] key, Duration lifetime, Clock clock) {
    this.key = key.clone();
    this.lifetime = lifetime;
    this.clock = clock;
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(this.key, "HmacSHA256"));
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  public String issue() {
    long expiry = clock.millis() + lifetime.toMillis();
    ByteBuffer b = ByteBuffer.allocate(8 + MAC_BYTES);
    b.putLong(expiry);
    b.put(mac(expiry), 0, MAC_BYTES);
    return ENC.encodeToString(b.array());
  }

  public Check check(String nonce) {
    byte[] raw;
    try {
      raw = DEC.decode(nonce.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      return Check.INVALID;
    }
    if (raw.length != 8 + MAC_BYTES) {
      return Check.INVALID;
    }
    long expiry = ByteBuffer.wrap(raw, 0, 8).getLong();
    byte[] expected = new byte[MAC_BYTES];
    System.arraycopy(mac(expiry), 0, expected, 0, MAC_BYTES);
    byte[] presented = new byte[MAC_BYTES];
    System.arraycopy(raw, 8, presented, 0, MAC_BYTES);
    if (!MessageDigest.isEqual(expected, presented)) {
      return Check.INVALID;
    }
    return expiry > clock.millis() ? Check.VALID : Check.STALE;
  }

  private byte[] mac(long expiry) {
    return macs.get().doFinal(ByteBuffer.allocate(8).putLong(expiry).array());
  }
}
