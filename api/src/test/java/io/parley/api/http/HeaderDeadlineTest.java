package io.parley.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Poll;
import io.parley.api.support.RealtimeClient;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PARLEY_HTTP_HEADER_TIMEOUT: clients that trickle a request's headers a byte at a time (slowloris)
 * or send nothing are disconnected after the deadline, while WebSockets opened before and
 * keep-alive connections idle between requests stay. Before, 300 trickling connections stayed
 * open after 150 s: the idle timeout restarted with every byte.
 */
class HeaderDeadlineTest {

  private static final int SLOW_CLIENTS = 20;
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("PARLEY_HTTP_HEADER_TIMEOUT", "1"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void tricklingClientsAreCutWhileWebSocketsAndKeepAliveConnectionsStay() throws Exception {
    String token = node.api().newUser().getString("access_token");
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    List<SlowClient> slow = new ArrayList<>();
    try (RealtimeClient realtime = RealtimeClient.connect(node, token, "");
         Socket keepAlive = socket();
         Socket silent = socket()) {
      realtime.next("session.created");
      assertThat(get(keepAlive)).startsWith("HTTP/1.1 200");
      SlowClient silentClient = new SlowClient(silent);
      for (int i = 0; i < SLOW_CLIENTS; i++) {
        SlowClient c = new SlowClient(socket());
        slow.add(c);
        trickle.scheduleAtFixedRate(c::sendNextByte, 0, 200, TimeUnit.MILLISECONDS);
      }

      Poll.until(Duration.ofSeconds(20), "every trickling client disconnected",
          () -> slow.stream().filter(c -> c.closed.get()).count(), n -> n == SLOW_CLIENTS);
      Poll.until(Duration.ofSeconds(10), "the silent client disconnected", silentClient.closed::get);
      // None of them got a request through: the head is longer than what a client sends in time.
      assertThat(slow).allSatisfy(c -> assertThat(c.sent.get()).isLessThan(SlowClient.HEAD.length));

      // The WebSocket opened before is older than the deadline and still serves events.
      realtime.send(new JsonObject().put("type", "session.update").put("session", new JsonObject()
          .put("type", "realtime").put("instructions", "Be brief.")));
      assertThat(realtime.next("session.updated").getJsonObject("session").getString("instructions"))
          .endsWith("Be brief.");
      // The keep-alive connection sat idle for longer than the deadline and takes its next request.
      assertThat(get(keepAlive)).startsWith("HTTP/1.1 200");
    } finally {
      trickle.shutdownNow();
      for (SlowClient c : slow) {
        c.socket.close();
      }
    }
  }

  private static Socket socket() throws IOException {
    Socket s = new Socket("127.0.0.1", node.server().httpPort());
    s.setSoTimeout(30_000);
    return s;
  }

  /** One GET on a kept-alive connection; returns the response head. */
  private static String get(Socket s) throws IOException {
    s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head);
      }
      head.append((char) b);
    }
    String length = head.toString().lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow();
    in.readNBytes(Integer.parseInt(length));
    return head.toString();
  }

  /** A client writing its request head a byte at a time; a reader notes when the server closes. */
  private static final class SlowClient {
    static final byte[] HEAD = ("GET /health/live HTTP/1.1\r\nHost: test\r\nX-Padding: " + "x".repeat(200)
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    final Socket socket;
    final AtomicInteger sent = new AtomicInteger();
    final AtomicBoolean closed = new AtomicBoolean();

    SlowClient(Socket socket) {
      this.socket = socket;
      Thread.ofVirtual().start(() -> {
        try {
          while (socket.getInputStream().read() >= 0) {
            // Nothing is expected before the end of the stream.
          }
        } catch (IOException e) {
          // Reset by the server: closed as well.
        }
        closed.set(true);
      });
    }

    void sendNextByte() {
      int i = sent.get();
      if (closed.get() || i >= HEAD.length) {
        return;
      }
      try {
        OutputStream out = socket.getOutputStream();
        out.write(HEAD[i]);
        out.flush();
        sent.incrementAndGet();
      } catch (IOException e) {
        closed.set(true);
      }
    }
  }
}
