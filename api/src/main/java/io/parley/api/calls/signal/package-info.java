/**
 * WebRTC signalling for expert calls over the WebSocket {@code /api/v1/signal}: authentication,
 * rooms of two parties, relay of offer/answer/candidates, presence, resume after a drop, the call
 * clock's warnings and end. A room's state lives on one Vert.x context and a connection's on its
 * socket's: other event loops, timers and the Redis subscriber hop there, so nothing here takes a
 * lock. The wire format lives in {@code signal.protocol} and is described in
 * {@code docs/SIGNALLING.md}; SDP is carried opaquely (RFC 8829 JSEP semantics are the browsers'
 * business).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6455">RFC 6455, The WebSocket Protocol</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8829">RFC 8829, JSEP</a>
 */
package io.parley.api.calls.signal;
