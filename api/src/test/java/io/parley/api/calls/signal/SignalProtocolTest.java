package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.calls.EndReason;
import io.parley.api.support.CallFixture;
import io.parley.api.support.JwtForge;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The signalling protocol as plain WebSocket clients see it: authentication, joining, relaying,
 * presence, resuming, malformed input, rate limits and abuse. One node with tight limits so that
 * timeouts and limits are reached quickly.
 */
class SignalProtocolTest {

  private static TestNode node;
  private static String base;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of(
        "PARLEY_SIGNAL_RATE", "10",
        "PARLEY_SIGNAL_AUTH_TIMEOUT", "1",
        "PARLEY_SIGNAL_MAX_MESSAGE_BYTES", "4096",
        "PARLEY_CALL_GRACE", "3",
        "PARLEY_SIGNAL_PING_INTERVAL", "1"));
    base = node.baseUrl();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void authenticatesByHeaderOrFirstMessage() {
    CallFixture f = CallFixture.start(node);
    try (SignalClient header = SignalClient.connect(base, f.userToken())) {
      JsonObject ready = header.expect("ready");
      assertThat(ready.getString("user_id")).isEqualTo(f.userId().toString());
      assertThat(ready.getLong("seq")).isEqualTo(1L);
    }
    try (SignalClient message = SignalClient.authenticated(base, f.expertToken())) {
      assertThat(message.seen().getLast().getString("role")).isEqualTo("expert");
    }
  }

  @Test
  void refusesBadTokensAndTokensInTheQueryString() {
    CallFixture f = CallFixture.start(node);
    assertThat(SignalClient.upgradeStatus(base, "?token=" + f.userToken(), null)).isEqualTo(400);
    assertThat(SignalClient.upgradeStatus(base, "?access_token=" + f.userToken(), null)).isEqualTo(400);
    assertThat(SignalClient.upgradeStatus(base, "", "not-a-jwt")).isEqualTo(401);
    JwtForge forge = JwtForge.ofNode(node);
    JsonObject claims = JwtForge.claims(f.userId().toString(), "user", "parley", java.time.Instant.now().plusSeconds(300));
    String algNone = JwtForge.encode(new JsonObject().put("alg", "none").put("typ", "JWT")) + "."
        + JwtForge.encode(claims) + ".";
    assertThat(SignalClient.upgradeStatus(base, "", algNone)).isEqualTo(401);
    String expired = forge.hs256(JwtForge.claims(f.userId().toString(), "user", "parley",
        java.time.Instant.now().minusSeconds(300)));
    // The same forge makes an accepted token: the refusals above are about the token, not the forge.
    assertThat(SignalClient.upgradeStatus(base, "", forge.hs256(claims))).isEqualTo(-1);
    try (SignalClient c = SignalClient.connect(base, null)) {
      c.send(new JsonObject().put("type", "auth").put("token", expired));
      assertThat(c.closeCode(Duration.ofSeconds(5))).isEqualTo(4001);
    }
  }

  @Test
  void pingsAndClosesAClientThatNeverAnswers() throws Exception {
    CallFixture f = CallFixture.start(node);
    URI uri = URI.create(base);
    try (Socket raw = new Socket(uri.getHost(), uri.getPort())) {
      raw.setSoTimeout(10_000);
      String key = java.util.Base64.getEncoder().encodeToString(new byte[16]);
      raw.getOutputStream().write(("GET /api/v1/signal HTTP/1.1\r\nHost: " + uri.getAuthority()
          + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
          + "\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " + f.userToken() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      DataInputStream in = new DataInputStream(raw.getInputStream());
      String status = readLine(in);
      assertThat(status).startsWith("HTTP/1.1 101");
      while (!readLine(in).isEmpty()) {
        // Response headers.
      }
      int pings = 0;
      long started = System.nanoTime();
      while (true) {
        int opcode = in.readUnsignedByte() & 0x0F;
        int len = in.readUnsignedByte() & 0x7F;
        if (len == 126) {
          len = in.readUnsignedShort();
        }
        byte[] payload = in.readNBytes(len);
        if (opcode == 0x9) {
          pings++;
        } else if (opcode == 0x8) {
          int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
          assertThat(code).isEqualTo(4008);
          break;
        }
      }
      assertThat(pings).as("pinged once per interval before giving up").isGreaterThanOrEqualTo(2);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
    }
  }

  /**
   * The relay reads a message's bytes as they came: a message in fragments is one message, binary
   * frames and messages beyond the limit (also in fragments) are refused, and bytes that are not
   * UTF-8 reach the peer as U+FFFD, as the socket's text always had them.
   */
  @Test
  void messagesAreReadAsTheirBytesWhateverTheirFrames() throws Exception {
    CallFixture f = CallFixture.start(node);
    try (SignalClient user = SignalClient.authenticated(base, f.userToken());
         SignalClient expert = SignalClient.authenticated(base, f.expertToken())) {
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      user.expect("peer-joined");
      user.sendFragments("{\"type\":\"off", "er\",\"sdp\":\"v=0\\r\\n", "caf\u00e9\"}");
      JsonObject offer = expert.expect("offer");
      assertThat(offer.getString("sdp")).isEqualTo("v=0\r\ncaf\u00e9");
      assertThat(offer.getString("from")).isEqualTo("user");
      JsonObject binary = user.sendBinary(new byte[] {1, 2, 3}).expect("error");
      assertThat(binary.getString("code")).isEqualTo("invalid");
      assertThat(binary.getString("message")).isEqualTo("binary frames are not used by signalling");
      String[] parts = new String[5];
      java.util.Arrays.fill(parts, "a".repeat(1500));
      parts[0] = "{\"type\":\"offer\",\"sdp\":\"";
      parts[4] = "\"}";
      JsonObject big = user.sendFragments(parts).expect("error");
      assertThat(big.getString("code")).isEqualTo("too_large");
      assertThat(big.getString("message")).isEqualTo("message larger than 4096 bytes");
      assertThat(user.isClosed()).isFalse();
    }
    try (SignalClient expert = SignalClient.authenticated(base, f.expertToken())) {
      expert.send(f.join()).expect("joined");
      URI uri = URI.create(base);
      try (Socket raw = new Socket(uri.getHost(), uri.getPort())) {
        raw.setSoTimeout(10_000);
        java.io.OutputStream out = raw.getOutputStream();
        DataInputStream in = new DataInputStream(raw.getInputStream());
        out.write(("GET /api/v1/signal HTTP/1.1\r\nHost: " + uri.getAuthority()
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="
            + "\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " + f.userToken() + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        assertThat(readLine(in)).startsWith("HTTP/1.1 101");
        while (!readLine(in).isEmpty()) {
          // Response headers.
        }
        rawText(out, f.join().encode().getBytes(StandardCharsets.UTF_8));
        expert.expect("peer-joined");
        byte[] head = "{\"type\":\"offer\",\"sdp\":\"v=0 ".getBytes(StandardCharsets.US_ASCII);
        byte[] message = java.util.Arrays.copyOf(head, head.length + 4);
        message[head.length] = (byte) 0xFF;
        message[head.length + 1] = (byte) 0xC3;
        message[head.length + 2] = '"';
        message[head.length + 3] = '}';
        rawText(out, message);
        assertThat(expert.expect("offer").getString("sdp")).isEqualTo("v=0 \ufffd\ufffd");
      }
    }
  }

  /** One masked text frame (a zero mask: the payload goes as is). */
  private static void rawText(java.io.OutputStream out, byte[] payload) throws java.io.IOException {
    if (payload.length > 125) {
      throw new IllegalArgumentException("short frames only");
    }
    out.write(new byte[] {(byte) 0x81, (byte) (0x80 | payload.length), 0, 0, 0, 0});
    out.write(payload);
    out.flush();
  }

  private static String readLine(DataInputStream in) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @Test
  void closesUnauthenticatedConnectionsAfterTheTimeout() {
    try (SignalClient c = SignalClient.connect(base, null)) {
      c.send(new JsonObject().put("type", "join").put("call_id", java.util.UUID.randomUUID().toString()));
      JsonObject e = c.expect("error");
      assertThat(e.getString("code")).isEqualTo("unauthenticated");
      assertThat(c.closeCode(Duration.ofSeconds(5))).isEqualTo(4002);
    }
  }

  @Test
  void relaysBetweenTheTwoPartiesWithPresence() {
    CallFixture f = CallFixture.start(node);
    try (SignalClient user = SignalClient.authenticated(base, f.userToken());
         SignalClient expert = SignalClient.authenticated(base, f.expertToken())) {
      JsonObject joined = user.send(f.join().put("id", "j1")).expect("joined");
      assertThat(joined.getString("role")).isEqualTo("user");
      assertThat(joined.getBoolean("peer_present")).isFalse();
      assertThat(joined.getBoolean("resumed")).isFalse();
      assertThat(joined.getString("ends_at")).isEqualTo(f.call().endsAt().toString());
      assertThat(joined.getLong("remaining_seconds")).isBetween(1100L, 1200L);

      JsonObject expertJoined = expert.send(f.join()).expect("joined");
      assertThat(expertJoined.getString("role")).isEqualTo("expert");
      assertThat(expertJoined.getBoolean("peer_present")).isTrue();
      JsonObject peerJoined = user.expect("peer-joined");
      assertThat(peerJoined.getString("role")).isEqualTo("expert");

      user.send(new JsonObject().put("type", "offer").put("sdp", "v=0 offer").put("id", 7));
      JsonObject offer = expert.expect("offer");
      assertThat(offer.getString("sdp")).isEqualTo("v=0 offer");
      assertThat(offer.getString("from")).isEqualTo("user");
      assertThat(offer.containsKey("id")).as("client ids are not forwarded").isFalse();

      expert.send(new JsonObject().put("type", "answer").put("sdp", "v=0 answer\r\na=\"quoted\" \u00e9"));
      JsonObject answer = user.expect("answer");
      assertThat(answer.getString("sdp")).isEqualTo("v=0 answer\r\na=\"quoted\" \u00e9");
      assertThat(answer.getString("from")).isEqualTo("expert");
      expert.send(new JsonObject().put("type", "answer").put("sdp", "v=0 again").put("x-extra", 1));
      JsonObject rebuilt = user.expect("answer");
      assertThat(rebuilt.getString("sdp")).isEqualTo("v=0 again");
      assertThat(rebuilt.containsKey("x-extra")).as("only documented fields are relayed").isFalse();

      JsonObject cand = new JsonObject().put("candidate", "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host")
          .put("sdpMid", "0").put("sdpMLineIndex", 0);
      user.send(new JsonObject().put("type", "candidate").put("candidate", cand));
      assertThat(expert.expect("candidate").getJsonObject("candidate")).isEqualTo(cand);
      user.send(new JsonObject().put("type", "candidate").putNull("candidate"));
      JsonObject end = expert.expect("candidate");
      assertThat(end.containsKey("candidate")).isTrue();
      assertThat(end.getValue("candidate")).isNull();

      expert.send(new JsonObject().put("type", "media").put("audio", false).put("video", true));
      JsonObject media = user.expect("peer-media");
      assertThat(media.getString("role")).isEqualTo("expert");
      assertThat(media.getBoolean("audio")).isFalse();
      assertThat(media.getBoolean("video")).isTrue();

      expert.send(new JsonObject().put("type", "renegotiate").put("reason", "camera on"));
      assertThat(user.expect("renegotiate").getString("reason")).isEqualTo("camera on");

      // Sequence numbers increase by one per connection.
      long previous = 0;
      for (JsonObject m : user.seen()) {
        assertThat(m.getLong("seq")).isEqualTo(previous + 1);
        previous = m.getLong("seq");
      }
    }
  }

  @Test
  void strangersAndUnknownCallsAreNotFound() {
    CallFixture f = CallFixture.start(node);
    String stranger = node.api().newUser().getString("access_token");
    try (SignalClient c = SignalClient.authenticated(base, stranger)) {
      JsonObject e = c.send(f.join().put("id", "x")).expect("error");
      assertThat(e.getString("code")).isEqualTo("not_found");
      assertThat(e.getString("ref")).isEqualTo("x");
      e = c.send(new JsonObject().put("type", "join").put("call_id", java.util.UUID.randomUUID().toString()))
          .expect("error");
      assertThat(e.getString("code")).isEqualTo("not_found");
      // A stranger cannot relay into the call either.
      e = c.send(new JsonObject().put("type", "offer").put("sdp", "v=0")).expect("error");
      assertThat(e.getString("code")).isEqualTo("not_joined");
    }
  }

  @Test
  void malformedMessagesGetErrorsAndTheConnectionStays() {
    CallFixture f = CallFixture.start(node);
    try (SignalClient c = SignalClient.authenticated(base, f.userToken())) {
      assertThat(c.sendText("{not json").expect("error").getString("code")).isEqualTo("bad_json");
      assertThat(c.sendText("[1,2]").expect("error").getString("code")).isEqualTo("bad_json");
      assertThat(c.sendText("null").expect("error").getString("code")).isEqualTo("bad_json");
      assertThat(c.sendText("{\"type\":\"ping\"} {\"type\":\"ping\"}").expect("error").getString("code"))
          .as("exactly one object per message").isEqualTo("bad_json");
      assertThat(c.sendText("{\"id\":1}").expect("error").getString("code")).isEqualTo("invalid");
      JsonObject unknown = c.send(new JsonObject().put("type", "teleport").put("id", "t")).expect("error");
      assertThat(unknown.getString("code")).isEqualTo("unknown_type");
      assertThat(unknown.getString("ref")).isEqualTo("t");
      assertThat(c.send(new JsonObject().put("type", "offer").put("sdp", "v=0")).expect("error").getString("code"))
          .isEqualTo("not_joined");
      c.send(f.join()).expect("joined");
      assertThat(c.send(new JsonObject().put("type", "offer")).expect("error").getString("code"))
          .isEqualTo("invalid");
      assertThat(c.send(new JsonObject().put("type", "candidate").put("candidate", 5)).expect("error")
          .getString("code")).isEqualTo("invalid");
      assertThat(c.send(new JsonObject().put("type", "media").put("audio", "yes")).expect("error")
          .getString("code")).isEqualTo("invalid");
      JsonObject big = c.send(new JsonObject().put("type", "offer").put("sdp", "a".repeat(10_000))).expect("error");
      assertThat(big.getString("code")).isEqualTo("too_large");
      assertThat(c.send(new JsonObject().put("type", "ping").put("id", 99)).expect("pong").getInteger("ref"))
          .isEqualTo(99);
      assertThat(c.isClosed()).isFalse();
    }
  }

  @Test
  void rateLimitsAndClosesSustainedAbuse() throws Exception {
    CallFixture f = CallFixture.start(node);
    try (SignalClient c = SignalClient.authenticated(base, f.userToken())) {
      for (int i = 0; i < 25; i++) {
        c.send(new JsonObject().put("type", "ping"));
      }
      int pongs = 0;
      int limited = 0;
      for (int i = 0; i < 25; i++) {
        JsonObject m = c.next();
        if ("pong".equals(m.getString("type"))) {
          pongs++;
        } else if ("rate_limited".equals(m.getString("code"))) {
          limited++;
        }
      }
      // The burst is twice the rate (20); the auth message took one, the refill adds ~10/s meanwhile.
      assertThat(pongs).as("the burst is served, the rest refused").isBetween(19, 22);
      assertThat(limited).isEqualTo(25 - pongs);
      assertThat(c.isClosed()).isFalse();
    }
    try (SignalClient c = SignalClient.authenticated(base, f.userToken())) {
      for (int i = 0; i < SignalConnection.MAX_STRIKES + 5 && !c.isClosed(); i++) {
        c.sendText("garbage " + i);
      }
      assertThat(c.closeCode(Duration.ofSeconds(5))).isEqualTo(1008);
    }
  }

  @Test
  void aDroppedPartyResumesAndGetsWhatWasSentMeanwhile() {
    CallFixture f = CallFixture.start(node);
    try (SignalClient expert = SignalClient.authenticated(base, f.expertToken())) {
      SignalClient user = SignalClient.authenticated(base, f.userToken());
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      user.expect("peer-joined");
      user.abort();

      JsonObject left = expert.expect("peer-left");
      assertThat(left.getString("role")).isEqualTo("user");
      assertThat(left.getLong("grace_seconds")).isEqualTo(3L);
      expert.send(new JsonObject().put("type", "offer").put("sdp", "v=0 while away"));
      expert.send(new JsonObject().put("type", "candidate").put("candidate", new JsonObject().put("candidate", "c1")));

      try (SignalClient back = SignalClient.authenticated(base, f.userToken())) {
        JsonObject joined = back.send(f.join()).expect("joined");
        assertThat(joined.getBoolean("resumed")).isTrue();
        assertThat(joined.getBoolean("peer_present")).isTrue();
        assertThat(back.expect("offer").getString("sdp")).isEqualTo("v=0 while away");
        assertThat(back.expect("candidate").getJsonObject("candidate").getString("candidate")).isEqualTo("c1");
        JsonObject again = expert.expect("peer-joined");
        assertThat(again.getBoolean("resumed")).isTrue();
        // Past the grace period the call is still on: the party came back in time.
        back.expectSilence(Duration.ofMillis(3500));
        back.send(new JsonObject().put("type", "answer").put("sdp", "v=0 after resume"));
        assertThat(expert.expect("answer").getString("sdp")).isEqualTo("v=0 after resume");
      }
    }
  }

  @Test
  void aPartyThatDoesNotComeBackEndsTheCall() {
    CallFixture f = CallFixture.start(node);
    try (SignalClient expert = SignalClient.authenticated(base, f.expertToken())) {
      SignalClient user = SignalClient.authenticated(base, f.userToken());
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      user.abort();
      expert.expect("peer-left");
      JsonObject ended = expert.expect("call-ended", Duration.ofSeconds(8));
      assertThat(ended.getString("reason")).isEqualTo("disconnected");
      assertThat(expert.closeCode(Duration.ofSeconds(3))).isEqualTo(1000);
      assertThat(node.server().calls().get(f.callId(), f.userId(), false).await().endReason())
          .isEqualTo(EndReason.DISCONNECTED);
    }
  }

  @Test
  void hangupEndsTheCallForBoth() {
    CallFixture f = CallFixture.start(node);
    try (SignalClient user = SignalClient.authenticated(base, f.userToken());
         SignalClient expert = SignalClient.authenticated(base, f.expertToken())) {
      user.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      expert.send(new JsonObject().put("type", "hangup"));
      for (SignalClient c : new SignalClient[] {user, expert}) {
        JsonObject ended = c.expect("call-ended");
        assertThat(ended.getString("reason")).isEqualTo("hangup");
        assertThat(ended.getString("call_id")).isEqualTo(f.callId().toString());
        assertThat(ended.getLong("duration_seconds")).isNotNull();
        assertThat(c.closeCode(Duration.ofSeconds(3))).isEqualTo(1000);
      }
    }
    try (SignalClient late = SignalClient.authenticated(base, f.userToken())) {
      assertThat(late.send(f.join()).expect("error").getString("code")).isEqualTo("call_ended");
    }
  }

  @Test
  void aSecondConnectionOfTheSamePartyReplacesTheFirst() {
    CallFixture f = CallFixture.start(node);
    try (SignalClient first = SignalClient.authenticated(base, f.userToken());
         SignalClient second = SignalClient.authenticated(base, f.userToken());
         SignalClient expert = SignalClient.authenticated(base, f.expertToken())) {
      first.send(f.join()).expect("joined");
      expert.send(f.join()).expect("joined");
      second.send(f.join()).expect("joined");
      assertThat(first.closeCode(Duration.ofSeconds(3))).isEqualTo(4009);
      expert.send(new JsonObject().put("type", "offer").put("sdp", "v=0 to the new one"));
      assertThat(second.expect("offer").getString("sdp")).isEqualTo("v=0 to the new one");
    }
  }
}
