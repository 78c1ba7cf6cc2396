package io.parley.media.turn.codec;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32;

/**
 * The FINGERPRINT value (RFC 8489 <a
 * href="https://www.rfc-editor.org/rfc/rfc8489#section-14.7">§14.7</a>): the CRC-32 of the message
 * up to, not including, the FINGERPRINT attribute, XORed with {@link StunMessage#FINGERPRINT_XOR}.
 * The header's length field must already count the FINGERPRINT attribute, which is always last, so
 * the bytes are hashed exactly as they are on the wire.
 */
public final class Fingerprint {

  /** The size of the FINGERPRINT value (RFC 8489 §14.7). */
  public static final int SIZE = 4;

  private Fingerprint() {}

  /**
   * The FINGERPRINT value of {@code message[0..fingerprintOffset)}.
   *
   * @param message the message bytes, header first
   * @param fingerprintOffset where the FINGERPRINT attribute's header starts
   */
  public static int compute(byte[] message, int fingerprintOffset) {
    CRC32 crc = new CRC32();
    crc.update(message, 0, fingerprintOffset);
    return (int) crc.getValue() ^ StunMessage.FINGERPRINT_XOR;
  }

  /**
   * The FINGERPRINT value of {@code length} bytes of {@code buf} from {@code index}; indices
   * unchanged.
   *
   * @param buf the buffer holding the message
   * @param index where the message header starts
   * @param length the bytes before the FINGERPRINT attribute
   */
  public static int compute(ByteBuf buf, int index, int length) {
    CRC32 crc = new CRC32();
    if (buf.hasArray()) {
      crc.update(buf.array(), buf.arrayOffset() + index, length);
    } else {
      crc.update(buf.nioBuffer(index, length));
    }
    return (int) crc.getValue() ^ StunMessage.FINGERPRINT_XOR;
  }
}
