package io.parley.media.turn.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

/**
 * Encodes STUN messages (RFC 8489 <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-5">§5</a>, <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-14">§14</a>): header, attributes in order
 * with zero padding to 4 bytes, then MESSAGE-INTEGRITY (§14.5) when a key is given, then
 * FINGERPRINT (§14.7) when asked for, each computed with the length field counting the attribute
 * being added.
 */
public final class StunEncoder {

  private StunEncoder() {}

  /**
   * Encodes a message into a new buffer from {@code alloc}, which the caller owns (and releases, or
   * hands to a write that does).
   *
   * @param m the message; it must not itself hold MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 or
   *     FINGERPRINT attributes, which the encoder computes
   * @param integrityKey the MESSAGE-INTEGRITY key (see {@link MessageIntegrity}), or null for none
   * @param fingerprint whether to append FINGERPRINT
   * @param alloc the allocator of the channel that will send the buffer
   * @return the encoded message, reader index 0 of {@code readableBytes()} bytes
   * @throws StunException TOO_LARGE if the message cannot be expressed in the 16-bit length field
   * @throws IllegalArgumentException if {@code m} holds an attribute the encoder computes, or the
   *     key is empty
   */
  public static ByteBuf encode(
      StunMessage m, byte[] integrityKey, boolean fingerprint, ByteBufAllocator alloc) {
    int size = encodedSize(m, integrityKey != null, fingerprint);
    ByteBuf buf = alloc.buffer(size, size);
    try {
      write(m, integrityKey, fingerprint, buf);
      return buf;
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  /**
   * As {@link #encode(StunMessage, byte[], boolean, ByteBufAllocator)}, into a new array.
   *
   * @param m the message
   * @param integrityKey the MESSAGE-INTEGRITY key, or null for none
   * @param fingerprint whether to append FINGERPRINT
   */
  public static byte[] encodeToBytes(StunMessage m, byte[] integrityKey, boolean fingerprint) {
    int size = encodedSize(m, integrityKey != null, fingerprint);
    byte[] bytes = new byte[size];
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    buf.writerIndex(0);
    write(m, integrityKey, fingerprint, buf);
    return bytes;
  }

  /**
   * The bytes {@code m} takes on the wire.
   *
   * @param m the message
   * @param integrity whether MESSAGE-INTEGRITY is appended
   * @param fingerprint whether FINGERPRINT is appended
   * @throws StunException TOO_LARGE if beyond the 16-bit length field
   */
  public static int encodedSize(StunMessage m, boolean integrity, boolean fingerprint) {
    int length = 0;
    for (StunAttribute a : m.attributes()) {
      switch (a.type()) {
        case StunAttributeType.MESSAGE_INTEGRITY,
                StunAttributeType.MESSAGE_INTEGRITY_SHA256,
                StunAttributeType.FINGERPRINT ->
            throw new IllegalArgumentException(
                StunAttributeType.name(a.type())
                    + " is computed by the encoder: pass a key or fingerprint=true instead");
        default -> length += a.encodedSize();
      }
    }
    if (integrity) {
      length += MessageIntegrity.ATTRIBUTE_SIZE;
    }
    if (fingerprint) {
      length += StunAttribute.HEADER_SIZE + Fingerprint.SIZE;
    }
    if (length > StunMessage.MAX_LENGTH_FIELD) {
      throw new StunException(
          StunException.Reason.TOO_LARGE,
          "message body of " + length + " bytes exceeds " + StunMessage.MAX_LENGTH_FIELD);
    }
    return StunMessage.HEADER_SIZE + length;
  }

  private static void write(StunMessage m, byte[] integrityKey, boolean fingerprint, ByteBuf buf) {
    int start = buf.writerIndex();
    buf.writeShort(m.messageType());
    buf.writeShort(0); // the length, set once known
    buf.writeInt(StunMessage.MAGIC_COOKIE);
    buf.writeBytes(m.transactionId());
    for (StunAttribute a : m.attributes()) {
      byte[] v = a.value();
      buf.writeShort(a.type());
      buf.writeShort(v.length);
      buf.writeBytes(v);
      buf.writeZero(StunAttribute.padded(v.length) - v.length);
    }
    if (integrityKey != null) {
      int offset = buf.writerIndex() - start;
      // compute() hashes with the length field already counting MESSAGE-INTEGRITY.
      byte[] hmac = MessageIntegrity.compute(integrityKey, buf, start, offset);
      buf.writeShort(StunAttributeType.MESSAGE_INTEGRITY);
      buf.writeShort(MessageIntegrity.SIZE);
      buf.writeBytes(hmac);
    }
    if (fingerprint) {
      int offset = buf.writerIndex() - start;
      setLength(buf, start, offset + StunAttribute.HEADER_SIZE + Fingerprint.SIZE);
      int crc = Fingerprint.compute(buf, start, offset);
      buf.writeShort(StunAttributeType.FINGERPRINT);
      buf.writeShort(Fingerprint.SIZE);
      buf.writeInt(crc);
    }
    setLength(buf, start, buf.writerIndex() - start);
  }

  private static void setLength(ByteBuf buf, int start, int messageSize) {
    buf.setShort(start + 2, messageSize - StunMessage.HEADER_SIZE);
  }
}
