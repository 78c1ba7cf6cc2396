package io.parley.media.turn.codec;

/**
 * The class of a STUN message: the two bits C1 C0 interleaved into the message type (RFC 8489 §5,
 * <a href="https://www.rfc-editor.org/rfc/rfc8489#section-5">Figure 3</a>).
 */
public enum StunClass {
  /** 0b00: a request, answered by a success or error response. */
  REQUEST(0b00),
  /** 0b01: an indication, never answered. */
  INDICATION(0b01),
  /** 0b10: a success response. */
  SUCCESS_RESPONSE(0b10),
  /** 0b11: an error response, with ERROR-CODE. */
  ERROR_RESPONSE(0b11);

  private static final StunClass[] BY_BITS = values();

  private final int bits;

  StunClass(int bits) {
    this.bits = bits;
  }

  /** The two class bits, C1 C0, as a number 0..3. */
  public int bits() {
    return bits;
  }

  /**
   * The class with these two bits.
   *
   * @param bits C1 C0 as a number 0..3
   * @throws IllegalArgumentException if {@code bits} is outside 0..3
   */
  public static StunClass ofBits(int bits) {
    if (bits < 0 || bits > 0b11) {
      throw new IllegalArgumentException("STUN class bits out of range: " + bits);
    }
    return BY_BITS[bits];
  }

  /** Whether this is one of the two response classes. */
  public boolean isResponse() {
    return this == SUCCESS_RESPONSE || this == ERROR_RESPONSE;
  }
}
