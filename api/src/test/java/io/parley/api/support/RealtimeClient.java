package io.parley.api.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A bare {@code /v1/realtime} client for tests (the JDK's WebSocket): JSON events in and out. */
public final class RealtimeClient implements AutoCloseable {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final WebSocket ws;
  private final BlockingQueue<JsonObject> inbox;

  private RealtimeClient(WebSocket ws, BlockingQueue<JsonObject> inbox) {
    this.ws = ws;
    this.inbox = inbox;
  }

  /** Opens a session on {@code node} ({@code query}: "" or "?name=value..."). */
  public static RealtimeClient connect(TestNode node, String token, String query) throws Exception {
    return connect("ws://127.0.0.1:" + node.server().httpPort() + "/v1/realtime" + query, token);
  }

  /** Opens a session at {@code url} (a node in another process: the soak benchmark). */
  public static RealtimeClient connect(String url, String token) throws Exception {
    BlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
    WebSocket ws = CLIENT.newWebSocketBuilder().header("Authorization", "Bearer " + token)
        .buildAsync(URI.create(url), new Inbox(inbox)).get(10, TimeUnit.SECONDS);
    return new RealtimeClient(ws, inbox);
  }

  /** A listener that puts each whole text message, as JSON, into a queue (extend it for closes). */
  public static class Inbox implements WebSocket.Listener {
    private final BlockingQueue<JsonObject> inbox;
    private final StringBuilder partial = new StringBuilder();

    public Inbox(BlockingQueue<JsonObject> inbox) {
      this.inbox = inbox;
    }

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        inbox.add(new JsonObject(partial.toString()));
        partial.setLength(0);
      }
      w.request(1);
      return null;
    }
  }

  /** The HTTP status a handshake is refused with, or 101 when it opened (then closed at once). */
  public static int handshakeStatus(TestNode node, String token, String query) throws Exception {
    try {
      connect(node, token, query).close();
      return 101;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException h) {
        return h.getResponse().statusCode();
      }
      throw e;
    }
  }

  public void send(JsonObject event) throws Exception {
    ws.sendText(event.encode(), true).get(10, TimeUnit.SECONDS);
  }

  /** Sends a user text message and asks for an answer. */
  public void say(String text) throws Exception {
    send(new JsonObject().put("type", "conversation.item.create").put("item", new JsonObject().put("type", "message")
        .put("role", "user").put("content", new JsonArray().add(new JsonObject().put("type", "input_text")
            .put("text", text)))));
    send(new JsonObject().put("type", "response.create"));
  }

  /** The next event of {@code type}, skipping others (named in the failure); fails after 10 s. */
  public JsonObject next(String type) throws InterruptedException {
    return nextOrDone(type, null, java.time.Duration.ofSeconds(10));
  }

  /** As {@link #next(String)}, waiting at most {@code wait} (engine work on a busy machine). */
  public JsonObject next(String type, java.time.Duration wait) throws InterruptedException {
    return nextOrDone(type, null, wait);
  }

  /**
   * The next event of {@code type}, or null when an event of {@code end} comes first; skips others
   * (named in the failure); fails after 10 s.
   */
  public JsonObject nextOrDone(String type, String end) throws InterruptedException {
    return nextOrDone(type, end, java.time.Duration.ofSeconds(10));
  }

  /** As {@link #nextOrDone(String, String)}, waiting at most {@code wait}. */
  public JsonObject nextOrDone(String type, String end, java.time.Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    StringBuilder skipped = new StringBuilder();
    while (true) {
      JsonObject e = inbox.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("no " + type + " within " + wait.toSeconds() + " s; skipped: " + skipped);
      }
      if (e.getString("type").equals(type)) {
        return e;
      }
      if (e.getString("type").equals(end)) {
        return null;
      }
      skipped.append(e.getString("type").equals("error") ? e.encode() : e.getString("type")).append(' ');
    }
  }

  /** The next event of any type, or null when none comes within {@code wait}. */
  public JsonObject poll(java.time.Duration wait) throws InterruptedException {
    return inbox.poll(Math.max(0, wait.toNanos()), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    ws.abort();
  }
}
