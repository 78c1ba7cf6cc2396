package io.parley.api.support;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket for the socket fuzz tests (the JDK's client): sends text and binary frames, queues
 * what the server sends as JSON (a message that is not JSON fails the test: the server only speaks
 * JSON), and remembers how the server closed.
 */
public final class FuzzSocket implements AutoCloseable {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final WebSocket ws;
  private final BlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();

  private FuzzSocket(URI uri, String bearer, String subprotocol) throws Exception {
    WebSocket.Builder b = CLIENT.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    if (subprotocol != null) {
      b.subprotocols(subprotocol);
    }
    this.ws = b.buildAsync(uri, new Listener()).get(10, TimeUnit.SECONDS);
  }

  public static FuzzSocket open(URI uri, String bearer) throws Exception {
    return new FuzzSocket(uri, bearer, null);
  }

  /**
   * Sends a frame; false when the socket is closed (by the server, or the send failed because it
   * was closing).
   */
  public boolean send(JsonFuzzer.Frame frame) {
    if (closed.isDone() || ws.isOutputClosed()) {
      return false;
    }
    try {
      (frame.isBinary() ? ws.sendBinary(ByteBuffer.wrap(frame.binary()), true) : ws.sendText(frame.text(), true))
          .get(10, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      // The server may have closed the socket (a close frame, then the connection) while this frame
      // was on its way: the send fails before the listener has been told of the close.
      try {
        closed.get(5, TimeUnit.SECONDS);
        return false;
      } catch (Exception stillOpen) {
        if (ws.isOutputClosed() || ws.isInputClosed()) {
          return false;
        }
        throw new AssertionError("sending " + frame.shown() + " failed on an open socket", e);
      }
    }
  }

  public boolean send(JsonObject message) {
    return send(new JsonFuzzer.Frame(message.encode(), null));
  }

  /**
   * Messages until one matches {@code wanted} (returned; each one before is given to {@code seen}),
   * or null when the socket closed first; fails after {@code wait}.
   */
  public JsonObject until(Predicate<JsonObject> wanted, java.util.function.Consumer<JsonObject> seen, Duration wait)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      JsonObject m = inbox.poll(Math.min(50_000_000L, Math.max(0, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
      if (m != null) {
        if (wanted.test(m)) {
          return m;
        }
        seen.accept(m);
        continue;
      }
      if (closed.isDone() && inbox.isEmpty()) {
        return null;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no reply within " + wait.toSeconds() + " s on an open socket");
      }
    }
  }

  /**
   * The lines of {@code warnings} (a {@code LogCapture}'s) a fuzz run must not produce: all but three
   * kinds that a machine busy with engine work may log and that say nothing about bad input: an
   * engine worker thread (parley-*) past Vert.x's blocked-thread warning (an event loop is never
   * excused), the personal context read timing out (the answer then uses the last one), and a rate
   * limit's Redis call timing out (the node counts on its own until Redis answers again).
   */
  public static java.util.List<String> unexpected(java.util.List<String> warnings) {
    return warnings.stream()
        .filter(w -> !w.startsWith("WARN io.vertx.core.impl.BlockedThreadChecker: Thread parley-"))
        .filter(w -> !(w.startsWith("WARN io.parley.api.assistant.context.PersonalPrompts:") && w.contains("Timeout")))
        .filter(w -> !(w.startsWith("WARN io.parley.api.infra.Counters: Redis unavailable") && w.contains("Timeout")))
        .toList();
  }

  /** The heap in use after collecting (three times: what survives is what the node holds). */
  public static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Forgets the messages received so far (a peer's socket that only needs to be read). */
  public void drain() {
    inbox.clear();
  }

  /** The close code the server sent, or null while open. */
  public Integer closeCode() {
    return closed.getNow(null);
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    ws.abort();
  }

  private final class Listener implements WebSocket.Listener {
    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        try {
          inbox.add(new JsonObject(text));
        } catch (DecodeException | ClassCastException e) {
          inbox.add(new JsonObject().put("type", "fuzz.not_json").put("text", text));
        }
      }
      w.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
      inbox.add(new JsonObject().put("type", "fuzz.binary"));
      w.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket w, Throwable error) {
      closed.complete(1006);
    }
  }
}
