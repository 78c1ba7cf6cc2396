package io.parley.api.support;

import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunAttribute;
import io.parley.media.turn.codec.StunAttributeType;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunDecoder;
import io.parley.media.turn.codec.StunEncoder;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import io.netty.buffer.Unpooled;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A TURN client over UDP just big enough to allocate with the credentials of an ice-servers body
 * (RFC 8656 §7.1: challenge, then a signed Allocate) and to refresh. Protocol conformance is tested
 * in the media module against coturn's and ice4j's clients; here it only proves what the
 * credentials can do.
 */
public final class TurnProbe implements AutoCloseable {

  private final DatagramSocket socket;
  private final InetSocketAddress server;
  private final String username;
  private final String password;
  private String realm;
  private String nonce;

  public TurnProbe(InetSocketAddress server, String username, String password) {
    try {
      this.socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
      this.socket.setSoTimeout(3000);
    } catch (java.net.SocketException e) {
      throw new IllegalStateException(e);
    }
    this.server = server;
    this.username = username;
    this.password = password;
  }

  /** A probe with the TURN URL and credentials of an ice-servers body. */
  public static TurnProbe fromIceServers(JsonObject body) {
    for (Object o : body.getJsonArray("iceServers")) {
      JsonObject s = (JsonObject) o;
      if (s.getString("username") == null) {
        continue;
      }
      for (Object u : (JsonArray) s.getValue("urls")) {
        String url = u.toString();
        if (url.startsWith("turn:") && url.endsWith("?transport=udp")) {
          String hostPort = url.substring(5, url.indexOf('?'));
          int colon = hostPort.lastIndexOf(':');
          return new TurnProbe(new InetSocketAddress(hostPort.substring(0, colon),
              Integer.parseInt(hostPort.substring(colon + 1))), s.getString("username"), s.getString("credential"));
        }
      }
    }
    throw new IllegalArgumentException("no TURN over UDP in " + body);
  }

  /** Allocate; returns 0 on success or the error code (e.g. 401, 403). */
  public int allocate() {
    return request(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(Attributes.PROTOCOL_UDP)));
  }

  /** The lifetime granted by the last successful Allocate or Refresh. */
  public long lastLifetime() {
    return lastLifetime;
  }

  private long lastLifetime;

  private int request(int method, List<StunAttribute> attributes) {
    if (nonce == null) {
      StunMessage challenge = transact(StunMessage.request(method, StunMessage.newTransactionId(), attributes), null);
      int code = code(challenge);
      if (code != 401) {
        return code;
      }
      realm = Attributes.string(challenge.attribute(StunAttributeType.REALM));
      nonce = Attributes.string(challenge.attribute(StunAttributeType.NONCE));
    }
    byte[] key = MessageIntegrity.longTermKey(username, realm, password);
    List<StunAttribute> all = new ArrayList<>();
    all.add(Attributes.string(StunAttributeType.USERNAME, username));
    all.add(Attributes.string(StunAttributeType.REALM, realm));
    all.add(Attributes.string(StunAttributeType.NONCE, nonce));
    all.addAll(attributes);
    StunMessage r = transact(StunMessage.request(method, StunMessage.newTransactionId(), all), key);
    if (code(r) == 0 && r.has(StunAttributeType.LIFETIME)) {
      lastLifetime = Attributes.uint32(r.attribute(StunAttributeType.LIFETIME));
    }
    return code(r);
  }

  private StunMessage transact(StunMessage request, byte[] key) {
    byte[] bytes = StunEncoder.encodeToBytes(request, key, false);
    try {
      socket.send(new DatagramPacket(bytes, bytes.length, server));
      byte[] buf = new byte[2048];
      while (true) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        StunMessage m = StunDecoder.decode(Unpooled.wrappedBuffer(Arrays.copyOf(buf, p.getLength())));
        if (Arrays.equals(m.transactionId(), request.transactionId())) {
          return m;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no TURN response from " + server);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int code(StunMessage r) {
    if (r.cls() == StunClass.SUCCESS_RESPONSE) {
      return 0;
    }
    StunAttribute e = r.attribute(StunAttributeType.ERROR_CODE);
    return e == null ? -1 : Attributes.errorCode(e);
  }

  @Override
  public void close() {
    socket.close();
  }
}
