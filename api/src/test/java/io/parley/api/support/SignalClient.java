package io.parley.api.support;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain signalling client on the JDK's own WebSocket implementation (not Vert.x): it records every
 * server message in order and the close code, so tests assert on the protocol as a client sees it.
 */
public final class SignalClient implements AutoCloseable {

  public static final Duration WAIT = Duration.ofSeconds(5);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final WebSocket ws;
  private final BlockingQueue<JsonObject> inbox;
  private final List<JsonObject> seen = new ArrayList<>();
  private final CompletableFuture<Integer> closed;

  private SignalClient(WebSocket ws, Listener listener) {
    this.ws = ws;
    this.closed = listener.closed;
    this.inbox = listener.inbox;
  }

  /** Connects with an optional bearer header (null: authenticate by message later). */
  public static SignalClient connect(String baseUrl, String bearer) {
    return connect(baseUrl, "", bearer);
  }

  /** Connects to the signalling path with a query string (e.g. to check it is refused). */
  public static SignalClient connect(String baseUrl, String query, String bearer) {
    Listener listener = new Listener();
    WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(WAIT);
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    URI uri = URI.create(baseUrl.replaceFirst("^http", "ws") + "/api/v1/signal" + query);
    try {
      WebSocket ws = b.buildAsync(uri, listener).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return new SignalClient(ws, listener);
    } catch (Exception e) {
      throw new IllegalStateException("cannot connect to " + uri + ": " + e, e);
    }
  }

  /** The HTTP status of a refused upgrade, or -1 when it was accepted. */
  public static int upgradeStatus(String baseUrl, String query, String bearer) {
    WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(WAIT);
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    URI uri = URI.create(baseUrl.replaceFirst("^http", "ws") + "/api/v1/signal" + query);
    try {
      WebSocket ws = b.buildAsync(uri, new Listener()).join();
      ws.abort();
      return -1;
    } catch (CompletionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        return h.getResponse().statusCode();
      }
      throw e;
    }
  }

  /** Connects and authenticates with an auth message; returns after {@code ready}. */
  public static SignalClient authenticated(String baseUrl, String token) {
    SignalClient c = connect(baseUrl, null);
    c.send(new JsonObject().put("type", "auth").put("token", token));
    c.expect("ready");
    return c;
  }

  public SignalClient send(JsonObject message) {
    return sendText(message.encode());
  }

  public SignalClient sendText(String text) {
    ws.sendText(text, true).join();
    return this;
  }

  /** One text message in as many frames as {@code parts} (RFC 6455 fragmentation). */
  public SignalClient sendFragments(String... parts) {
    for (int i = 0; i < parts.length; i++) {
      ws.sendText(parts[i], i == parts.length - 1).join();
    }
    return this;
  }

  public SignalClient sendBinary(byte[] data) {
    ws.sendBinary(java.nio.ByteBuffer.wrap(data), true).join();
    return this;
  }

  /** The next server message, whatever it is; fails after {@link #WAIT}. */
  public JsonObject next() {
    return next(WAIT);
  }

  public JsonObject next(Duration wait) {
    try {
      JsonObject m = inbox.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
      if (m == null) {
        throw new AssertionError("no message within " + wait.toMillis() + " ms; seen so far: " + seen);
      }
      seen.add(m);
      return m;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Skips messages until one of {@code type}; fails if none comes in time. */
  public JsonObject expect(String type) {
    return expect(type, WAIT);
  }

  public JsonObject expect(String type, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no '" + type + "' within " + wait.toMillis() + " ms; seen: " + seen);
      }
      JsonObject m = next(Duration.ofNanos(left));
      if (type.equals(m.getString("type"))) {
        return m;
      }
    }
  }

  /** Asserts that nothing arrives for {@code quiet}. */
  public void expectSilence(Duration quiet) {
    try {
      JsonObject m = inbox.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
      if (m != null) {
        throw new AssertionError("expected no message, got " + m);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The close code the server sent; fails if it does not close in time. */
  public int closeCode(Duration wait) {
    try {
      return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the server did not close the connection within " + wait.toMillis() + " ms");
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Every message taken so far (by next/expect), in order. */
  public List<JsonObject> seen() {
    return seen;
  }

  /** Drops the connection without a close handshake (a network failure, as the server sees it). */
  public void abort() {
    ws.abort();
  }

  @Override
  public void close() {
    if (!ws.isOutputClosed()) {
      try {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Already closing.
      }
    }
    ws.abort();
  }

  private static final class Listener implements WebSocket.Listener {
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final BlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        inbox.add(new JsonObject(partial.toString()));
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(-1);
    }
  }
}
