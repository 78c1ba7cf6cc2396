package io.parley.media.turn.codec;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One STUN attribute: a 16-bit type and its value, without the padding that aligns it on the wire
 * (RFC 8489 <a href="https://www.rfc-editor.org/rfc/rfc8489#section-14">§14</a>). {@link
 * Attributes} builds and parses the values of the attributes a TURN server uses.
 *
 * <p>The value array is not copied (DATA attributes are relayed at line rate): neither the creator
 * nor a reader may modify it afterwards. Equality compares the value's contents.
 *
 * @param type the attribute type 0..0xFFFF, see {@link StunAttributeType}
 * @param value the value, at most {@link #MAX_VALUE_LENGTH} bytes, unpadded
 */
public record StunAttribute(int type, byte[] value) {

  /** The largest value: the attribute length field has 16 bits (RFC 8489 §14). */
  public static final int MAX_VALUE_LENGTH = 0xFFFF;

  /** The size of the type and length fields before every value (RFC 8489 §14). */
  public static final int HEADER_SIZE = 4;

  /**
   * Validates type and length.
   *
   * @throws IllegalArgumentException if the type is not 16 bits or the value too long
   */
  public StunAttribute {
    Objects.requireNonNull(value, "value");
    if (type < 0 || type > StunAttributeType.MAX_TYPE) {
      throw new IllegalArgumentException("attribute type out of range: " + type);
    }
    if (value.length > MAX_VALUE_LENGTH) {
      throw new IllegalArgumentException(
          "attribute value of " + value.length + " bytes exceeds " + MAX_VALUE_LENGTH);
    }
  }

  /** The value's length in bytes, without padding. */
  public int length() {
    return value.length;
  }

  /** The bytes this attribute takes on the wire: header, value and padding to a multiple of 4. */
  public int encodedSize() {
    return HEADER_SIZE + padded(value.length);
  }

  /** {@code length} rounded up to a multiple of 4 (RFC 8489 §14). */
  static int padded(int length) {
    return (length + 3) & ~3;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StunAttribute other
        && type == other.type
        && Arrays.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return 31 * type + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    int shown = Math.min(value.length, 32);
    return StunAttributeType.name(type)
        + "("
        + value.length
        + ")="
        + HexFormat.of().formatHex(value, 0, shown)
        + (shown < value.length ? "..." : "");
  }
}
