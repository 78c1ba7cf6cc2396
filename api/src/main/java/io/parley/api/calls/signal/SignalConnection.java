package io.parley.api.calls.signal;

import io.parley.api.calls.Call;
import io.parley.api.calls.signal.protocol.ServerMessage;
import io.parley.api.calls.signal.protocol.SignalCodec;
import io.parley.api.calls.signal.protocol.SignalError;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One signalling WebSocket: who is on it, its rate budget, its strikes, the room it joined. Its
 * state lives on the socket's own context: what other contexts do to it (a room relaying, the
 * keepalive sweep) hops there first ({@link #run}), so server messages get consecutive {@code seq}
 * numbers in the order they are written without any lock.
 */
final class SignalConnection {

  private static final Logger LOG = LoggerFactory.getLogger(SignalConnection.class);

  /** Rejected messages within {@link #STRIKE_WINDOW_NANOS} that close the connection (1008). */
  static final int MAX_STRIKES = 20;
  static final long STRIKE_WINDOW_NANOS = 10_000_000_000L;
  /**
   * Bytes queued for a client that does not read before it is closed (1008): a party that stops
   * reading must not make the server buffer its peer's messages without bound.
   */
  static final int MAX_QUEUED_BYTES = 1024 * 1024;

  final ServerWebSocket ws;
  private final Context context;
  /** The event loop thread of {@link #context}: code running on it may touch this connection's state. */
  private final Thread thread;
  private final Consumer<SignalConnection> onEnded;
  private boolean ended;
  UUID userId;
  String userRole;
  /** The room this connection is seated in, as this connection knows it. */
  Room room;
  Call.Role callRole;
  long lastSeenNanos = System.nanoTime();
  boolean closed;
  long authTimer = -1;
  /** A join is being looked up; a second one is refused meanwhile. */
  boolean joining;
  private long seq;
  // Token bucket (messages), refilled at rate per second up to burst.
  private final double rate;
  private final double burst;
  private double tokens;
  private long refilledAt = System.nanoTime();
  /** When the last rejected messages came (a ring), made at the first: most connections never have one. */
  private long[] strikes;
  private int strikeCount;
  /** Relayed messages that arrive while held messages are being fetched, sent after them. */
  private List<JsonObject> afterDrain;
  private int drains;

  /**
   * Made on the socket's context. {@code onEnded} runs once, there, however the socket ends:
   * closed by the client, dropped, or closed by the server (which does not wait for a client that
   * may never answer).
   */
  SignalConnection(ServerWebSocket ws, Context context, int messagesPerSecond, Consumer<SignalConnection> onEnded) {
    this.ws = ws;
    this.context = context;
    this.thread = Thread.currentThread();
    this.onEnded = onEnded;
    this.rate = messagesPerSecond;
    this.burst = 2.0 * messagesPerSecond;
    this.tokens = burst;
  }

  /** The socket's context. */
  Context context() {
    return context;
  }

  /** The event loop thread of {@link #context()}. */
  Thread thread() {
    return thread;
  }

  /** Runs {@code task} on this connection's context: at once when already there, else queued in order. */
  void run(Runnable task) {
    if (Thread.currentThread() == thread) {
      task.run();
    } else {
      context.runOnContext(v -> task.run());
    }
  }

  boolean authenticated() {
    return userId != null;
  }

  /** Takes one message from the rate budget at {@code now} (System.nanoTime); false when over the limit. */
  boolean admit(long now) {
    tokens = Math.min(burst, tokens + (now - refilledAt) * rate / 1e9);
    refilledAt = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** Records a rejected message; true when the connection has had too many recently. */
  boolean strike() {
    long now = System.nanoTime();
    if (strikes == null) {
      strikes = new long[MAX_STRIKES];
    }
    strikes[strikeCount % MAX_STRIKES] = now;
    strikeCount++;
    if (strikeCount < MAX_STRIKES) {
      return false;
    }
    long oldest = strikes[strikeCount % MAX_STRIKES];
    return now - oldest < STRIKE_WINDOW_NANOS;
  }

  /** Sends a server message with the next sequence number; dropped when closed. From any context. */
  void send(ServerMessage message) {
    run(() -> write(SignalCodec.encode(message)));
  }

  /** Sends a message that was held for this party (already encoded). From any context. */
  void sendHeld(JsonObject message) {
    run(() -> write(message));
  }

  void error(SignalError code, String message, Object ref) {
    send(new ServerMessage.Error(code, message, ref));
  }

  /** Seats this connection in {@code room} as {@code role}. From any context. */
  void seatedIn(Room room, Call.Role role) {
    run(() -> {
      this.room = room;
      this.callRole = role;
    });
  }

  /** The same party joined from another connection: this one leaves its room and closes. From any context. */
  void replaced() {
    run(() -> {
      room = null;
      error(SignalError.INVALID, "this party joined the call from another connection", null);
      close(CloseCodes.REPLACED, "joined from another connection");
    });
  }

  /** The call ended: this connection hears it and closes. From any context. */
  void callEnded(ServerMessage.CallEnded message) {
    run(() -> {
      room = null;
      write(SignalCodec.encode(message));
      close(CloseCodes.NORMAL, "call ended");
    });
  }

  /**
   * Sends a message relayed from the peer, queued behind held messages while they are fetched; one
   * that finds this connection closed goes to {@code ifClosed}. From any context.
   */
  void deliver(JsonObject message, Consumer<JsonObject> ifClosed) {
    run(() -> {
      if (!deferred(() -> message, ifClosed)) {
        write(message);
      }
    });
  }

  /**
   * Sends a message from the peer {@code from} as its sender wrote it, {@code seq} and {@code from}
   * in front of its fields; its JSON form stands in for it while held messages go first, or for
   * {@code ifClosed}. From any context.
   */
  void deliverAsSent(Call.Role from, SignalCodec.Verbatim message, Consumer<JsonObject> ifClosed) {
    run(() -> {
      if (!deferred(() -> message.json().put("from", from.wire()), ifClosed) && writable()) {
        // What writeTextMessage does once it has the UTF-8 bytes (the message is far below the
        // server's frame size, so one final frame): here the bytes are made without a String.
        ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, message.forward(++seq, from), true));
      }
    });
  }

  /** Whether a relayed message waits behind held ones, or went to {@code ifClosed}; else it is written now. */
  private boolean deferred(Supplier<JsonObject> message, Consumer<JsonObject> ifClosed) {
    if (afterDrain != null) {
      afterDrain.add(message.get());
      return true;
    }
    if (closed) {
      ifClosed.accept(message.get());
      return true;
    }
    return false;
  }

  /**
   * Relayed messages wait from now until {@link #drained}. Drains may overlap (a join's and one a
   * peer's node asked for): live messages wait until the last has ended.
   */
  void draining() {
    if (drains++ == 0) {
      afterDrain = new ArrayList<>();
    }
  }

  /** Held messages were sent: once no drain runs, the relayed ones that waited follow, in order. */
  void drained() {
    if (drains == 0 || --drains > 0) {
      return;
    }
    List<JsonObject> waiting = afterDrain;
    afterDrain = null;
    if (waiting != null) {
      waiting.forEach(this::write);
    }
  }

  /** Closes once with a code and reason. From any context. */
  void close(short code, String reason) {
    run(() -> {
      if (closed) {
        return;
      }
      closed = true;
      ws.close(code, reason);
      // The connection has ended for signalling: a client that does not read may never answer the close.
      ended();
    });
  }

  /**
   * The socket ended (its close handler ran, or the server closed it): {@code onEnded} runs once,
   * after what is running now.
   */
  void ended() {
    closed = true;
    context.runOnContext(v -> {
      if (!ended) {
        ended = true;
        onEnded.accept(this);
      }
    });
  }

  /** Writes with the next sequence number; dropped when closed. */
  private void write(JsonObject message) {
    if (!writable()) {
      return;
    }
    message.put("seq", ++seq);
    ws.writeTextMessage(message.encode());
  }

  /**
   * Whether a message may be written now. A client that does not read is closed here; a socket
   * that is already closing (a close frame came in, or it dropped) while its close handler has not
   * run yet ends here as well, instead of throwing into the sender.
   */
  private boolean writable() {
    if (closed) {
      return false;
    }
    boolean full;
    try {
      full = ws.writeQueueFull();
    } catch (IllegalStateException closing) {
      LOG.debug("signal socket closed under a send: {}", closing.getMessage());
      ended();
      return false;
    }
    if (full) {
      close(CloseCodes.POLICY, "not reading");
      return false;
    }
    return true;
  }
}
