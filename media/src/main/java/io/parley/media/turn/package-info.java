/**
 * Parley's TURN server and STUN Binding server.
 *
 * <ul>
 *   <li><a href="https://www.rfc-editor.org/rfc/rfc8656">RFC 8656</a> Traversal Using Relays around NAT
 *       (TURN), wire-compatible with <a href="https://www.rfc-editor.org/rfc/rfc5766">RFC 5766</a>;</li>
 *   <li><a href="https://www.rfc-editor.org/rfc/rfc8489">RFC 8489</a> Session Traversal Utilities for
 *       NAT (STUN), long-term credentials (§9.2);</li>
 *   <li><a href="https://datatracker.ietf.org/doc/html/draft-uberti-behave-turn-rest-00">TURN REST
 *       credentials</a>, as coturn's {@code use-auth-secret}.</li>
 * </ul>
 *
 * <p>{@link io.parley.media.turn.TurnServer} owns the sockets and the allocation table;
 * {@link io.parley.media.turn.TurnProtocol} holds the request logic with the RFC steps;
 * {@link io.parley.media.turn.codec} the wire format.
 */
package io.parley.media.turn;
