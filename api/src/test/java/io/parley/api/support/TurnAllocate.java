package io.parley.api.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A minimal TURN client written from RFC 8489/8656 with the JDK only (not Parley's codec, so that
 * a shared misunderstanding cannot hide): one Allocate with long-term credentials, answering the
 * 401 challenge, over UDP, TCP or TLS, to the server of a {@code turn:} or {@code turns:} URL as
 * the ICE-servers endpoint hands it out. Tells the outcome: the relayed port, or the error code.
 */
public final class TurnAllocate {

  /** The outcome: {@code errorCode} 0 and a relayed address, or the error code of the final answer. */
  public record Result(int errorCode, InetSocketAddress relayed, long lifetimeSeconds) {
    public boolean ok() {
      return errorCode == 0;
    }
  }

  private static final int MAGIC = 0x2112A442;
  private static final int ALLOCATE = 0x0003;
  private static final int USERNAME = 0x0006;
  private static final int MESSAGE_INTEGRITY = 0x0008;
  private static final int ERROR_CODE = 0x0009;
  private static final int LIFETIME = 0x000D;
  private static final int REALM = 0x0014;
  private static final int NONCE = 0x0015;
  private static final int XOR_RELAYED_ADDRESS = 0x0016;
  private static final int REQUESTED_TRANSPORT = 0x0019;
  private static final SecureRandom RANDOM = new SecureRandom();

  private TurnAllocate() {}

  /** Allocates over UDP with the TURN URL and credentials of an ice-servers body (an RTCConfiguration). */
  public static Result allocateUdp(io.vertx.core.json.JsonObject iceServers) throws IOException {
    for (Object o : iceServers.getJsonArray("iceServers")) {
      io.vertx.core.json.JsonObject s = (io.vertx.core.json.JsonObject) o;
      if (s.getString("username") == null) {
        continue;
      }
      for (Object url : s.getJsonArray("urls")) {
        if (url.toString().startsWith("turn:") && url.toString().endsWith("?transport=udp")) {
          return allocate(url.toString(), s.getString("username"), s.getString("credential"));
        }
      }
    }
    throw new IllegalArgumentException("no TURN over UDP in " + iceServers);
  }

  /** Allocates a UDP relay through the TURN server of a {@code turn:} URL with these credentials. */
  public static Result allocate(String turnUrl, String username, String password) throws IOException {
    return allocate(turnUrl, username, password, null);
  }

  /**
   * Allocates a UDP relay through the TURN server of a {@code turn:} URL, or of a {@code turns:} URL
   * over TLS trusting what {@code tls} trusts.
   */
  public static Result allocate(String turnUrl, String username, String password, javax.net.ssl.SSLContext tls)
      throws IOException {
    URI uri = URI.create(turnUrl.replaceFirst("^turns?:", "turn://"));
    InetSocketAddress server = new InetSocketAddress(uri.getHost().replaceAll("^\\[|]$", ""), uri.getPort());
    boolean tcp = turnUrl.endsWith("?transport=tcp");
    boolean secure = turnUrl.startsWith("turns:");
    try (Wire wire = tcp ? new Tcp(server, secure ? tls.getSocketFactory() : javax.net.SocketFactory.getDefault())
        : new Udp(server)) {
      byte[] first = message(null, new byte[0][]);
      Parsed challenge = parse(wire.exchange(first));
      if (challenge.errorCode != 401 || challenge.realm == null || challenge.nonce == null) {
        return new Result(challenge.errorCode, null, 0);
      }
      byte[] key = md5(username + ":" + challenge.realm + ":" + password);
      byte[] second = message(key, new byte[][] {
          attribute(USERNAME, username.getBytes(StandardCharsets.UTF_8)),
          attribute(REALM, challenge.realm.getBytes(StandardCharsets.UTF_8)),
          attribute(NONCE, challenge.nonce.getBytes(StandardCharsets.UTF_8))});
      Parsed answer = parse(wire.exchange(second));
      return new Result(answer.errorCode, answer.relayed, answer.lifetime);
    }
  }

  /** An Allocate request (UDP relay) with these attributes, and MESSAGE-INTEGRITY when {@code key} is given. */
  private static byte[] message(byte[] key, byte[][] attributes) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(attribute(REQUESTED_TRANSPORT, new byte[] {17, 0, 0, 0}));
    for (byte[] a : attributes) {
      body.writeBytes(a);
    }
    byte[] tid = new byte[12];
    RANDOM.nextBytes(tid);
    byte[] attrs = body.toByteArray();
    int length = attrs.length + (key == null ? 0 : 24);
    ByteBuffer m = ByteBuffer.allocate(20 + length);
    m.putShort((short) ALLOCATE).putShort((short) length).putInt(MAGIC).put(tid).put(attrs);
    if (key != null) {
      // HMAC over the message up to (not including) this attribute, with the length already counting it.
      byte[] covered = Arrays.copyOf(m.array(), 20 + attrs.length);
      m.putShort((short) MESSAGE_INTEGRITY).putShort((short) 20).put(hmacSha1(key, covered));
    }
    return m.array();
  }

  private static byte[] attribute(int type, byte[] value) {
    int padded = (value.length + 3) & ~3;
    ByteBuffer b = ByteBuffer.allocate(4 + padded);
    b.putShort((short) type).putShort((short) value.length).put(value);
    return b.array();
  }

  private record Parsed(int errorCode, String realm, String nonce, InetSocketAddress relayed, long lifetime) {}

  private static Parsed parse(byte[] m) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(m);
    int type = b.getShort() & 0xFFFF;
    int length = b.getShort() & 0xFFFF;
    if (b.getInt() != MAGIC || m.length < 20 + length) {
      throw new IOException("not a STUN message");
    }
    b.position(20);
    int code = 0;
    String realm = null;
    String nonce = null;
    InetSocketAddress relayed = null;
    long lifetime = 0;
    while (b.position() + 4 <= 20 + length) {
      int at = b.getShort() & 0xFFFF;
      int len = b.getShort() & 0xFFFF;
      byte[] v = new byte[len];
      b.get(v);
      b.position(b.position() + ((4 - len % 4) % 4));
      switch (at) {
        case ERROR_CODE -> code = (v[2] & 0x07) * 100 + (v[3] & 0xFF);
        case REALM -> realm = new String(v, StandardCharsets.UTF_8);
        case NONCE -> nonce = new String(v, StandardCharsets.UTF_8);
        case LIFETIME -> lifetime = ByteBuffer.wrap(v).getInt() & 0xFFFFFFFFL;
        case XOR_RELAYED_ADDRESS -> {
          int port = (ByteBuffer.wrap(v, 2, 2).getShort() & 0xFFFF) ^ (MAGIC >>> 16);
          byte[] ip = Arrays.copyOfRange(v, 4, 8);
          byte[] magic = ByteBuffer.allocate(4).putInt(MAGIC).array();
          for (int i = 0; i < 4; i++) {
            ip[i] ^= magic[i];
          }
          relayed = new InetSocketAddress(java.net.InetAddress.getByAddress(ip), port);
        }
        default -> { }
      }
    }
    boolean success = (type & 0x0110) == 0x0100;
    boolean error = (type & 0x0110) == 0x0110;
    if (!success && !error) {
      throw new IOException("not a response: type " + Integer.toHexString(type));
    }
    return new Parsed(success ? 0 : (code == 0 ? -1 : code), realm, nonce, relayed, lifetime);
  }

  private static byte[] md5(String s) {
    try {
      return MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmacSha1(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(key, "HmacSHA1"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private interface Wire extends AutoCloseable {
    byte[] exchange(byte[] request) throws IOException;

    @Override
    void close() throws IOException;
  }

  private static final class Udp implements Wire {
    private final DatagramSocket socket;
    private final InetSocketAddress server;

    Udp(InetSocketAddress server) throws IOException {
      this.server = server;
      this.socket = new DatagramSocket();
      socket.setSoTimeout(500);
    }

    @Override
    public byte[] exchange(byte[] request) throws IOException {
      byte[] in = new byte[4096];
      for (int attempt = 0; attempt < 6; attempt++) {
        socket.send(new DatagramPacket(request, request.length, server));
        try {
          DatagramPacket p = new DatagramPacket(in, in.length);
          socket.receive(p);
          if (p.getLength() >= 20 && Arrays.equals(Arrays.copyOfRange(in, 8, 20), Arrays.copyOfRange(request, 8, 20))) {
            return Arrays.copyOf(in, p.getLength());
          }
        } catch (SocketTimeoutException retransmit) {
          // UDP: try again.
        }
      }
      throw new IOException("no answer from " + server + " over UDP");
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  private static final class Tcp implements Wire {
    private final Socket socket;

    Tcp(InetSocketAddress server, javax.net.SocketFactory factory) throws IOException {
      socket = factory.createSocket();
      socket.connect(server, 3000);
      socket.setSoTimeout(3000);
    }

    @Override
    public byte[] exchange(byte[] request) throws IOException {
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream raw = socket.getInputStream();
      DataInputStream in = new DataInputStream(raw);
      byte[] header = new byte[20];
      in.readFully(header);
      int length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
      byte[] m = Arrays.copyOf(header, 20 + length);
      in.readFully(m, 20, length);
      return m;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
