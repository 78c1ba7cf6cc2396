package io.parley.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.CallFixture;
import io.parley.api.support.TestNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A WebSocket message over the listeners' limit (16 MiB), declared by one frame or made of
 * fragments, closes the connection with 1009 and a reason, on the realtime and the signalling
 * endpoints alike. Before, a frame declaring more ended in a bare EOF.
 */
class WebSocketLimitTest {

  private static final long OVER = HttpListeners.MAX_WEBSOCKET_BYTES + 1L;
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.shared();
  }

  @Test
  void aFrameDeclaringMoreThanTheLimitIsClosedWith1009OnBothEndpoints() throws Exception {
    String token = node.api().newUser().getString("access_token");
    String signalToken = CallFixture.start(node).userToken();
    for (String[] endpoint : new String[][] {{"/v1/realtime", token}, {"/api/v1/signal", signalToken}}) {
      try (Socket raw = upgrade(endpoint[0], endpoint[1])) {
        OutputStream out = raw.getOutputStream();
        // A binary frame whose header declares OVER bytes; none of them follow.
        out.write(new byte[] {(byte) 0x82, (byte) (0x80 | 127)});
        for (int shift = 56; shift >= 0; shift -= 8) {
          out.write((int) (OVER >>> shift) & 0xFF);
        }
        out.write(new byte[] {1, 2, 3, 4});
        out.flush();
        assertCloses1009(raw, endpoint[0]);
      }
    }
  }

  @Test
  void fragmentsAddingUpToMoreThanTheLimitAreClosedWith1009() throws Exception {
    String token = node.api().newUser().getString("access_token");
    try (Socket raw = upgrade("/v1/realtime", token)) {
      OutputStream out = raw.getOutputStream();
      byte[] mib = new byte[1024 * 1024];
      int frames = (int) (OVER / mib.length) + 1;
      try {
        for (int i = 0; i < frames; i++) {
          // Binary first frame, then continuations; none final.
          frame(out, i == 0 ? 0x02 : 0x00, mib);
        }
      } catch (IOException closedWhileWriting) {
        // The server may close before the last fragment is written: its close frame is still there.
      }
      assertCloses1009(raw, "/v1/realtime in fragments");
    }
  }

  private static void assertCloses1009(Socket raw, String what) throws IOException {
    DataInputStream in = new DataInputStream(raw.getInputStream());
    while (true) {
      int opcode = in.readUnsignedByte() & 0x0F;
      long len = in.readUnsignedByte() & 0x7F;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = in.readNBytes((int) len);
      if (opcode == 0x8) {
        int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        assertThat(code).as(what).isEqualTo(1009);
        assertThat(new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)).as(what)
            .isEqualTo("message larger than " + HttpListeners.MAX_WEBSOCKET_BYTES + " bytes");
        assertThat(in.read()).as("%s: the connection ends after the close frame", what).isEqualTo(-1);
        return;
      }
    }
  }

  private static Socket upgrade(String path, String token) throws IOException {
    Socket raw = new Socket("127.0.0.1", node.server().httpPort());
    raw.setSoTimeout(10_000);
    raw.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n"
        + "Authorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    DataInputStream in = new DataInputStream(raw.getInputStream());
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      head.append((char) in.readUnsignedByte());
    }
    assertThat(head.toString()).as(path).startsWith("HTTP/1.1 101");
    return raw;
  }

  /** One masked frame (mask 0: the payload goes as it is), not final. */
  private static void frame(OutputStream out, int opcode, byte[] payload) throws IOException {
    out.write(new byte[] {(byte) opcode, (byte) (0x80 | 127), 0, 0, 0, 0});
    int n = payload.length;
    out.write(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n, 0, 0, 0, 0});
    out.write(payload);
  }
}
