package io.parley.api.signal;

import io.parley.api.calls.Call;
import io.parley.api.signal.protocol.ServerMessage;
import io.parley.api.signal.protocol.SignalCodec;
import io.parley.api.signal.protocol.SignalError;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One signalling WebSocket: who is on it, its rate budget, its strikes, the room it joined. Server
 * messages get consecutive {@code seq} numbers; sending is synchronised so that numbering and write
 * order agree when rooms relay to it from other event loops.
 */
final class SignalConnection {

  private static final Logger LOG = LoggerFactory.getLogger(SignalConnection.class);

  /** Rejected messages within {@link #STRIKE_WINDOW_NANOS} that close the connection (1008). */
  static final int MAX_STRIKES = 20;
  static final long STRIKE_WINDOW_NANOS = 10_000_000_000L;

  final ServerWebSocket ws;
  /** The socket's own context: where {@link #onEnded} runs. */
  private final Context context;
  private final java.util.function.Consumer<SignalConnection> onEnded;
  /** Whether {@link #onEnded} ran; read and written only on {@link #context}. */
  private boolean ended;
  final long openedAt = System.nanoTime();
  volatile UUID userId;
  volatile String userRole;
  volatile Room room;
  volatile Call.Role callRole;
  volatile long lastSeenNanos = System.nanoTime();
  volatile boolean closed;
  long authTimer = -1;
  /** A join is being looked up; a second one is refused meanwhile. */
  volatile boolean joining;
  private long seq;
  // Token bucket (messages), refilled at rate per second up to burst.
  private final double rate;
  private final double burst;
  private double tokens;
  private long refilledAt = System.nanoTime();
  private final long[] strikes = new long[MAX_STRIKES];
  private int strikeCount;

  /**
   * {@code onEnded} runs once, on {@code context}, however the socket ends: closed by the client,
   * dropped, or closed by the server (which does not wait for a client that may never answer).
   */
  SignalConnection(ServerWebSocket ws, Context context, int messagesPerSecond,
                   java.util.function.Consumer<SignalConnection> onEnded) {
    this.ws = ws;
    this.context = context;
    this.onEnded = onEnded;
    this.rate = messagesPerSecond;
    this.burst = 2.0 * messagesPerSecond;
    this.tokens = burst;
  }

  boolean authenticated() {
    return userId != null;
  }

  /** Takes one message from the rate budget; false when over the limit. Called on the socket's loop. */
  boolean admit() {
    long now = System.nanoTime();
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
    strikes[strikeCount % MAX_STRIKES] = now;
    strikeCount++;
    if (strikeCount < MAX_STRIKES) {
      return false;
    }
    long oldest = strikes[strikeCount % MAX_STRIKES];
    return now - oldest < STRIKE_WINDOW_NANOS;
  }

  /**
   * Bytes queued for a client that does not read before it is closed (1008): a party that stops
   * reading must not make the server buffer its peer's messages without bound.
   */
  static final int MAX_QUEUED_BYTES = 1024 * 1024;

  /** Relayed messages that arrive while held messages are being fetched, sent after them. */
  private java.util.List<JsonObject> afterDrain;
  private int drains;

  /** Sends a server message with the next sequence number; dropped when closed. */
  void send(ServerMessage message) {
    send(SignalCodec.encode(message));
  }

  /** Sends an encoded server message with the next sequence number; dropped when closed. */
  synchronized void send(JsonObject message) {
    if (!writable()) {
      return;
    }
    message.put("seq", ++seq);
    ws.writeTextMessage(message.encode());
  }

  /**
   * Whether a message may be written now. A client that does not read is closed here; a socket
   * that is already closing (a close frame came in, or it dropped, on its own event loop) while its
   * close handler has not run yet ends here as well, instead of throwing into the sender.
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
      closed = true;
      ended();
      return false;
    }
    if (full) {
      close(CloseCodes.POLICY, "not reading");
      return false;
    }
    return true;
  }

  /** Sends a message relayed from the peer; queued behind held messages while they are fetched. */
  synchronized void deliver(JsonObject message) {
    if (afterDrain != null) {
      afterDrain.add(message);
    } else {
      send(message);
    }
  }

  /**
   * Sends a client's own text (one JSON object) to this party with {@code seq} and {@code from}
   * put in front of its fields; {@code parsed} stands in for it while held messages go first.
   */
  synchronized void deliverAsSent(String from, String text, java.util.function.Supplier<JsonObject> parsed) {
    if (afterDrain != null) {
      afterDrain.add(parsed.get());
      return;
    }
    if (!writable()) {
      return;
    }
    int brace = text.indexOf('{');
    // One copy of the client's text (no substring first).
    StringBuilder out = new StringBuilder(text.length() + from.length() + 32)
        .append("{\"seq\":").append(++seq).append(",\"from\":\"").append(from).append("\",")
        .append(text, brace + 1, text.length());
    ws.writeTextMessage(out.toString());
  }

  /**
   * Relayed messages wait from now until {@link #drained}. Drains may overlap (a join's and one a
   * peer's node asked for): live messages wait until the last has ended.
   */
  synchronized void draining() {
    if (drains++ == 0) {
      afterDrain = new java.util.ArrayList<>();
    }
  }

  /** Held messages were sent: once no drain runs, the relayed ones that waited follow, in order. */
  synchronized void drained() {
    if (drains == 0 || --drains > 0) {
      return;
    }
    java.util.List<JsonObject> waiting = afterDrain;
    afterDrain = null;
    if (waiting != null) {
      waiting.forEach(this::send);
    }
  }

  void error(SignalError code, String message, Object ref) {
    send(new ServerMessage.Error(code, message, ref));
  }

  /**
   * Closes once with a code and reason. The connection has ended for signalling from here on: a
   * client that does not read may never complete the close handshake.
   */
  synchronized void close(short code, String reason) {
    if (closed) {
      return;
    }
    closed = true;
    ws.close(code, reason);
    ended();
  }

  /**
   * The socket ended (its close handler ran, or the server closed it): {@code onEnded} runs once,
   * on the socket's context, never inside a caller that may hold a room's or this connection's lock.
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
}
