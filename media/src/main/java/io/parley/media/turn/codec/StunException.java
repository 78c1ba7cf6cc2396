package io.parley.media.turn.codec;

import java.util.Objects;

/**
 * Malformed STUN or ChannelData input. The server meets it on hostile input at line rate, so it is
 * built without a stack trace and without suppression: throwing it costs about as much as an
 * allocation.
 *
 * <p>The {@link Reason} tells the server what to do: over UDP it drops the datagram whatever the
 * reason (RFC 8489 §6.3); over TCP a framing reason means the byte stream cannot be resynchronised
 * and the connection is closed.
 */
public final class StunException extends RuntimeException {

  /** What was wrong with the input. */
  public enum Reason {
    /** Fewer bytes than a header, or than the header's length field claims. */
    TRUNCATED,
    /** The first two bits are not those of a STUN message (or ChannelData, where that applies). */
    NOT_STUN,
    /** The magic cookie is not 0x2112A442 (RFC 8489 §5). */
    BAD_COOKIE,
    /** The message length is not a multiple of 4 (RFC 8489 §5). */
    BAD_LENGTH,
    /** An attribute runs past the end of the message (RFC 8489 §14). */
    BAD_ATTRIBUTE,
    /** MESSAGE-INTEGRITY(-SHA256) of the wrong size (RFC 8489 §14.5, §14.6). */
    BAD_INTEGRITY_ATTRIBUTE,
    /** FINGERPRINT of the wrong size, not last, or with a wrong CRC (RFC 8489 §14.7). */
    BAD_FINGERPRINT,
    /** More than {@link StunMessage#MAX_MESSAGE_SIZE} (or, encoding, the 16-bit length field). */
    TOO_LARGE,
    /** An attribute value that does not parse: wrong length, family, class, UTF-8, channel. */
    BAD_VALUE
  }

  private static final long serialVersionUID = 1L;

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param reason what was wrong
   * @param message a short description for logs (never echo it to the peer)
   */
  public StunException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** What was wrong with the input. */
  public Reason reason() {
    return reason;
  }

  @Override
  public String toString() {
    return "StunException[" + reason + "]: " + getMessage();
  }
}
