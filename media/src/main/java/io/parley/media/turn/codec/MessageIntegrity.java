package io.parley.media.turn.codec;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * MESSAGE-INTEGRITY (RFC 8489 <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-14.5">§14.5</a>): an HMAC-SHA1 over the
 * message up to the attribute before MESSAGE-INTEGRITY, computed with the header's length field
 * pretending that MESSAGE-INTEGRITY is the last attribute. The keys come from the credential
 * mechanisms of RFC 8489 §9.
 *
 * <p>{@link Mac} instances are kept per thread: creating one is far dearer than the HMAC of a
 * 100-byte message. The Netty event loops that call this are long-lived platform threads.
 */
public final class MessageIntegrity {

  /** The size of the MESSAGE-INTEGRITY value, an HMAC-SHA1 (RFC 8489 §14.5). */
  public static final int SIZE = 20;

  /** The MESSAGE-INTEGRITY attribute on the wire: header and value. */
  public static final int ATTRIBUTE_SIZE = StunAttribute.HEADER_SIZE + SIZE;

  /** The smallest MESSAGE-INTEGRITY-SHA256 value (RFC 8489 §14.6). */
  public static final int MIN_SHA256_SIZE = 16;

  /** The largest MESSAGE-INTEGRITY-SHA256 value (RFC 8489 §14.6). */
  public static final int MAX_SHA256_SIZE = 32;

  private static final String HMAC_SHA1 = "HmacSHA1";
  private static final int LENGTH_FIELD_OFFSET = 2;

  private static final ThreadLocal<Mac> MAC =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance(HMAC_SHA1);
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("HmacSHA1 is mandatory in every JDK", e);
            }
          });

  private static final ThreadLocal<MessageDigest> MD5 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("MD5");
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("MD5 is mandatory in every JDK", e);
            }
          });

  private MessageIntegrity() {}

  /**
   * The long-term credential key (RFC 8489 §9.2.2 with PASSWORD-ALGORITHM MD5, the only one RFC
   * 8656 clients send): {@code MD5(username ":" realm ":" password)} over UTF-8.
   *
   * <p>RFC 8489 passes realm and password through the OpaqueString profile (RFC 8265; RFC 5389 used
   * SASLprep). That is not applied here: the JDK has no PRECIS or SASLprep, and for the credentials
   * Parley issues - ASCII usernames of the "expiry:user" REST-API form, base64 passwords, an ASCII
   * realm from configuration - both profiles are the identity, so a library would change nothing. A
   * client that prepared a non-ASCII password differently from its user would fail to authenticate;
   * callers holding such passwords must pass the prepared form (the tests do this for the RFC 5769
   * vector, whose "The&#xAD;M&#xAA;tr&#x2168;" is prepared to "TheMatrIX").
   *
   * @param username the USERNAME value as received
   * @param realm the REALM value
   * @param password the password, already prepared if it is not plain ASCII
   * @return the 16-byte key
   */
  public static byte[] longTermKey(String username, String realm, String password) {
    MessageDigest md5 = MD5.get();
    md5.reset();
    return md5.digest((username + ":" + realm + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The short-term credential key (RFC 8489 §9.1.1): the password's UTF-8 bytes, OpaqueString not
   * applied (see {@link #longTermKey}). ICE uses this with the remote password.
   *
   * @param password the password
   */
  public static byte[] shortTermKey(String password) {
    return password.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Checks the MESSAGE-INTEGRITY of a decoded message in constant time.
   *
   * @param decoded a message from {@link StunDecoder#decode}
   * @param key the key for its USERNAME (and REALM), see {@link #longTermKey}
   * @return true if the HMAC matches; false if it does not, if there is no MESSAGE-INTEGRITY, if
   *     the message was not decoded, or if the key is empty
   */
  public static boolean verify(StunMessage decoded, byte[] key) {
    byte[] raw = decoded.rawUnsafe();
    int offset = decoded.integrityOffset();
    if (raw == null || offset < 0 || key == null || key.length == 0) {
      return false;
    }
    byte[] expected = compute(key, raw, offset);
    byte[] actual =
        Arrays.copyOfRange(raw, offset + StunAttribute.HEADER_SIZE, offset + ATTRIBUTE_SIZE);
    return MessageDigest.isEqual(expected, actual);
  }

  /**
   * The MESSAGE-INTEGRITY value for {@code message[0..integrityOffset)}: the HMAC-SHA1 of those
   * bytes with the header's length field replaced by {@code integrityOffset - 20 + 24}, so that it
   * ends with the MESSAGE-INTEGRITY attribute (RFC 8489 §14.5). {@code message} is not modified.
   *
   * @param key the HMAC key, not empty
   * @param message the message bytes, header first
   * @param integrityOffset where the MESSAGE-INTEGRITY attribute's header starts (or would start)
   */
  public static byte[] compute(byte[] key, byte[] message, int integrityOffset) {
    if (integrityOffset < StunMessage.HEADER_SIZE || integrityOffset > message.length) {
      throw new IllegalArgumentException("bad integrity offset " + integrityOffset);
    }
    Mac mac = init(key);
    int length = adjustedLength(integrityOffset);
    mac.update(message, 0, LENGTH_FIELD_OFFSET);
    mac.update((byte) (length >>> 8));
    mac.update((byte) length);
    int rest = LENGTH_FIELD_OFFSET + 2;
    mac.update(message, rest, integrityOffset - rest);
    return mac.doFinal();
  }

  /**
   * As {@link #compute(byte[], byte[], int)} over a buffer holding the message at {@code start};
   * the buffer and its indices are not modified.
   *
   * @param key the HMAC key, not empty
   * @param buf the buffer
   * @param start where the message header starts
   * @param integrityOffset where the MESSAGE-INTEGRITY attribute's header starts, relative to start
   */
  public static byte[] compute(byte[] key, ByteBuf buf, int start, int integrityOffset) {
    Mac mac = init(key);
    int length = adjustedLength(integrityOffset);
    mac.update(buf.nioBuffer(start, LENGTH_FIELD_OFFSET));
    mac.update((byte) (length >>> 8));
    mac.update((byte) length);
    int rest = LENGTH_FIELD_OFFSET + 2;
    mac.update(buf.nioBuffer(start + rest, integrityOffset - rest));
    return mac.doFinal();
  }

  private static int adjustedLength(int integrityOffset) {
    return integrityOffset - StunMessage.HEADER_SIZE + ATTRIBUTE_SIZE;
  }

  private static Mac init(byte[] key) {
    if (key == null || key.length == 0) {
      // SecretKeySpec refuses empty keys; no credential mechanism produces one.
      throw new IllegalArgumentException("empty MESSAGE-INTEGRITY key");
    }
    Mac mac = MAC.get();
    try {
      mac.init(new SecretKeySpec(key, HMAC_SHA1));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 refused a raw key", e);
    }
    return mac;
  }
}
