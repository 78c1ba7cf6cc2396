/**
 * The STUN/TURN wire codec of Parley's TURN server: message types, attribute helpers, a decoder, an
 * encoder, message integrity and fingerprint, ChannelData framing, and a stream splitter for TCP.
 *
 * <p>Specifications:
 *
 * <ul>
 *   <li><a href="https://www.rfc-editor.org/rfc/rfc8489">RFC 8489</a> Session Traversal Utilities
 *       for NAT (STUN): message structure (§5), TCP framing (§6.2.2), FINGERPRINT (§7, §14.7),
 *       credentials and MESSAGE-INTEGRITY (§9, §14.5), attributes (§14, registry §18.3).
 *   <li><a href="https://www.rfc-editor.org/rfc/rfc8656">RFC 8656</a> Traversal Using Relays around
 *       NAT (TURN): methods (§17), attributes (§18), channels and ChannelData (§12).
 *   <li><a href="https://www.rfc-editor.org/rfc/rfc5769">RFC 5769</a> Test Vectors for STUN, used
 *       by the tests of this package.
 * </ul>
 *
 * <p>Attribute codes of ICE (<a href="https://www.rfc-editor.org/rfc/rfc8445">RFC 8445</a>) and of
 * NAT behaviour discovery (<a href="https://www.rfc-editor.org/rfc/rfc5780">RFC 5780</a>) are named
 * too, because a TURN server meets them on the same port.
 *
 * <p>Everything here is stateless and thread-safe. Malformed input raises a {@link
 * io.parley.media.turn.codec.StunException} with a {@link
 * io.parley.media.turn.codec.StunException.Reason}; it carries no stack trace, so throwing it at
 * line rate on hostile input is cheap. Invalid arguments from our own code (a method number above
 * 0xFFF, a channel outside the channel range) raise {@link IllegalArgumentException} instead: they
 * are bugs, not hostile input.
 */
package io.parley.media.turn.codec;
