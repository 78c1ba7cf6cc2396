/**
 * The signalling protocol on the wire, in Netty's shape: the messages a client sends
 * ({@link io.parley.api.calls.signal.protocol.ClientMessage}) and the server sends
 * ({@link io.parley.api.calls.signal.protocol.ServerMessage}), one codec
 * ({@link io.parley.api.calls.signal.protocol.SignalCodec}, whose verbatim path forwards a relay message
 * exactly as the client wrote it), the error codes and the protocol exception. The schema is
 * written here once; {@code docs/SIGNALLING.md} describes it for client authors.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6455">RFC 6455, The WebSocket Protocol</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8259">RFC 8259, JSON</a> (what the verbatim path reads itself)
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3629">RFC 3629, UTF-8</a> (the bytes it forwards as they came)
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8829">RFC 8829, JSEP</a> (SDP and candidates are carried opaquely)
 */
package io.parley.api.calls.signal.protocol;
