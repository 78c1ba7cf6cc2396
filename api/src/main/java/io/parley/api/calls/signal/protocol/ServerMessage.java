package io.parley.api.calls.signal.protocol;

import io.parley.api.calls.Call.Role;
import io.parley.api.calls.EndReason;
import java.time.Instant;
import java.util.UUID;

/**
 * What the server sends on the signalling WebSocket, encoded by {@link SignalCodec} (which leaves
 * {@code seq} to the connection, and {@code from} of relayed messages to the room).
 */
public sealed interface ServerMessage {

  /** Authenticated. */
  record Ready(String userId, String role) implements ServerMessage {}

  /** Seated in the call's room. */
  record Joined(UUID callId, Role role, boolean peerPresent, boolean resumed, Instant endsAt, Instant serverTime,
                long remainingSeconds) implements ServerMessage {}

  /** The peer joined (or came back). */
  record PeerJoined(Role role, boolean resumed) implements ServerMessage {}

  /** The peer is away; the call ends unless it is back within the grace period. */
  record PeerLeft(Role role, long graceSeconds) implements ServerMessage {}

  /** The peer's offer, answer, candidate or renegotiation request, rebuilt from what it sent. */
  record PeerMessage(ClientMessage.Relayed message) implements ServerMessage {}

  /** The peer's mute and camera state. */
  record PeerMedia(Role role, Boolean audio, Boolean video) implements ServerMessage {}

  /** The call's end is near. */
  record CallWarning(long remainingSeconds, Instant endsAt) implements ServerMessage {}

  /** The call ended; the socket closes after it. */
  record CallEnded(UUID callId, EndReason reason, Instant endedAt, Long durationSeconds) implements ServerMessage {}

  /** The answer to {@code ping}. */
  record Pong(Instant serverTime, Object ref) implements ServerMessage {}

  /** The answer to {@code leave}. */
  record Left(UUID callId, Object ref) implements ServerMessage {}

  /** A refused message; the connection stays. */
  record Error(SignalError code, String message, Object ref) implements ServerMessage {}
}
