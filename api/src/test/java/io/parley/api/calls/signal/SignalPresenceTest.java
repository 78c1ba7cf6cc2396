package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.parley.api.calls.EndReason;
import io.parley.api.calls.Call;
import io.parley.api.support.CallFixture;
import io.parley.api.support.Poll;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every way a party's signalling socket ends is the same presence transition: both parties dropping
 * at the same moment, and a party the server closes because it stopped reading, leave the peer told
 * ({@code peer-left}) and the grace clock running, and the call ends as disconnected when nobody
 * comes back. No exception escapes into Vert.x on the way.
 */
class SignalPresenceTest {

  private static final long GRACE_SECONDS = 2;
  private static TestNode node;
  private ListAppender<ILoggingEvent> log;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of(
        "PARLEY_CALL_GRACE", Long.toString(GRACE_SECONDS),
        "PARLEY_SIGNAL_RATE", "1000"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @BeforeEach
  void captureLog() {
    log = new ListAppender<>();
    log.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
  }

  @AfterEach
  void releaseLog() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
  }

  private List<String> unhandled() {
    return log.list.stream().filter(e -> e.getFormattedMessage().contains("Unhandled exception"))
        .map(e -> e.getFormattedMessage() + " " + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()))
        .toList();
  }

  @Test
  void bothPartiesClosingAtOnceEndTheCallAfterTheGraceWithoutUnhandledExceptions() throws Exception {
    // The race needs the two close frames to be handled at the same moment on two event loops;
    // several calls make it all but certain that some pairs meet it.
    int calls = 12;
    List<CallFixture> fixtures = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      CallFixture f = CallFixture.start(node);
      fixtures.add(f);
      SignalClient user = SignalClient.authenticated(node.baseUrl(), f.userToken());
      SignalClient expert = SignalClient.authenticated(node.baseUrl(), f.expertToken());
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      user.expect("peer-joined");
      CyclicBarrier together = new CyclicBarrier(2);
      Thread a = Thread.ofPlatform().start(() -> closeAt(together, user));
      Thread b = Thread.ofPlatform().start(() -> closeAt(together, expert));
      assertThat(a.join(Duration.ofSeconds(10)) && b.join(Duration.ofSeconds(10))).as("both closed").isTrue();
    }
    for (CallFixture f : fixtures) {
      Call ended = Poll.until(Duration.ofSeconds(GRACE_SECONDS + 8), "the call ends after the grace",
          () -> node.server().calls().get(f.callId(), f.userId(), false).await(), Call::ended);
      assertThat(ended.endReason()).isEqualTo(EndReason.DISCONNECTED);
    }
    Poll.until(Duration.ofSeconds(5), "every room retired", () -> node.server().signal().roomCount() == 0);
    assertThat(unhandled()).as("no exception escaped into Vert.x").isEmpty();
  }

  private static void closeAt(CyclicBarrier together, SignalClient c) {
    try {
      together.await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    c.close();
  }

  @Test
  void aPartyClosedForNotReadingIsReportedToItsPeerAndTheCallEndsAfterTheGrace() throws Exception {
    CallFixture f = CallFixture.start(node);
    URI uri = URI.create(node.baseUrl());
    try (Socket raw = new Socket();
         SignalClient expert = SignalClient.authenticated(node.baseUrl(), f.expertToken())) {
      // A small receive window, so that what the server writes piles up in its own queue.
      raw.setReceiveBufferSize(4096);
      raw.connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
      raw.setSoTimeout(5_000);
      OutputStream out = raw.getOutputStream();
      DataInputStream in = new DataInputStream(raw.getInputStream());
      upgrade(out, in, uri, f.userToken());
      assertThat(readText(in)).contains("\"ready\"");
      sendText(out, f.join().encode());
      assertThat(readText(in)).contains("\"joined\"");
      // From here on the user reads nothing and keeps the socket.
      expert.send(f.join()).expect("joined");

      String sdp = "a".repeat(60_000);
      String offer = new JsonObject().put("type", "offer").put("sdp", sdp).encode();
      JsonObject left = null;
      for (int i = 0; i < 400 && left == null; i++) {
        expert.sendText(offer);
        if (i % 20 == 19) {
          left = peerLeft(expert, Duration.ofMillis(200));
        }
      }
      if (left == null) {
        left = expert.expect("peer-left");
      }
      assertThat(left.getString("role")).isEqualTo("user");
      assertThat(left.getLong("grace_seconds")).isEqualTo(GRACE_SECONDS);
      JsonObject ended = expert.expect("call-ended", Duration.ofSeconds(GRACE_SECONDS + 6));
      assertThat(ended.getString("reason")).isEqualTo("disconnected");
      assertThat(expert.closeCode(Duration.ofSeconds(3))).isEqualTo(1000);
    }
    assertThat(node.server().calls().get(f.callId(), f.userId(), false).await().endReason())
        .isEqualTo(EndReason.DISCONNECTED);
    assertThat(unhandled()).as("no exception escaped into Vert.x").isEmpty();
  }

  /** The expert's {@code peer-left}, if it arrives within {@code wait}; other messages are skipped. */
  private static JsonObject peerLeft(SignalClient c, Duration wait) {
    try {
      return c.expect("peer-left", wait);
    } catch (AssertionError notYet) {
      return null;
    }
  }

  private static void upgrade(OutputStream out, DataInputStream in, URI uri, String token) throws IOException {
    String key = java.util.Base64.getEncoder().encodeToString(new byte[16]);
    out.write(("GET /api/v1/signal HTTP/1.1\r\nHost: " + uri.getAuthority()
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
        + "\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " + token + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    assertThat(readLine(in)).startsWith("HTTP/1.1 101");
    while (!readLine(in).isEmpty()) {
      // Response headers.
    }
  }

  /** One masked text frame (a zero mask: the payload goes as is). */
  private static void sendText(OutputStream out, String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    if (payload.length > 125) {
      throw new IllegalArgumentException("short frames only");
    }
    out.write(new byte[] {(byte) 0x81, (byte) (0x80 | payload.length), 0, 0, 0, 0});
    out.write(payload);
    out.flush();
  }

  /** The next text frame's payload (short, unfragmented frames: what the server sends before the relay). */
  private static String readText(DataInputStream in) throws IOException {
    while (true) {
      int opcode = in.readUnsignedByte() & 0x0F;
      int len = in.readUnsignedByte() & 0x7F;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        throw new IllegalStateException("unexpected long frame");
      }
      byte[] payload = in.readNBytes(len);
      if (opcode == 0x1) {
        return new String(payload, StandardCharsets.UTF_8);
      }
    }
  }

  private static String readLine(DataInputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }
}
