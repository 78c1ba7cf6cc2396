package io.parley.api.calls.signal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.parley.api.accounts.DeletedAccounts;
import io.parley.api.calls.CallOptions;
import io.parley.api.calls.CallService;
import io.parley.api.calls.CallStore;
import io.parley.api.calls.EndReason;
import io.parley.api.cluster.ClusterBus;
import io.parley.api.calls.signal.protocol.ClientMessage;
import io.parley.api.calls.signal.protocol.ServerMessage;
import io.parley.api.calls.signal.protocol.SignalCodec;
import io.parley.api.calls.signal.protocol.SignalError;
import io.parley.api.calls.signal.protocol.SignalProtocolException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.redis.client.RedisAPI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signalling endpoint {@code /api/v1/signal} (protocol in {@code docs/SIGNALLING.md}).
 * Connections authenticate with a bearer header or a first {@code auth} message, join the room of a
 * call they are a party of, and have their offer/answer/candidate messages relayed to the peer —
 * on this node directly, on another node through the call's Redis channel, to a party that is away
 * through a bounded outbox in Redis that its resumed join drains. This class routes what a
 * connection sends: admission (size, rate), the verbatim fast path, the decoded messages to the
 * call's {@link Room}; {@link SignalAuth} says who is on a connection, {@link Connections} keeps
 * the node's open ones alive, and {@link Rooms} the calls' rooms.
 */
public final class SignalHub implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SignalHub.class);
  /** The endpoint path. */
  public static final String PATH = "/api/v1/signal";
  private final Vertx vertx;
  private final CallOptions settings;
  private final CallService calls;
  private final CallStore store;
  private final Rooms rooms;
  private final SignalAuth auth;
  private final Connections connections;
  private final Counter relayed;
  private final Counter rejected;
  private final AtomicBoolean closing = new AtomicBoolean();

  public SignalHub(Vertx vertx, CallOptions settings, JWTAuth jwt, DeletedAccounts deleted, CallService calls,
                   CallStore store, ClusterBus bus, RedisAPI redis, MeterRegistry metrics) {
    this.vertx = vertx;
    this.settings = settings;
    this.calls = calls;
    this.store = store;
    this.rooms = new Rooms(vertx, settings, calls, bus, new RedisSignalStores.Presence(redis, bus.nodeId()),
        new RedisSignalStores.Outboxes(redis), new RedisSignalStores.Liveness(redis, bus.nodeId()), metrics);
    this.auth = new SignalAuth(vertx, jwt, deleted, settings.authTimeout());
    this.relayed = Counter.builder("parley.signal.relayed").description("Signalling messages relayed to a peer")
        .register(metrics);
    this.rejected = Counter.builder("parley.signal.rejected")
        .description("Signalling messages answered with an error").register(metrics);
    this.connections = new Connections(vertx, settings.pingInterval(), metrics);
    deleted.onDeleted(connections::closeAccount);
  }

  public int connectionCount() {
    return connections.count();
  }

  /** Calls with a room on this node. */
  int roomCount() {
    return rooms.count();
  }

  // --- connections ---------------------------------------------------------------------------

  /** Accepts or rejects an upgrade to {@link #PATH} (see {@link SignalAuth}); 503 while shutting down. */
  public void handshake(ServerWebSocketHandshake h) {
    auth.handshake(h, closing.get(), this::open);
  }

  private void open(ServerWebSocket ws, String subject, String role) {
    SignalConnection c = new SignalConnection(ws, vertx.getOrCreateContext(), settings.messagesPerSecond(),
        this::onEnded);
    connections.add(c);
    try {
      ws.setWriteQueueMaxSize(SignalConnection.MAX_QUEUED_BYTES);
      ws.frameHandler(new MessageFrames(settings.maxMessageBytes(), utf8 -> onText(c, utf8), () -> tooLarge(c),
          () -> reject(c, SignalError.INVALID, "binary frames are not used by signalling", null)));
      ws.pongHandler(b -> c.lastSeenNanos = System.nanoTime());
      ws.exceptionHandler(t -> LOG.debug("signal socket error: {}", t.toString()));
      ws.closeHandler(v -> c.ended());
    } catch (IllegalStateException closed) {
      // The client went away during the upgrade (a bearer check is asynchronous).
      LOG.debug("signal socket closed before it was set up: {}", closed.getMessage());
      c.ended();
      return;
    }
    auth.started(c, subject, role);
  }

  /** However a connection ended: its party, if in a call, is away from now on. */
  private void onEnded(SignalConnection c) {
    connections.remove(c);
    auth.ended(c);
    Room room = c.room;
    c.room = null;
    if (room != null && !closing.get()) {
      room.detach(c);
      rooms.maybeRetire(room);
    }
  }

  // --- messages ------------------------------------------------------------------------------

  private void onText(SignalConnection c, Buffer utf8) {
    long now = System.nanoTime();
    c.lastSeenNanos = now;
    if (!c.admit(now)) {
      reject(c, SignalError.RATE_LIMITED, "more than " + settings.messagesPerSecond() + " messages per second", null);
      return;
    }
    // Hot path: an offer/answer/candidate/renegotiate with exactly the documented fields goes to the
    // peer as written, recognised in one pass over its bytes where they lie (no String, no objects).
    Room room = c.room;
    SignalCodec.Verbatim asSent = room != null && c.authenticated() ? SignalCodec.verbatim(utf8) : null;
    if (asSent != null) {
      relayed.increment();
      room.relay(c.callRole, asSent);
      return;
    }
    String text = utf8.toString(StandardCharsets.UTF_8);
    if (text.length() > settings.maxMessageBytes() / 3
        && text.getBytes(StandardCharsets.UTF_8).length > settings.maxMessageBytes()) {
      tooLarge(c); // bytes that are not UTF-8 grew as replacement characters
      return;
    }
    SignalCodec.Envelope e;
    try {
      e = SignalCodec.envelope(text);
      if (!c.authenticated()) {
        if (e.kind() != ClientMessage.Type.AUTH) {
          reject(c, SignalError.UNAUTHENTICATED, "send {\"type\":\"auth\",\"token\":...} first", e.id());
          return;
        }
        auth.authenticate(c, (ClientMessage.Auth) SignalCodec.decode(e));
        return;
      }
      if (e.kind() != null && e.kind().toPeer() && c.room == null) {
        reject(c, SignalError.NOT_JOINED, "join a call first", e.id());
        return;
      }
      dispatch(c, SignalCodec.decode(e), e);
    } catch (SignalProtocolException refused) {
      reject(c, refused.code(), refused.getMessage(), refused.ref());
    }
  }

  private void tooLarge(SignalConnection c) {
    c.lastSeenNanos = System.nanoTime();
    reject(c, SignalError.TOO_LARGE, "message larger than " + settings.maxMessageBytes() + " bytes", null);
  }

  private void dispatch(SignalConnection c, ClientMessage message, SignalCodec.Envelope e) {
    Object ref = e.id();
    switch (message) {
      case ClientMessage.Auth a -> reject(c, SignalError.INVALID, "already authenticated", ref);
      case ClientMessage.Join j -> join(c, j.callId(), ref);
      case ClientMessage.Relayed r -> relay(c, SignalCodec.encode(new ServerMessage.PeerMessage(r)), e.verbatim(), ref);
      case ClientMessage.Media m -> relay(c, SignalCodec.encode(new ServerMessage.PeerMedia(c.callRole, m.audio(),
          m.video())), null, ref);
      case ClientMessage.Hangup h -> hangup(c, ref);
      case ClientMessage.Leave l -> leave(c, ref);
      case ClientMessage.Ping p -> c.send(new ServerMessage.Pong(Instant.now(), ref));
    }
  }

  private void reject(SignalConnection c, SignalError code, String message, Object ref) {
    rejected.increment();
    c.error(code, message, ref);
    if (c.strike()) {
      c.close(CloseCodes.POLICY, "too many invalid messages");
    }
  }

  private void join(SignalConnection c, UUID callId, Object ref) {
    if (c.joining) {
      reject(c, SignalError.INVALID, "a join is already in progress", ref);
      return;
    }
    Room current = c.room;
    if (current != null) {
      if (current.call.id().equals(callId)) {
        reject(c, SignalError.INVALID, "already in this call", ref);
        return;
      }
      c.room = null;
      current.detach(c);
      rooms.maybeRetire(current);
    }
    c.joining = true;
    // Completions may come on a client's context: the connection's state is touched on its own.
    store.find(callId).onComplete(ar -> c.run(() -> {
      if (ar.failed()) {
        c.joining = false;
        c.error(SignalError.UNAVAILABLE, "calls cannot be looked up right now; try again", ref);
        return;
      }
      Call call = ar.result().orElse(null);
      Role role = call == null ? null : call.roleOf(c.userId).orElse(null);
      if (role == null) {
        c.joining = false;
        reject(c, SignalError.NOT_FOUND, "no such call", ref);
        return;
      }
      if (call.ended() || !Instant.now().isBefore(call.endsAt())) {
        c.joining = false;
        c.error(SignalError.CALL_ENDED, "the call has ended" + (call.endReason() == null ? "" : " (" + call.endReason().wire()
            + ")"), ref);
        return;
      }
      rooms.join(c, call, role);
    }));
  }

  /**
   * Relays a decoded message; {@code asSent}, when not null, is the same message as the client wrote
   * it with only the documented fields, which a peer here gets instead of {@code out}.
   */
  private void relay(SignalConnection c, JsonObject out, SignalCodec.Verbatim asSent, Object ref) {
    Room room = c.room;
    if (room == null) {
      reject(c, SignalError.NOT_JOINED, "join a call first", ref);
      return;
    }
    relayed.increment();
    if (asSent != null) {
      room.relay(c.callRole, asSent);
    } else {
      room.relay(c.callRole, out);
    }
  }

  private void hangup(SignalConnection c, Object ref) {
    Room room = c.room;
    if (room == null) {
      reject(c, SignalError.NOT_JOINED, "join a call first", ref);
      return;
    }
    calls.end(room.call.id(), EndReason.HANGUP, c.userId)
        .onFailure(t -> c.error(SignalError.UNAVAILABLE, "the call could not be ended right now; try again", ref));
  }

  private void leave(SignalConnection c, Object ref) {
    Room room = c.room;
    if (room == null) {
      reject(c, SignalError.NOT_JOINED, "not in a call", ref);
      return;
    }
    c.room = null;
    room.detach(c);
    rooms.maybeRetire(room);
    c.send(new ServerMessage.Left(room.call.id(), ref));
  }

  /**
   * Closes every connection with 1001 (going away); parties reconnect to another node. Each party
   * in a call is first marked away, so that the peer's node holds messages and keeps the grace clock.
   */
  @Override
  public void close() {
    closing.set(true);
    Future<?> handedOver = rooms.handOver();
    connections.closeAll(CloseCodes.GOING_AWAY, "server shutting down");
    try {
      handedOver.await(1, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("signalling handover incomplete: {}", e.toString());
    }
  }
}
