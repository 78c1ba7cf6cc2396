package io.parley.media.turn.codec;

import static io.parley.media.turn.codec.StunException.Reason.BAD_ATTRIBUTE;
import static io.parley.media.turn.codec.StunException.Reason.BAD_COOKIE;
import static io.parley.media.turn.codec.StunException.Reason.BAD_FINGERPRINT;
import static io.parley.media.turn.codec.StunException.Reason.BAD_INTEGRITY_ATTRIBUTE;
import static io.parley.media.turn.codec.StunException.Reason.BAD_LENGTH;
import static io.parley.media.turn.codec.StunException.Reason.NOT_STUN;
import static io.parley.media.turn.codec.StunException.Reason.TOO_LARGE;
import static io.parley.media.turn.codec.StunException.Reason.TRUNCATED;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Decodes STUN messages (RFC 8489 <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-5">§5</a>, <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-14">§14</a>).
 *
 * <p>The decoder checks framing, not meaning: header bits, cookie, lengths, that every attribute
 * fits, the size of MESSAGE-INTEGRITY, and FINGERPRINT's place and CRC. Attribute values are parsed
 * later, on demand, with {@link Attributes}; MESSAGE-INTEGRITY is checked with {@link
 * MessageIntegrity#verify} once the server knows the key.
 */
public final class StunDecoder {

  /** See {@link StunMessage#MAGIC_COOKIE}. */
  public static final int MAGIC_COOKIE = StunMessage.MAGIC_COOKIE;

  /** See {@link StunMessage#HEADER_SIZE}. */
  public static final int HEADER_SIZE = StunMessage.HEADER_SIZE;

  /** See {@link StunMessage#MAX_MESSAGE_SIZE}. */
  public static final int MAX_MESSAGE_SIZE = StunMessage.MAX_MESSAGE_SIZE;

  private static final int TYPE_TOP_BITS = 0xC000;
  private static final int COOKIE_OFFSET = 4;
  private static final int TRANSACTION_ID_OFFSET = 8;

  /** A typical request carries about half a dozen attributes. */
  private static final int INITIAL_ATTRIBUTES = 8;

  private StunDecoder() {}

  /**
   * Whether the readable bytes start like a STUN message: at least a header, the first two bits
   * zero and the magic cookie in place (RFC 8489 §5, RFC 7983 demultiplexing). The reader index is
   * not moved.
   *
   * @param buf the received bytes
   */
  public static boolean isStun(ByteBuf buf) {
    int i = buf.readerIndex();
    return buf.readableBytes() >= HEADER_SIZE
        && (buf.getUnsignedShort(i) & TYPE_TOP_BITS) == 0
        && buf.getInt(i + COOKIE_OFFSET) == MAGIC_COOKIE;
  }

  /**
   * Decodes one message starting at the reader index and moves the reader index past it; bytes
   * after the message (a datagram longer than the length field says) stay readable.
   *
   * <p>Attributes that follow MESSAGE-INTEGRITY are dropped, except MESSAGE-INTEGRITY-SHA256 and
   * FINGERPRINT; those that follow MESSAGE-INTEGRITY-SHA256 are dropped except FINGERPRINT (RFC
   * 8489 §14.5, §14.6). They are still checked to fit in the message.
   *
   * @param buf the received bytes
   * @return the message with its raw bytes
   * @throws StunException on malformed input; the reader index is then unchanged
   */
  public static StunMessage decode(ByteBuf buf) {
    int start = buf.readerIndex();
    int readable = buf.readableBytes();
    if (readable < HEADER_SIZE) {
      throw new StunException(TRUNCATED, readable + " bytes, shorter than a STUN header");
    }
    int type = buf.getUnsignedShort(start);
    if ((type & TYPE_TOP_BITS) != 0) {
      throw new StunException(NOT_STUN, "first two bits are not 00");
    }
    if (buf.getInt(start + COOKIE_OFFSET) != MAGIC_COOKIE) {
      throw new StunException(BAD_COOKIE, "no magic cookie");
    }
    int length = buf.getUnsignedShort(start + 2);
    if (length % 4 != 0) {
      throw new StunException(BAD_LENGTH, "length " + length + " is not a multiple of 4");
    }
    int size = HEADER_SIZE + length;
    if (size > MAX_MESSAGE_SIZE) {
      throw new StunException(TOO_LARGE, size + " bytes exceed " + MAX_MESSAGE_SIZE);
    }
    if (size > readable) {
      throw new StunException(
          TRUNCATED, "length says " + size + " bytes, " + readable + " present");
    }
    byte[] raw = new byte[size];
    buf.getBytes(start, raw);
    StunMessage message = parse(raw, type);
    buf.readerIndex(start + size);
    return message;
  }

  private static StunMessage parse(byte[] raw, int type) {
    byte[] txId = new byte[StunMessage.TRANSACTION_ID_SIZE];
    System.arraycopy(raw, TRANSACTION_ID_OFFSET, txId, 0, txId.length);

    List<StunAttribute> attributes = new ArrayList<>(INITIAL_ATTRIBUTES);
    int integrityOffset = -1;
    boolean afterIntegrity = false;
    boolean afterIntegritySha256 = false;
    boolean fingerprint = false;
    int end = raw.length;
    int pos = HEADER_SIZE;
    while (pos < end) {
      // pos and end are multiples of 4, so a whole attribute header is always present here.
      int attrType = u16(raw, pos);
      int attrLength = u16(raw, pos + 2);
      int valueStart = pos + StunAttribute.HEADER_SIZE;
      if (valueStart + attrLength > end) {
        throw new StunException(
            BAD_ATTRIBUTE,
            StunAttributeType.name(attrType) + " of " + attrLength + " bytes overruns the message");
      }
      if (fingerprint) {
        throw new StunException(BAD_FINGERPRINT, "FINGERPRINT is not the last attribute");
      }
      boolean keep;
      switch (attrType) {
        case StunAttributeType.MESSAGE_INTEGRITY -> {
          keep = !afterIntegrity && !afterIntegritySha256;
          if (keep) {
            if (attrLength != MessageIntegrity.SIZE) {
              throw new StunException(
                  BAD_INTEGRITY_ATTRIBUTE, "MESSAGE-INTEGRITY of " + attrLength + " bytes");
            }
            integrityOffset = pos;
            afterIntegrity = true;
          }
        }
        case StunAttributeType.MESSAGE_INTEGRITY_SHA256 -> {
          keep = !afterIntegritySha256;
          if (keep) {
            if (attrLength < MessageIntegrity.MIN_SHA256_SIZE
                || attrLength > MessageIntegrity.MAX_SHA256_SIZE
                || attrLength % 4 != 0) {
              throw new StunException(
                  BAD_INTEGRITY_ATTRIBUTE, "MESSAGE-INTEGRITY-SHA256 of " + attrLength + " bytes");
            }
            afterIntegritySha256 = true;
          }
        }
        case StunAttributeType.FINGERPRINT -> {
          if (attrLength != Fingerprint.SIZE) {
            throw new StunException(BAD_FINGERPRINT, "FINGERPRINT of " + attrLength + " bytes");
          }
          if (Fingerprint.compute(raw, pos) != s32(raw, valueStart)) {
            throw new StunException(BAD_FINGERPRINT, "FINGERPRINT does not match the CRC");
          }
          keep = true;
          fingerprint = true;
        }
        default -> keep = !afterIntegrity && !afterIntegritySha256;
      }
      if (keep) {
        byte[] value = new byte[attrLength];
        System.arraycopy(raw, valueStart, value, 0, attrLength);
        attributes.add(new StunAttribute(attrType, value));
      }
      pos = valueStart + StunAttribute.padded(attrLength);
    }
    return new StunMessage(
        StunMessage.methodOf(type),
        StunMessage.classOf(type),
        txId,
        Collections.unmodifiableList(attributes),
        raw,
        integrityOffset,
        fingerprint);
  }

  /**
   * The comprehension-required attribute types (below 0x8000) of a message that {@code known} does
   * not accept, each once, in message order. A server answers a request with any with 420 (Unknown
   * Attribute) listing them in UNKNOWN-ATTRIBUTES; an indication is dropped (RFC 8489 §6.3.1).
   *
   * @param m a decoded message
   * @param known the attribute types the server understands for this message
   */
  public static List<Integer> unknownComprehensionRequired(StunMessage m, IntPredicate known) {
    List<Integer> unknown = null;
    for (StunAttribute a : m.attributes()) {
      int type = a.type();
      if (StunAttributeType.comprehensionRequired(type) && !known.test(type)) {
        if (unknown == null) {
          unknown = new ArrayList<>(2);
        }
        if (!unknown.contains(type)) {
          unknown.add(type);
        }
      }
    }
    return unknown == null ? List.of() : Collections.unmodifiableList(unknown);
  }

  private static int u16(byte[] b, int i) {
    return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
  }

  private static int s32(byte[] b, int i) {
    return ((b[i] & 0xFF) << 24)
        | ((b[i + 1] & 0xFF) << 16)
        | ((b[i + 2] & 0xFF) << 8)
        | (b[i + 3] & 0xFF);
  }
}
