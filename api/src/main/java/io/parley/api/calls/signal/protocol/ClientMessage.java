package io.parley.api.calls.signal.protocol;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** What a client sends on the signalling WebSocket, decoded and validated by {@link SignalCodec}. */
public sealed interface ClientMessage {

  /** Message types on the wire, with the one field a message relayed as written may carry. */
  enum Type {
    AUTH("auth", null, false),
    JOIN("join", null, false),
    OFFER("offer", Field.SDP, true),
    ANSWER("answer", Field.SDP, true),
    CANDIDATE("candidate", Field.CANDIDATE, true),
    RENEGOTIATE("renegotiate", Field.REASON, false),
    MEDIA("media", null, false),
    HANGUP("hangup", null, false),
    LEAVE("leave", null, false),
    PING("ping", null, false);

    private static final Type[] ALL = values();
    private final String wire;
    private final Field field;
    private final boolean fieldRequired;

    Type(String wire, Field field, boolean fieldRequired) {
      this.wire = wire;
      this.field = field;
      this.fieldRequired = fieldRequired;
    }

    public String wire() {
      return wire;
    }

    /** The field of a message the peer gets as written, or null for the other types. */
    public Field field() {
      return field;
    }

    public boolean fieldRequired() {
      return fieldRequired;
    }

    /** Whether the peer may get this message exactly as its sender wrote it. */
    public boolean verbatim() {
      return field != null;
    }

    /** Whether the message goes to the peer, and so needs a joined call. */
    public boolean toPeer() {
      return field != null || this == MEDIA;
    }

    /** The type written {@code wire}, or null when there is none. */
    public static Type of(String wire) {
      for (Type t : ALL) {
        if (t.wire.equals(wire)) {
          return t;
        }
      }
      return null;
    }
  }

  /** A field of a message relayed as written, and the value it must have. */
  enum Field {
    /** A non-empty string. */
    SDP("sdp"),
    /** An RTCIceCandidateInit object, or null for the end of candidates. */
    CANDIDATE("candidate"),
    /** A string. */
    REASON("reason");

    private final String wire;

    Field(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  /** The type of this message. */
  Type type();

  /** The first message of a connection without an Authorization header. */
  record Auth(String token) implements ClientMessage {
    public Type type() {
      return Type.AUTH;
    }
  }

  /** Enter a call's room (or resume in it). */
  record Join(UUID callId) implements ClientMessage {
    public Type type() {
      return Type.JOIN;
    }
  }

  /** A message relayed to the peer with its fields as sent, plus {@code from}. */
  sealed interface Relayed extends ClientMessage permits Offer, Answer, Candidate, Renegotiate {}

  /** An SDP offer. */
  record Offer(String sdp) implements Relayed {
    public Type type() {
      return Type.OFFER;
    }
  }

  /** An SDP answer. */
  record Answer(String sdp) implements Relayed {
    public Type type() {
      return Type.ANSWER;
    }
  }

  /** An ICE candidate (RTCIceCandidateInit); null for the end of candidates. */
  record Candidate(JsonObject candidate) implements Relayed {
    public Type type() {
      return Type.CANDIDATE;
    }
  }

  /** Asks the peer for a new offer; the reason is optional. */
  record Renegotiate(String reason) implements Relayed {
    public Type type() {
      return Type.RENEGOTIATE;
    }
  }

  /** Mute and camera state (at least one of them), relayed as {@code peer-media}. */
  record Media(Boolean audio, Boolean video) implements ClientMessage {
    public Type type() {
      return Type.MEDIA;
    }
  }

  /** Ends the call for both parties. */
  record Hangup() implements ClientMessage {
    public Type type() {
      return Type.HANGUP;
    }
  }

  /** Leaves the room without ending the call. */
  record Leave() implements ClientMessage {
    public Type type() {
      return Type.LEAVE;
    }
  }

  /** Answered by {@code pong}. */
  record Ping() implements ClientMessage {
    public Type type() {
      return Type.PING;
    }
  }
}
