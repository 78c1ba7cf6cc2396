package io.parley.media.turn.codec;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A STUN message (RFC 8489 <a href="https://www.rfc-editor.org/rfc/rfc8489#section-5">§5</a>): a
 * method, a {@link StunClass}, a 96-bit transaction id and attributes in wire order.
 *
 * <p>Messages are immutable. A message built here has no raw bytes; {@link StunEncoder} adds
 * MESSAGE-INTEGRITY and FINGERPRINT while encoding. A message from {@link StunDecoder#decode} keeps
 * the exact bytes received ({@link #raw()}) and where its MESSAGE-INTEGRITY starts, so that {@link
 * MessageIntegrity#verify} can check it once the server has looked up the key from USERNAME and
 * REALM. Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are
 * not in {@link #attributes()} (RFC 8489 §14.5): they are not covered by the integrity check.
 */
public final class StunMessage {

  /** The magic cookie, bytes 4..7 of every RFC 5389/8489 message (RFC 8489 §5). */
  public static final int MAGIC_COOKIE = 0x2112A442;

  /** The size of the STUN header: type, length, magic cookie, transaction id (RFC 8489 §5). */
  public static final int HEADER_SIZE = 20;

  /** The size of the transaction id (RFC 8489 §5). */
  public static final int TRANSACTION_ID_SIZE = 12;

  /**
   * The largest message this server accepts, header included: a 4 KiB body.
   *
   * <p>The protocol allows 20 + 65,532 bytes, but every legitimate message a TURN server meets is
   * far smaller: RFC 8489 §6.1 asks STUN messages over UDP to fit the path MTU (a 1500-byte
   * Ethernet MTU leaves 1472 bytes of UDP payload), browsers keep their media and data-channel
   * packets near 1200 bytes, and an Allocate or error response is a few hundred bytes. Anything
   * bigger is a broken or hostile client. The limit bounds what {@link StunFrameDecoder} buffers
   * per TCP connection and what {@link StunDecoder} copies; at almost three MTUs it still leaves
   * room for larger local MTUs. ChannelData frames on TCP are held to the same limit.
   */
  public static final int MAX_MESSAGE_SIZE = HEADER_SIZE + 4096;

  /**
   * The largest value of the header's length field: 16 bits, rounded down to a multiple of 4 (RFC
   * 8489 §5). The encoder refuses to build anything longer.
   */
  public static final int MAX_LENGTH_FIELD = 0xFFFC;

  /** XORed into the CRC-32 of the message to form the FINGERPRINT value (RFC 8489 §14.7). */
  public static final int FINGERPRINT_XOR = 0x5354554e;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final int method;
  private final StunClass cls;
  private final byte[] transactionId;
  private final List<StunAttribute> attributes;
  private final byte[] raw;
  private final int integrityOffset;
  private final boolean fingerprint;

  /**
   * Builds a message to encode.
   *
   * @param method the method 0..0xFFF, see {@link StunMethod}
   * @param cls the class
   * @param transactionId exactly 12 bytes; copied
   * @param attributes the attributes in wire order; copied
   * @throws IllegalArgumentException on a method out of range or a transaction id of another size
   */
  public StunMessage(
      int method, StunClass cls, byte[] transactionId, List<StunAttribute> attributes) {
    this(
        method,
        cls,
        Objects.requireNonNull(transactionId, "transactionId").clone(),
        List.copyOf(attributes),
        null,
        -1,
        false);
  }

  /** Takes ownership of the arrays and of the (unmodifiable) list, which nobody else holds. */
  StunMessage(
      int method,
      StunClass cls,
      byte[] transactionId,
      List<StunAttribute> attributes,
      byte[] raw,
      int integrityOffset,
      boolean fingerprint) {
    if (method < 0 || method > StunMethod.MAX_METHOD) {
      throw new IllegalArgumentException("STUN method out of range: " + method);
    }
    this.cls = Objects.requireNonNull(cls, "cls");
    checkTransactionId(transactionId);
    this.method = method;
    this.transactionId = transactionId;
    this.attributes = attributes;
    this.raw = raw;
    this.integrityOffset = integrityOffset;
    this.fingerprint = fingerprint;
  }

  /**
   * A request.
   *
   * @param method the method
   * @param txId the transaction id, 12 bytes; see {@link #newTransactionId()}
   * @param attrs the attributes in wire order
   */
  public static StunMessage request(int method, byte[] txId, List<StunAttribute> attrs) {
    return new StunMessage(method, StunClass.REQUEST, txId, attrs);
  }

  /**
   * An indication (Send, Data), which is never answered.
   *
   * @param method the method
   * @param txId the transaction id, 12 bytes
   * @param attrs the attributes in wire order
   */
  public static StunMessage indication(int method, byte[] txId, List<StunAttribute> attrs) {
    return new StunMessage(method, StunClass.INDICATION, txId, attrs);
  }

  /**
   * The success response to a request: same method and transaction id (RFC 8489 §6.3.1.1).
   *
   * @param req the request answered
   * @param attrs the response's attributes in wire order
   */
  public static StunMessage success(StunMessage req, List<StunAttribute> attrs) {
    return new StunMessage(
        req.method,
        StunClass.SUCCESS_RESPONSE,
        req.transactionId.clone(),
        List.copyOf(attrs),
        null,
        -1,
        false);
  }

  /**
   * The error response to a request: same method and transaction id, ERROR-CODE first, then {@code
   * extra} (REALM, NONCE, UNKNOWN-ATTRIBUTES...) (RFC 8489 §6.3.1.1).
   *
   * @param req the request answered
   * @param code the error code 300..699
   * @param reason the reason phrase, see {@link Attributes#errorCode(int, String)}
   * @param extra further attributes in wire order
   */
  public static StunMessage error(
      StunMessage req, int code, String reason, List<StunAttribute> extra) {
    List<StunAttribute> attrs = new ArrayList<>(extra.size() + 1);
    attrs.add(Attributes.errorCode(code, reason));
    attrs.addAll(extra);
    return new StunMessage(
        req.method,
        StunClass.ERROR_RESPONSE,
        req.transactionId.clone(),
        List.copyOf(attrs),
        null,
        -1,
        false);
  }

  /** A new random transaction id from a cryptographic generator, as RFC 8489 §6 asks. */
  public static byte[] newTransactionId() {
    byte[] id = new byte[TRANSACTION_ID_SIZE];
    RANDOM.nextBytes(id);
    return id;
  }

  /**
   * The 16-bit message type: method bits M0..M11 interleaved with class bits C0, C1 (RFC 8489 §5).
   *
   * @param method the method 0..0xFFF
   * @param cls the class
   */
  public static int messageType(int method, StunClass cls) {
    int c = cls.bits();
    return (method & 0x000F)
        | ((method & 0x0070) << 1)
        | ((method & 0x0F80) << 2)
        | ((c & 0b01) << 4)
        | ((c & 0b10) << 7);
  }

  /** The method encoded in a 14-bit message type (RFC 8489 §5). */
  public static int methodOf(int messageType) {
    return (messageType & 0x000F) | ((messageType & 0x00E0) >> 1) | ((messageType & 0x3E00) >> 2);
  }

  /** The class encoded in a 14-bit message type (RFC 8489 §5). */
  public static StunClass classOf(int messageType) {
    return StunClass.ofBits(((messageType >> 4) & 0b01) | ((messageType >> 7) & 0b10));
  }

  private static void checkTransactionId(byte[] transactionId) {
    Objects.requireNonNull(transactionId, "transactionId");
    if (transactionId.length != TRANSACTION_ID_SIZE) {
      throw new IllegalArgumentException(
          "transaction id must be " + TRANSACTION_ID_SIZE + " bytes, not " + transactionId.length);
    }
  }

  /** The method, see {@link StunMethod}. */
  public int method() {
    return method;
  }

  /** The class. */
  public StunClass cls() {
    return cls;
  }

  /** The 16-bit message type as sent: see {@link #messageType(int, StunClass)}. */
  public int messageType() {
    return messageType(method, cls);
  }

  /** A copy of the 12-byte transaction id. */
  public byte[] transactionId() {
    return transactionId.clone();
  }

  /**
   * Whether this message has the given transaction id, compared without copying.
   *
   * @param txId a transaction id
   */
  public boolean hasTransactionId(byte[] txId) {
    return Arrays.equals(transactionId, txId);
  }

  /** The transaction id as lowercase hex, for logs. */
  public String transactionIdHex() {
    return HexFormat.of().formatHex(transactionId);
  }

  /** The attributes in wire order (unmodifiable), including MESSAGE-INTEGRITY and FINGERPRINT. */
  public List<StunAttribute> attributes() {
    return attributes;
  }

  /**
   * The first attribute of this type, or null: later duplicates are ignored (RFC 8489 §14).
   *
   * @param type the attribute type
   */
  public StunAttribute attribute(int type) {
    for (StunAttribute a : attributes) {
      if (a.type() == type) {
        return a;
      }
    }
    return null;
  }

  /**
   * Whether an attribute of this type is present.
   *
   * @param type the attribute type
   */
  public boolean has(int type) {
    return attribute(type) != null;
  }

  /**
   * The exact bytes this message was decoded from (a copy), or null for a message built in code.
   */
  public byte[] raw() {
    return raw == null ? null : raw.clone();
  }

  /** The raw bytes without a copy, for {@link MessageIntegrity}. */
  byte[] rawUnsafe() {
    return raw;
  }

  /**
   * The offset in {@link #raw()} of the MESSAGE-INTEGRITY attribute's header, or -1 when the
   * message was built in code or has no MESSAGE-INTEGRITY.
   */
  public int integrityOffset() {
    return integrityOffset;
  }

  /** Whether the decoded message carried a FINGERPRINT; the decoder has already checked its CRC. */
  public boolean hasFingerprint() {
    return fingerprint;
  }

  @Override
  public String toString() {
    StringBuilder sb =
        new StringBuilder(StunMethod.name(method))
            .append(' ')
            .append(cls)
            .append(" tx=")
            .append(transactionIdHex())
            .append(" [");
    for (int i = 0; i < attributes.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(StunAttributeType.name(attributes.get(i).type()));
    }
    return sb.append(']').toString();
  }
}
