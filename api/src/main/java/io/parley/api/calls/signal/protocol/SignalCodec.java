package io.parley.api.calls.signal.protocol;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import io.parley.api.calls.Call.Role;
import io.parley.api.calls.signal.protocol.ClientMessage.Type;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * Decodes client messages (with validation and the error each invalid one gets) and encodes server
 * messages. Decoding takes two steps so that the endpoint can check authentication and whether the
 * party joined a call between them: {@link #envelope} reads the JSON object, its {@code id} and
 * {@code type}; {@link #decode} validates the fields of that type. {@link #verbatim} is the fast
 * path for relay messages that go to the peer exactly as written, {@link Verbatim#forward} what
 * the peer then gets. Stateless.
 */
public final class SignalCodec {

  /** Largest accepted client {@code id}. */
  public static final int MAX_ID_CHARS = 64;
  /** JSON objects only, nothing after them: what is forwarded verbatim must be exactly one object. */
  private static final ObjectReader STRICT = DatabindCodec.mapper().readerFor(Map.class)
      .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private SignalCodec() {}

  /**
   * A client message read as one JSON object with a string {@code type} (known or not) and a valid
   * {@code id} (null when absent); {@code text} is the message as sent.
   */
  public record Envelope(String type, Object id, JsonObject fields, String text) {

    /** The known type, or null. */
    public Type kind() {
      return Type.of(type);
    }

    /** Whether the message can go to the peer as sent: a verbatim type with only its documented fields. */
    public boolean asSent() {
      Type kind = kind();
      if (kind == null || !kind.verbatim()) {
        return false;
      }
      for (String name : fields.fieldNames()) {
        if (!name.equals("type") && !name.equals(kind.field().wire())) {
          return false;
        }
      }
      return true;
    }

    /** The message as its peer gets it when {@link #asSent()}; else null. */
    public Verbatim verbatim() {
      if (!asSent()) {
        return null;
      }
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      int brace = 0;
      while (utf8[brace] != '{') {
        brace++;
      }
      return new Verbatim(kind(), utf8, brace + 1, utf8.length);
    }
  }

  /**
   * A relay message that goes to the peer as its sender wrote it, {@code seq} and {@code from} put
   * in front of its fields: the sender's UTF-8 (a range of an array that is not written to), and
   * where its fields start (after the opening brace) and end.
   */
  public static final class Verbatim {

    private static final byte[] SEQ = "{\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FROM = ",\"from\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FIELDS = "\",".getBytes(StandardCharsets.US_ASCII);
    private static final byte[][] ROLES = Arrays.stream(Role.values())
        .map(r -> r.wire().getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    private final Type type;
    private final byte[] utf8;
    private final int fields;
    private final int end;

    Verbatim(Type type, byte[] utf8, int fields, int end) {
      this.type = type;
      this.utf8 = utf8;
      this.fields = fields;
      this.end = end;
    }

    public Type type() {
      return type;
    }

    /**
     * The message as the peer gets it, in UTF-8: {@code {"seq":N,"from":"role",} then the sender's
     * fields byte for byte, neither parsed nor escaped again.
     */
    public byte[] forward(long seq, Role from) {
      byte[] role = ROLES[from.ordinal()];
      int digits = digits(seq);
      int head = SEQ.length + digits + FROM.length + role.length + FIELDS.length;
      byte[] out = new byte[head + end - fields];
      int at = put(SEQ, out, 0);
      long n = seq;
      for (int i = at + digits - 1; i >= at; i--) {
        out[i] = (byte) ('0' + n % 10);
        n /= 10;
      }
      at = put(FROM, out, at + digits);
      at = put(role, out, at);
      put(FIELDS, out, at);
      System.arraycopy(utf8, fields, out, head, end - fields);
      return out;
    }

    /** The message as a JSON object, without {@code seq} and {@code from}: for the paths that hold or publish it. */
    public JsonObject json() {
      return new JsonObject("{" + new String(utf8, fields, end - fields, StandardCharsets.UTF_8));
    }

    private static int put(byte[] part, byte[] out, int at) {
      System.arraycopy(part, 0, out, at, part.length);
      return at + part.length;
    }

    private static int digits(long n) {
      int d = 1;
      while (n >= 10) {
        n /= 10;
        d++;
      }
      return d;
    }
  }

  /**
   * The fast path: a relay message, {@code length} bytes of UTF-8 from {@code offset}, that may be
   * forwarded exactly as written, recognised in one pass without building objects; null sends the
   * message through {@link #envelope}. The bytes must not change afterwards (the result keeps them).
   */
  public static Verbatim verbatim(byte[] utf8, int offset, int length) {
    return FastRelay.scan(utf8, offset, offset + length);
  }

  /** {@link #verbatim(byte[], int, int)} on a message's bytes where they lie (a heap buffer), else on a copy. */
  public static Verbatim verbatim(Buffer utf8) {
    ByteBuf bytes = ((BufferInternal) utf8).getByteBuf();
    if (bytes.hasArray()) {
      return verbatim(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
    }
    byte[] copy = utf8.getBytes();
    return verbatim(copy, 0, copy.length);
  }

  /** {@link #verbatim(byte[], int, int)} for a message as text. */
  public static Verbatim verbatim(String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    return verbatim(utf8, 0, utf8.length);
  }

  /** Reads the object, its id and its type. */
  public static Envelope envelope(String text) throws SignalProtocolException {
    JsonObject m;
    try {
      Map<String, Object> map = STRICT.readValue(text);
      if (map == null) {
        throw new SignalProtocolException(SignalError.BAD_JSON, "not a JSON object", null);
      }
      m = new JsonObject(map);
    } catch (IOException | RuntimeException e) {
      throw new SignalProtocolException(SignalError.BAD_JSON, "not a JSON object", null);
    }
    Object id = m.getValue("id");
    if (id != null && !(id instanceof String s && s.length() <= MAX_ID_CHARS) && !(id instanceof Number)) {
      throw new SignalProtocolException(SignalError.INVALID,
          "id must be a string of at most " + MAX_ID_CHARS + " characters or a number", null);
    }
    if (!(m.getValue("type") instanceof String type)) {
      throw new SignalProtocolException(SignalError.INVALID, "type is required and must be a string", id);
    }
    return new Envelope(type, id, m, text);
  }

  /** Validates the fields of the envelope's type. */
  public static ClientMessage decode(Envelope e) throws SignalProtocolException {
    Type kind = e.kind();
    if (kind == null) {
      throw invalid(SignalError.UNKNOWN_TYPE, "unknown message type '" + abbreviate(e.type()) + "'", e);
    }
    JsonObject m = e.fields();
    return switch (kind) {
      case AUTH -> {
        if (!(m.getValue("token") instanceof String token) || token.isBlank()) {
          throw invalid(SignalError.INVALID, "token is required", e);
        }
        yield new ClientMessage.Auth(token);
      }
      case JOIN -> {
        try {
          yield new ClientMessage.Join(UUID.fromString(m.getString("call_id")));
        } catch (RuntimeException notAnId) {
          throw invalid(SignalError.INVALID, "call_id must be a call id", e);
        }
      }
      case OFFER, ANSWER -> {
        if (!(m.getValue("sdp") instanceof String sdp) || sdp.isEmpty()) {
          throw invalid(SignalError.INVALID, "sdp is required and must be a non-empty string", e);
        }
        yield kind == Type.OFFER ? new ClientMessage.Offer(sdp) : new ClientMessage.Answer(sdp);
      }
      case CANDIDATE -> {
        if (!m.containsKey("candidate")) {
          throw invalid(SignalError.INVALID, "candidate is required (an object, or null for the end of candidates)", e);
        }
        Object cand = m.getValue("candidate");
        if (cand != null && !(cand instanceof JsonObject)) {
          throw invalid(SignalError.INVALID, "candidate must be an RTCIceCandidateInit object or null", e);
        }
        yield new ClientMessage.Candidate((JsonObject) cand);
      }
      case RENEGOTIATE -> {
        Object reason = m.getValue("reason");
        if (reason != null && !(reason instanceof String)) {
          throw invalid(SignalError.INVALID, "reason must be a string", e);
        }
        yield new ClientMessage.Renegotiate((String) reason);
      }
      case MEDIA -> {
        Object audio = m.getValue("audio");
        Object video = m.getValue("video");
        if ((audio != null && !(audio instanceof Boolean)) || (video != null && !(video instanceof Boolean))
            || (audio == null && video == null)) {
          throw invalid(SignalError.INVALID, "media needs audio and/or video as booleans", e);
        }
        yield new ClientMessage.Media((Boolean) audio, (Boolean) video);
      }
      case HANGUP -> new ClientMessage.Hangup();
      case LEAVE -> new ClientMessage.Leave();
      case PING -> new ClientMessage.Ping();
    };
  }

  /** The server message as a JSON object, fields in their documented order; {@code seq} is the connection's. */
  public static JsonObject encode(ServerMessage message) {
    return switch (message) {
      case ServerMessage.Ready r -> type("ready").put("user_id", r.userId()).put("role", r.role());
      case ServerMessage.Joined j -> type("joined")
          .put("call_id", j.callId().toString())
          .put("role", j.role().wire())
          .put("peer_present", j.peerPresent())
          .put("resumed", j.resumed())
          .put("ends_at", j.endsAt().toString())
          .put("server_time", j.serverTime().toString())
          .put("remaining_seconds", j.remainingSeconds());
      case ServerMessage.PeerJoined p -> type("peer-joined").put("role", p.role().wire()).put("resumed", p.resumed());
      case ServerMessage.PeerLeft p -> type("peer-left").put("role", p.role().wire())
          .put("grace_seconds", p.graceSeconds());
      case ServerMessage.PeerMessage p -> switch (p.message()) {
        case ClientMessage.Offer o -> type("offer").put("sdp", o.sdp());
        case ClientMessage.Answer a -> type("answer").put("sdp", a.sdp());
        case ClientMessage.Candidate c -> type("candidate").put("candidate", c.candidate());
        case ClientMessage.Renegotiate r -> type("renegotiate").put("reason", r.reason());
      };
      case ServerMessage.PeerMedia p -> type("peer-media").put("role", p.role().wire()).put("audio", p.audio())
          .put("video", p.video());
      case ServerMessage.CallWarning w -> type("call-warning").put("remaining_seconds", w.remainingSeconds())
          .put("ends_at", w.endsAt().toString());
      case ServerMessage.CallEnded c -> type("call-ended")
          .put("call_id", c.callId().toString())
          .put("reason", c.reason().wire())
          .put("ended_at", c.endedAt() == null ? null : c.endedAt().toString())
          .put("duration_seconds", c.durationSeconds());
      case ServerMessage.Pong p -> type("pong").put("server_time", p.serverTime().toString()).put("ref", p.ref());
      case ServerMessage.Left l -> type("left").put("call_id", l.callId().toString()).put("ref", l.ref());
      case ServerMessage.Error e -> {
        JsonObject m = type("error").put("code", e.code().wire()).put("message", e.message());
        yield e.ref() == null ? m : m.put("ref", e.ref());
      }
    };
  }

  private static JsonObject type(String type) {
    return new JsonObject().put("type", type);
  }

  private static SignalProtocolException invalid(SignalError code, String message, Envelope e) {
    return new SignalProtocolException(code, message, e.id());
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }
}
