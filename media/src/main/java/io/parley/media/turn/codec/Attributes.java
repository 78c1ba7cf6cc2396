package io.parley.media.turn.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Builds and parses the values of the attributes a TURN server uses.
 *
 * <p>Parsing methods take a received {@link StunAttribute}, check its length and contents, and
 * throw {@link StunException} with {@link StunException.Reason#BAD_VALUE} when it is malformed: the
 * server answers 400 (Bad Request). Building methods take values from our own code and throw {@link
 * IllegalArgumentException} on values the protocol cannot carry.
 *
 * <p>Range checks that are protocol decisions rather than syntax are left to the server, which must
 * answer them with a specific error: a channel number outside 0x4000..0x7FFF (400, RFC 8656 §12.2),
 * a transport other than UDP (442, RFC 8656 §7.2), an address family it does not offer (440).
 */
public final class Attributes {

  /** Address family IPv4 in address attributes and REQUESTED-ADDRESS-FAMILY (RFC 8489 §14.1). */
  public static final int FAMILY_IPV4 = 0x01;

  /** Address family IPv6 in address attributes and REQUESTED-ADDRESS-FAMILY (RFC 8489 §14.1). */
  public static final int FAMILY_IPV6 = 0x02;

  /** The value size of an IPv4 (XOR-)MAPPED-ADDRESS: reserved, family, port, 4 address bytes. */
  public static final int IPV4_ADDRESS_VALUE_SIZE = 8;

  /** The value size of an IPv6 (XOR-)MAPPED-ADDRESS: reserved, family, port, 16 address bytes. */
  public static final int IPV6_ADDRESS_VALUE_SIZE = 20;

  /** REQUESTED-TRANSPORT protocol number of UDP, the only one RFC 8656 §18.8 allows. */
  public static final int PROTOCOL_UDP = 17;

  /** REQUESTED-TRANSPORT protocol number of TCP (RFC 6062), which Parley answers with 442. */
  public static final int PROTOCOL_TCP = 6;

  /**
   * The longest USERNAME accepted, in UTF-8 bytes. RFC 8489 §14.3 asks senders for fewer than 509
   * bytes, RFC 5389 §15.3 for fewer than 513; a receiver lenient towards older clients accepts 513.
   */
  public static final int MAX_USERNAME_BYTES = 513;

  /**
   * The longest REALM, NONCE, SOFTWARE and ERROR-CODE reason phrase, in UTF-8 bytes: fewer than 128
   * characters, "which can be as long as 763 bytes" (RFC 8489 §14.8, §14.9, §14.10, §14.14).
   */
  public static final int MAX_TEXT_BYTES = 763;

  /** The smallest ERROR-CODE: class 3 (RFC 8489 §14.8). */
  public static final int MIN_ERROR_CODE = 300;

  /** The largest ERROR-CODE: class 6, number 99 (RFC 8489 §14.8). */
  public static final int MAX_ERROR_CODE = 699;

  /** The size of ERROR-CODE's fixed part: 21 reserved bits, class, number (RFC 8489 §14.8). */
  public static final int ERROR_CODE_HEADER_SIZE = 4;

  /** The size of a 32-bit attribute value: LIFETIME, PRIORITY, CHANNEL-NUMBER and the like. */
  public static final int UINT32_SIZE = 4;

  /** The size of a 64-bit attribute value: ICE-CONTROLLED, ICE-CONTROLLING. */
  public static final int UINT64_SIZE = 8;

  /** The size of EVEN-PORT's value (RFC 8656 §18.7). */
  public static final int EVEN_PORT_SIZE = 1;

  /** The size of RESERVATION-TOKEN's value (RFC 8656 §18.10). */
  public static final int RESERVATION_TOKEN_SIZE = 8;

  private static final int MAX_UINT16 = 0xFFFF;
  private static final long MAX_UINT32 = 0xFFFF_FFFFL;
  private static final int EVEN_PORT_R_BIT = 0x80;
  private static final int IPV4_SIZE = 4;
  private static final int IPV6_SIZE = 16;

  private Attributes() {}

  // --- addresses (RFC 8489 §14.1, §14.2) ---

  /**
   * An XOR-encoded address attribute: XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS
   * (RFC 8489 §14.2). The port is XORed with the cookie's top 16 bits, an IPv4 address with the
   * cookie, an IPv6 address with the cookie followed by the transaction id.
   *
   * @param type the attribute type
   * @param addr a resolved address
   * @param txId the message's 12-byte transaction id
   */
  public static StunAttribute xorAddress(int type, InetSocketAddress addr, byte[] txId) {
    byte[] v = address(addr);
    xor(v, txId);
    return new StunAttribute(type, v);
  }

  /**
   * Parses an XOR-encoded address attribute (RFC 8489 §14.2), IPv4 or IPv6.
   *
   * @param a an XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS or XOR-RELAYED-ADDRESS
   * @param txId the message's 12-byte transaction id
   * @throws StunException BAD_VALUE on an unknown family or a length that does not match it
   */
  public static InetSocketAddress xorAddress(StunAttribute a, byte[] txId) {
    checkTransactionId(txId);
    byte[] v = a.value().clone();
    checkAddressValue(a, v);
    xor(v, txId);
    return toSocketAddress(v);
  }

  /**
   * A plain address attribute such as MAPPED-ADDRESS or ALTERNATE-SERVER (RFC 8489 §14.1).
   *
   * @param type the attribute type
   * @param addr a resolved address
   */
  public static StunAttribute address(int type, InetSocketAddress addr) {
    return new StunAttribute(type, address(addr));
  }

  /**
   * Parses a plain address attribute (RFC 8489 §14.1).
   *
   * @param a a MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN or OTHER-ADDRESS
   * @throws StunException BAD_VALUE on an unknown family or a length that does not match it
   */
  public static InetSocketAddress address(StunAttribute a) {
    byte[] v = a.value();
    checkAddressValue(a, v);
    return toSocketAddress(v);
  }

  private static byte[] address(InetSocketAddress addr) {
    Objects.requireNonNull(addr, "addr");
    InetAddress ip = addr.getAddress();
    if (ip == null) {
      throw new IllegalArgumentException("unresolved address: " + addr);
    }
    byte[] raw = ip.getAddress();
    byte[] v = new byte[4 + raw.length];
    // v[0] is the reserved byte: zero.
    v[1] = (byte) (ip instanceof Inet4Address ? FAMILY_IPV4 : FAMILY_IPV6);
    v[2] = (byte) (addr.getPort() >>> 8);
    v[3] = (byte) addr.getPort();
    System.arraycopy(raw, 0, v, 4, raw.length);
    return v;
  }

  private static void checkAddressValue(StunAttribute a, byte[] v) {
    int family = v.length >= 2 ? v[1] & 0xFF : -1;
    boolean ok =
        (family == FAMILY_IPV4 && v.length == IPV4_ADDRESS_VALUE_SIZE)
            || (family == FAMILY_IPV6 && v.length == IPV6_ADDRESS_VALUE_SIZE);
    if (!ok) {
      throw bad(a, "family " + family + " with " + v.length + " bytes");
    }
  }

  /** XORs port and address in place (RFC 8489 §14.2); the same operation encodes and decodes. */
  private static void xor(byte[] v, byte[] txId) {
    checkTransactionId(txId);
    int cookie = StunMessage.MAGIC_COOKIE;
    // Port and IPv4 address: with the cookie, most significant byte first.
    v[2] ^= (byte) (cookie >>> 24);
    v[3] ^= (byte) (cookie >>> 16);
    for (int i = 0; i < IPV4_SIZE; i++) {
      v[4 + i] ^= (byte) (cookie >>> (24 - 8 * i));
    }
    // IPv6: the remaining 12 bytes with the transaction id.
    for (int i = IPV4_SIZE; i < v.length - 4; i++) {
      v[4 + i] ^= txId[i - IPV4_SIZE];
    }
  }

  private static InetSocketAddress toSocketAddress(byte[] v) {
    int port = ((v[2] & 0xFF) << 8) | (v[3] & 0xFF);
    byte[] ip = new byte[v.length - 4];
    System.arraycopy(v, 4, ip, 0, ip.length);
    try {
      // Inet6Address keeps an IPv4-mapped IPv6 address in the IPv6 family, as the attribute says.
      InetAddress address =
          ip.length == IPV4_SIZE
              ? InetAddress.getByAddress(ip)
              : Inet6Address.getByAddress(null, ip, -1);
      return new InetSocketAddress(address, port);
    } catch (UnknownHostException e) {
      throw new AssertionError("checked length " + ip.length, e);
    }
  }

  private static void checkTransactionId(byte[] txId) {
    Objects.requireNonNull(txId, "txId");
    if (txId.length != StunMessage.TRANSACTION_ID_SIZE) {
      throw new IllegalArgumentException("transaction id must be 12 bytes, not " + txId.length);
    }
  }

  // --- ERROR-CODE (RFC 8489 §14.8) ---

  /**
   * An ERROR-CODE attribute.
   *
   * @param code 300..699
   * @param reason the reason phrase (null for none), at most {@link #MAX_TEXT_BYTES} in UTF-8
   */
  public static StunAttribute errorCode(int code, String reason) {
    if (code < MIN_ERROR_CODE || code > MAX_ERROR_CODE) {
      throw new IllegalArgumentException("error code out of range 300..699: " + code);
    }
    byte[] text = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
    if (text.length > MAX_TEXT_BYTES) {
      throw new IllegalArgumentException("reason phrase longer than " + MAX_TEXT_BYTES + " bytes");
    }
    byte[] v = new byte[ERROR_CODE_HEADER_SIZE + text.length];
    v[2] = (byte) (code / 100);
    v[3] = (byte) (code % 100);
    System.arraycopy(text, 0, v, ERROR_CODE_HEADER_SIZE, text.length);
    return new StunAttribute(StunAttributeType.ERROR_CODE, v);
  }

  /**
   * The error code of an ERROR-CODE attribute: class * 100 + number (RFC 8489 §14.8).
   *
   * @throws StunException BAD_VALUE when shorter than 4 bytes, or the class is not 3..6 or the
   *     number not 0..99
   */
  public static int errorCode(StunAttribute a) {
    byte[] v = a.value();
    if (v.length < ERROR_CODE_HEADER_SIZE) {
      throw bad(a, "shorter than " + ERROR_CODE_HEADER_SIZE + " bytes");
    }
    int errorClass = v[2] & 0x07;
    int number = v[3] & 0xFF;
    int code = errorClass * 100 + number;
    if (number > 99 || code < MIN_ERROR_CODE || code > MAX_ERROR_CODE) {
      throw bad(a, "class " + errorClass + " number " + number);
    }
    return code;
  }

  /**
   * The reason phrase of an ERROR-CODE attribute (RFC 8489 §14.8).
   *
   * @throws StunException BAD_VALUE when shorter than 4 bytes, not UTF-8 or too long
   */
  public static String errorReason(StunAttribute a) {
    byte[] v = a.value();
    if (v.length < ERROR_CODE_HEADER_SIZE) {
      throw bad(a, "shorter than " + ERROR_CODE_HEADER_SIZE + " bytes");
    }
    if (v.length - ERROR_CODE_HEADER_SIZE > MAX_TEXT_BYTES) {
      throw bad(a, "reason phrase longer than " + MAX_TEXT_BYTES + " bytes");
    }
    return utf8(a, v, ERROR_CODE_HEADER_SIZE, v.length - ERROR_CODE_HEADER_SIZE);
  }

  // --- ADDRESS-ERROR-CODE (RFC 8656 §18.13) ---

  /**
   * An ADDRESS-ERROR-CODE attribute: why the relayed address of one family could not be allocated
   * while the other was. Laid out as ERROR-CODE with the family in the first byte, so {@link
   * #errorCode(StunAttribute)} and {@link #errorReason(StunAttribute)} read it too.
   *
   * @param family {@link #FAMILY_IPV4} or {@link #FAMILY_IPV6}
   * @param code 300..699
   * @param reason the reason phrase, at most {@link #MAX_TEXT_BYTES} in UTF-8
   */
  public static StunAttribute addressErrorCode(int family, int code, String reason) {
    byte[] v = errorCode(code, reason).value();
    v[0] = (byte) family;
    return new StunAttribute(StunAttributeType.ADDRESS_ERROR_CODE, v);
  }

  /**
   * The family of an ADDRESS-ERROR-CODE attribute (RFC 8656 §18.13).
   *
   * @throws StunException BAD_VALUE when shorter than 4 bytes
   */
  public static int addressErrorFamily(StunAttribute a) {
    if (a.value().length < ERROR_CODE_HEADER_SIZE) {
      throw bad(a, "shorter than " + ERROR_CODE_HEADER_SIZE + " bytes");
    }
    return a.value()[0] & 0xFF;
  }

  // --- numbers ---

  /**
   * An attribute holding one unsigned 32-bit number: LIFETIME, PRIORITY.
   *
   * @param type the attribute type
   * @param value 0..2^32-1
   */
  public static StunAttribute uint32(int type, long value) {
    if (value < 0 || value > MAX_UINT32) {
      throw new IllegalArgumentException("not an unsigned 32-bit value: " + value);
    }
    byte[] v = new byte[UINT32_SIZE];
    putInt(v, 0, (int) value);
    return new StunAttribute(type, v);
  }

  /**
   * The unsigned 32-bit number of a 4-byte attribute.
   *
   * @throws StunException BAD_VALUE when the value is not 4 bytes
   */
  public static long uint32(StunAttribute a) {
    checkLength(a, UINT32_SIZE);
    return getInt(a.value(), 0) & MAX_UINT32;
  }

  /**
   * An attribute holding one 64-bit number: ICE-CONTROLLED, ICE-CONTROLLING (RFC 8445 §7.1.3).
   *
   * @param type the attribute type
   * @param value any 64 bits
   */
  public static StunAttribute uint64(int type, long value) {
    byte[] v = new byte[UINT64_SIZE];
    putInt(v, 0, (int) (value >>> 32));
    putInt(v, 4, (int) value);
    return new StunAttribute(type, v);
  }

  /**
   * The 64 bits of an 8-byte attribute.
   *
   * @throws StunException BAD_VALUE when the value is not 8 bytes
   */
  public static long uint64(StunAttribute a) {
    checkLength(a, UINT64_SIZE);
    return ((long) getInt(a.value(), 0) << 32) | (getInt(a.value(), 4) & MAX_UINT32);
  }

  /**
   * A LIFETIME attribute (RFC 8656 §18.2).
   *
   * @param seconds 0..2^32-1; 0 in a Refresh request deletes the allocation
   */
  public static StunAttribute lifetime(long seconds) {
    return uint32(StunAttributeType.LIFETIME, seconds);
  }

  /**
   * A CHANNEL-NUMBER attribute: the number, then 16 RFFU bits (RFC 8656 §18.1).
   *
   * @param channel {@link ChannelData#MIN_CHANNEL}..{@link ChannelData#MAX_CHANNEL}
   */
  public static StunAttribute channelNumber(int channel) {
    if (channel < ChannelData.MIN_CHANNEL || channel > ChannelData.MAX_CHANNEL) {
      throw new IllegalArgumentException(
          String.format("channel 0x%04X outside 0x4000..0x7FFF", channel));
    }
    byte[] v = new byte[UINT32_SIZE];
    v[0] = (byte) (channel >>> 8);
    v[1] = (byte) channel;
    return new StunAttribute(StunAttributeType.CHANNEL_NUMBER, v);
  }

  /**
   * The channel number of a CHANNEL-NUMBER attribute, 0..0xFFFF, RFFU ignored (RFC 8656 §18.1). Not
   * range-checked: a number outside 0x4000..0x7FFF is the server's 400 (RFC 8656 §12.2).
   *
   * @throws StunException BAD_VALUE when the value is not 4 bytes
   */
  public static int channelNumber(StunAttribute a) {
    checkLength(a, UINT32_SIZE);
    byte[] v = a.value();
    return ((v[0] & 0xFF) << 8) | (v[1] & 0xFF);
  }

  /**
   * A REQUESTED-TRANSPORT attribute: the protocol, then 24 RFFU bits (RFC 8656 §18.8).
   *
   * @param protocol an IP protocol number 0..255, normally {@link #PROTOCOL_UDP}
   */
  public static StunAttribute requestedTransport(int protocol) {
    return firstByte(StunAttributeType.REQUESTED_TRANSPORT, protocol);
  }

  /**
   * The protocol number of a REQUESTED-TRANSPORT attribute (RFC 8656 §18.8): {@link #PROTOCOL_UDP}
   * or anything else, which the server answers with 442.
   *
   * @throws StunException BAD_VALUE when the value is not 4 bytes
   */
  public static int requestedTransport(StunAttribute a) {
    checkLength(a, UINT32_SIZE);
    return a.value()[0] & 0xFF;
  }

  /**
   * A REQUESTED-ADDRESS-FAMILY attribute: the family, then 24 reserved bits (RFC 8656 §18.6).
   *
   * @param family {@link #FAMILY_IPV4} or {@link #FAMILY_IPV6} (other values for tests)
   */
  public static StunAttribute requestedAddressFamily(int family) {
    return firstByte(StunAttributeType.REQUESTED_ADDRESS_FAMILY, family);
  }

  /**
   * The family of a REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY attribute (RFC 8656
   * §18.6, §18.11): {@link #FAMILY_IPV4}, {@link #FAMILY_IPV6}, or anything else (the server's
   * 440).
   *
   * @throws StunException BAD_VALUE when the value is not 4 bytes
   */
  public static int requestedAddressFamily(StunAttribute a) {
    checkLength(a, UINT32_SIZE);
    return a.value()[0] & 0xFF;
  }

  /**
   * An ADDITIONAL-ADDRESS-FAMILY attribute: the family, then 24 reserved bits (RFC 8656 §18.11).
   *
   * @param family {@link #FAMILY_IPV6} (other values for tests)
   */
  public static StunAttribute additionalAddressFamily(int family) {
    return firstByte(StunAttributeType.ADDITIONAL_ADDRESS_FAMILY, family);
  }

  private static StunAttribute firstByte(int type, int value) {
    if (value < 0 || value > 0xFF) {
      throw new IllegalArgumentException("not a byte: " + value);
    }
    byte[] v = new byte[UINT32_SIZE];
    v[0] = (byte) value;
    return new StunAttribute(type, v);
  }

  /**
   * An EVEN-PORT attribute (RFC 8656 §18.7).
   *
   * @param reserveNext the R bit: reserve the next-higher port too
   */
  public static StunAttribute evenPort(boolean reserveNext) {
    return new StunAttribute(
        StunAttributeType.EVEN_PORT, new byte[] {(byte) (reserveNext ? EVEN_PORT_R_BIT : 0)});
  }

  /**
   * The R bit of an EVEN-PORT attribute (RFC 8656 §18.7); the 7 RFFU bits are ignored.
   *
   * @throws StunException BAD_VALUE when the value is not 1 byte
   */
  public static boolean evenPort(StunAttribute a) {
    checkLength(a, EVEN_PORT_SIZE);
    return (a.value()[0] & EVEN_PORT_R_BIT) != 0;
  }

  /**
   * A RESERVATION-TOKEN attribute (RFC 8656 §18.10).
   *
   * @param token 8 bytes; copied
   */
  public static StunAttribute reservationToken(byte[] token) {
    if (token.length != RESERVATION_TOKEN_SIZE) {
      throw new IllegalArgumentException("reservation token must be 8 bytes: " + token.length);
    }
    return new StunAttribute(StunAttributeType.RESERVATION_TOKEN, token.clone());
  }

  /**
   * The token of a RESERVATION-TOKEN attribute (RFC 8656 §18.10), a copy.
   *
   * @throws StunException BAD_VALUE when the value is not 8 bytes
   */
  public static byte[] reservationToken(StunAttribute a) {
    checkLength(a, RESERVATION_TOKEN_SIZE);
    return a.value().clone();
  }

  /**
   * An attribute without value: DONT-FRAGMENT (RFC 8656 §18.9), USE-CANDIDATE (RFC 8445 §7.1.2).
   *
   * @param type the attribute type
   */
  public static StunAttribute flag(int type) {
    return new StunAttribute(type, new byte[0]);
  }

  // --- text (RFC 8489 §14.3, §14.9, §14.10, §14.14) ---

  /**
   * A UTF-8 text attribute: USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN. No OpaqueString or
   * quoted-string processing is applied; see {@link MessageIntegrity#longTermKey}.
   *
   * @param type the attribute type
   * @param utf8 the text, within {@link #maxTextBytes(int)} once encoded
   */
  public static StunAttribute string(int type, String utf8) {
    byte[] v = utf8.getBytes(StandardCharsets.UTF_8);
    int max = maxTextBytes(type);
    if (v.length > max) {
      throw new IllegalArgumentException(
          StunAttributeType.name(type) + " longer than " + max + " bytes: " + v.length);
    }
    return new StunAttribute(type, v);
  }

  /**
   * The text of a UTF-8 text attribute.
   *
   * @throws StunException BAD_VALUE when longer than {@link #maxTextBytes(int)} or not valid UTF-8
   */
  public static String string(StunAttribute a) {
    byte[] v = a.value();
    int max = maxTextBytes(a.type());
    if (v.length > max) {
      throw bad(a, "longer than " + max + " bytes");
    }
    return utf8(a, v, 0, v.length);
  }

  /**
   * The longest value of a text attribute, in bytes: {@link #MAX_USERNAME_BYTES} for USERNAME,
   * {@link #MAX_TEXT_BYTES} for REALM, NONCE and SOFTWARE, the attribute limit otherwise.
   *
   * @param type the attribute type
   */
  public static int maxTextBytes(int type) {
    return switch (type) {
      case StunAttributeType.USERNAME -> MAX_USERNAME_BYTES;
      case StunAttributeType.REALM, StunAttributeType.NONCE, StunAttributeType.SOFTWARE ->
          MAX_TEXT_BYTES;
      default -> StunAttribute.MAX_VALUE_LENGTH;
    };
  }

  private static String utf8(StunAttribute a, byte[] v, int offset, int length) {
    try {
      // Strict: a replacement character would silently change a USERNAME used to look up a key.
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(v, offset, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw bad(a, "not UTF-8");
    }
  }

  // --- UNKNOWN-ATTRIBUTES (RFC 8489 §14.13) ---

  /**
   * An UNKNOWN-ATTRIBUTES attribute listing 16-bit types; the encoder pads an odd count.
   *
   * @param types attribute types 0..0xFFFF
   */
  public static StunAttribute unknownAttributes(int... types) {
    byte[] v = new byte[2 * types.length];
    for (int i = 0; i < types.length; i++) {
      if (types[i] < 0 || types[i] > MAX_UINT16) {
        throw new IllegalArgumentException("attribute type out of range: " + types[i]);
      }
      v[2 * i] = (byte) (types[i] >>> 8);
      v[2 * i + 1] = (byte) types[i];
    }
    return new StunAttribute(StunAttributeType.UNKNOWN_ATTRIBUTES, v);
  }

  /**
   * The types listed in an UNKNOWN-ATTRIBUTES attribute.
   *
   * @throws StunException BAD_VALUE when the length is odd
   */
  public static int[] unknownAttributes(StunAttribute a) {
    byte[] v = a.value();
    if (v.length % 2 != 0) {
      throw bad(a, "odd length " + v.length);
    }
    int[] types = new int[v.length / 2];
    for (int i = 0; i < types.length; i++) {
      types[i] = ((v[2 * i] & 0xFF) << 8) | (v[2 * i + 1] & 0xFF);
    }
    return types;
  }

  // --- DATA (RFC 8656 §18.4) ---

  /**
   * A DATA attribute with a copy of the buffer's readable bytes. Neither the reader index nor the
   * reference count of {@code data} changes: the caller still owns and releases it.
   *
   * @param data the application data, at most {@link StunAttribute#MAX_VALUE_LENGTH} bytes
   */
  public static StunAttribute data(ByteBuf data) {
    return new StunAttribute(
        StunAttributeType.DATA,
        ByteBufUtil.getBytes(data, data.readerIndex(), data.readableBytes(), true));
  }

  /**
   * A DATA attribute holding this array, not copied.
   *
   * @param data the application data, at most {@link StunAttribute#MAX_VALUE_LENGTH} bytes
   */
  public static StunAttribute data(byte[] data) {
    return new StunAttribute(StunAttributeType.DATA, data);
  }

  // --- helpers ---

  private static void checkLength(StunAttribute a, int expected) {
    if (a.value().length != expected) {
      throw bad(a, a.value().length + " bytes instead of " + expected);
    }
  }

  private static StunException bad(StunAttribute a, String what) {
    return new StunException(
        StunException.Reason.BAD_VALUE, StunAttributeType.name(a.type()) + ": " + what);
  }

  private static void putInt(byte[] v, int offset, int x) {
    v[offset] = (byte) (x >>> 24);
    v[offset + 1] = (byte) (x >>> 16);
    v[offset + 2] = (byte) (x >>> 8);
    v[offset + 3] = (byte) x;
  }

  private static int getInt(byte[] v, int offset) {
    return ((v[offset] & 0xFF) << 24)
        | ((v[offset + 1] & 0xFF) << 16)
        | ((v[offset + 2] & 0xFF) << 8)
        | (v[offset + 3] & 0xFF);
  }
}
