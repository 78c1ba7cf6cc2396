package io.parley.api.calls.signal;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A signalling WebSocket without a network, for the connection-side classes: it records the
 * messages the server writes (as JSON), its pings and how it closes the socket. Anything else the
 * server would call on it fails the test.
 */
final class FakeSocket implements InvocationHandler {

  final ServerWebSocket ws = (ServerWebSocket) Proxy.newProxyInstance(FakeSocket.class.getClassLoader(),
      new Class<?>[] {ServerWebSocket.class}, this);
  final List<JsonObject> sent = new CopyOnWriteArrayList<>();
  final AtomicInteger pings = new AtomicInteger();
  /** The close code and reason, once closed. */
  final AtomicReference<String> closed = new AtomicReference<>();

  /** A connection on this socket, made on a new context of {@code vertx} (its event loop owns it). */
  SignalConnection connect(Vertx vertx, int messagesPerSecond, Consumer<SignalConnection> onEnded) throws Exception {
    Context context = vertx.getOrCreateContext();
    CompletableFuture<SignalConnection> made = new CompletableFuture<>();
    context.runOnContext(v -> made.complete(new SignalConnection(ws, context, messagesPerSecond, onEnded)));
    return made.get(5, TimeUnit.SECONDS);
  }

  /** The close code, or null while open. */
  Short closeCode() {
    String c = closed.get();
    return c == null ? null : Short.valueOf(c.substring(0, c.indexOf(' ')));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) {
    return switch (method.getName()) {
      case "writeTextMessage" -> {
        sent.add(new JsonObject((String) args[0]));
        yield Future.succeededFuture();
      }
      case "writeFrame" -> {
        sent.add(new JsonObject(((WebSocketFrame) args[0]).textData()));
        yield Future.succeededFuture();
      }
      case "writePing" -> {
        pings.incrementAndGet();
        yield Future.succeededFuture();
      }
      case "writeQueueFull" -> false;
      case "close" -> {
        closed.compareAndSet(null, args[0] + " " + args[1]);
        yield Future.succeededFuture();
      }
      case "hashCode" -> System.identityHashCode(proxy);
      case "equals" -> proxy == args[0];
      case "toString" -> "FakeSocket";
      default -> throw new UnsupportedOperationException("not expected of a signalling socket: " + method.getName());
    };
  }

  /** An upgrade request: its query and headers; records whether it was accepted (with a {@link FakeSocket}) or rejected. */
  static final class Handshake implements InvocationHandler {

    final ServerWebSocketHandshake h = (ServerWebSocketHandshake) Proxy.newProxyInstance(
        FakeSocket.class.getClassLoader(), new Class<?>[] {ServerWebSocketHandshake.class}, this);
    final FakeSocket socket = new FakeSocket();
    /** The status it was rejected with, or 101 when accepted. */
    final CompletableFuture<Integer> outcome = new CompletableFuture<>();
    private final String query;
    private final MultiMap headers = MultiMap.caseInsensitiveMultiMap();

    Handshake(String query, String authorization) {
      this.query = query;
      if (authorization != null) {
        headers.add("Authorization", authorization);
      }
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) {
      return switch (method.getName()) {
        case "query" -> query;
        case "headers" -> headers;
        case "reject" -> {
          outcome.complete((Integer) args[0]);
          yield Future.succeededFuture();
        }
        case "accept" -> {
          outcome.complete(101);
          yield Future.succeededFuture(socket.ws);
        }
        case "hashCode" -> System.identityHashCode(proxy);
        case "equals" -> proxy == args[0];
        case "toString" -> "FakeSocket.Handshake";
        default -> throw new UnsupportedOperationException("not expected of a handshake: " + method.getName());
      };
    }
  }
}
