package io.parley.media.turn;

import static io.parley.media.turn.codec.StunAttributeType.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.ChannelData;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunAttribute;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunDecoder;
import io.parley.media.turn.codec.StunEncoder;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;

/**
 * A small blocking TURN client for tests, built on Parley's codec over a plain {@link
 * DatagramSocket} or {@link Socket}: the 401 challenge, long-term credentials (key = {@link
 * MessageIntegrity#longTermKey}), Allocate, Refresh, CreatePermission, ChannelBind, Send
 * indications and ChannelData, and a receive with a timeout for what the server relays. Every wait
 * is bounded by the socket timeout. Not thread-safe. Every message it writes is kept in {@link
 * #sent()} (a corpus for the fuzz test).
 */
final class TurnTestClient implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(3);

  /**
   * Something the server sent that is not the response awaited: a STUN message ({@code stun}
   * non-null), or ChannelData ({@code channel} and {@code data}). {@code raw} is the whole frame as
   * read, padding included.
   */
  record Inbound(byte[] raw, StunMessage stun, int channel, byte[] data) {
    boolean isChannelData() {
      return stun == null;
    }
  }

  private final Wire wire;
  private final Deque<Inbound> pending = new ArrayDeque<>();
  private final List<byte[]> sent = Collections.synchronizedList(new ArrayList<>());
  private String username;
  private String password;
  private String realm;
  private String nonce;
  private byte[] key;
  private boolean fingerprint;

  private TurnTestClient(Wire wire) {
    this.wire = wire;
  }

  /** A client over UDP to the test server, with the static user's credentials. */
  static TurnTestClient udp(TurnTestServer server) {
    return new TurnTestClient(new Udp(server.address())).credentials(TurnTestServer.USER, TurnTestServer.PASSWORD);
  }

  /** A client over TCP to the test server, with the static user's credentials. */
  static TurnTestClient tcp(TurnTestServer server) {
    return new TurnTestClient(new Tcp(Tcp.connect(server.address(), new Socket())))
        .credentials(TurnTestServer.USER, TurnTestServer.PASSWORD);
  }

  /**
   * A client over TLS to the test server's TLS port, trusting {@code trust}; the handshake is done
   * when this returns, so {@link #tlsSession()} shows the certificate the server presented.
   */
  static TurnTestClient tls(TurnTestServer server, javax.net.ssl.SSLContext trust) {
    try {
      javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) trust.getSocketFactory().createSocket();
      Tcp.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.server.tlsPort()), socket);
      socket.startHandshake();
      return new TurnTestClient(new Tcp(socket)).credentials(TurnTestServer.USER, TurnTestServer.PASSWORD);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The TLS session of a client made by {@link #tls}. */
  javax.net.ssl.SSLSession tlsSession() {
    return ((javax.net.ssl.SSLSocket) ((Tcp) wire).socket).getSession();
  }

  TurnTestClient credentials(String user, String pass) {
    this.username = user;
    this.password = pass;
    this.key = realm == null ? null : MessageIntegrity.longTermKey(user, realm, pass);
    return this;
  }

  /** REST credentials {username, password}. */
  TurnTestClient credentials(String[] rest) {
    return credentials(rest[0], rest[1]);
  }

  /** Whether requests carry FINGERPRINT. */
  TurnTestClient fingerprint(boolean on) {
    this.fingerprint = on;
    return this;
  }

  String username() {
    return username;
  }

  /** The long-term key, known once the realm has been learned from a 401. */
  byte[] key() {
    return key;
  }

  String nonce() {
    return nonce;
  }

  boolean tcp() {
    return wire instanceof Tcp;
  }

  InetSocketAddress localAddress() {
    return wire.local();
  }

  /** Every message written so far, in order. */
  List<byte[]> sent() {
    synchronized (sent) {
      return List.copyOf(sent);
    }
  }

  // --- requests ----------------------------------------------------------------------------------

  /** A Binding request (no authentication). */
  StunMessage binding() {
    return transact(StunMessage.request(StunMethod.BINDING, StunMessage.newTransactionId(), List.of()), null);
  }

  /** Sends {@code request}, signed with {@code integrityKey} if not null, and waits for its response. */
  StunMessage transact(StunMessage request, byte[] integrityKey) {
    write(StunEncoder.encodeToBytes(request, integrityKey, fingerprint));
    return awaitResponse(request.transactionId());
  }

  /** Sends raw bytes and waits for the response to {@code txId}. */
  StunMessage transactRaw(byte[] bytes, byte[] txId) {
    write(bytes);
    return awaitResponse(txId);
  }

  /**
   * An authenticated request with this client's credentials: first without MESSAGE-INTEGRITY when
   * no nonce is known (the 401 gives REALM and NONCE), then signed; a 438 renews the nonce and the
   * request is sent once more. Returns the final response.
   */
  StunMessage request(int method, List<StunAttribute> attributes) {
    return request(method, tx -> attributes);
  }

  /** As {@link #request(int, List)}, for attributes that depend on the transaction id (XOR addresses). */
  StunMessage request(int method, java.util.function.Function<byte[], List<StunAttribute>> attributes) {
    if (nonce == null) {
      byte[] tx = StunMessage.newTransactionId();
      challenge(method, tx, attributes.apply(tx));
    }
    byte[] tx = StunMessage.newTransactionId();
    StunMessage response = signed(method, tx, attributes.apply(tx), username, key);
    if (code(response) == 438) {
      learn(response);
      tx = StunMessage.newTransactionId();
      response = signed(method, tx, attributes.apply(tx), username, key);
    }
    return response;
  }

  /** Sends the request without credentials and learns REALM and NONCE from the 401; returns it. */
  StunMessage challenge(int method, List<StunAttribute> attributes) {
    return challenge(method, StunMessage.newTransactionId(), attributes);
  }

  private StunMessage challenge(int method, byte[] tx, List<StunAttribute> attributes) {
    StunMessage r = transact(StunMessage.request(method, tx, attributes), null);
    if (code(r) != 401 || !r.has(REALM) || !r.has(NONCE)) {
      throw new AssertionError("expected a 401 challenge with REALM and NONCE, got " + describe(r));
    }
    learn(r);
    return r;
  }

  /** A request with USERNAME, REALM, NONCE, {@code attributes}, then MESSAGE-INTEGRITY with {@code k}. */
  StunMessage signed(int method, byte[] txId, List<StunAttribute> attributes, String user, byte[] k) {
    return transact(StunMessage.request(method, txId, withCredentials(attributes, user)), k);
  }

  /** The encoded bytes of a signed request, for retransmissions and mutations. */
  byte[] encodeSigned(int method, byte[] txId, List<StunAttribute> attributes) {
    return StunEncoder.encodeToBytes(StunMessage.request(method, txId, withCredentials(attributes, username)), key,
        fingerprint);
  }

  private List<StunAttribute> withCredentials(List<StunAttribute> attributes, String user) {
    List<StunAttribute> all = new ArrayList<>();
    all.add(Attributes.string(USERNAME, user));
    all.add(Attributes.string(REALM, realm));
    all.add(Attributes.string(NONCE, nonce));
    all.addAll(attributes);
    return all;
  }

  private void learn(StunMessage challenge) {
    realm = Attributes.string(challenge.attribute(REALM));
    nonce = Attributes.string(challenge.attribute(NONCE));
    key = MessageIntegrity.longTermKey(username, realm, password);
  }

  /** Allocate for UDP relaying, with {@code extra} attributes; the response whatever it is. */
  StunMessage allocate(StunAttribute... extra) {
    List<StunAttribute> attrs = new ArrayList<>();
    attrs.add(Attributes.requestedTransport(Attributes.PROTOCOL_UDP));
    attrs.addAll(Arrays.asList(extra));
    return request(StunMethod.ALLOCATE, attrs);
  }

  /** The XOR-RELAYED-ADDRESS values of an Allocate success, in the order of the response. */
  static List<InetSocketAddress> relayedAddresses(StunMessage r) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (StunAttribute a : r.attributes()) {
      if (a.type() == XOR_RELAYED_ADDRESS) {
        out.add(Attributes.xorAddress(a, r.transactionId()));
      }
    }
    return out;
  }

  /** Allocate that must succeed: the relayed transport address. */
  InetSocketAddress allocateOrFail() {
    StunMessage r = expectSuccess(allocate(), "Allocate");
    return Attributes.xorAddress(r.attribute(XOR_RELAYED_ADDRESS), r.transactionId());
  }

  StunMessage refresh(long lifetime) {
    return request(StunMethod.REFRESH, List.of(Attributes.lifetime(lifetime)));
  }

  StunMessage createPermission(InetSocketAddress... peers) {
    return request(StunMethod.CREATE_PERMISSION, tx -> {
      List<StunAttribute> attrs = new ArrayList<>();
      for (InetSocketAddress p : peers) {
        attrs.add(Attributes.xorAddress(XOR_PEER_ADDRESS, p, tx));
      }
      return attrs;
    });
  }

  StunMessage channelBind(int channel, InetSocketAddress peer) {
    return request(StunMethod.CHANNEL_BIND,
        tx -> List.of(channelNumber(channel), Attributes.xorAddress(XOR_PEER_ADDRESS, peer, tx)));
  }

  /** A CHANNEL-NUMBER attribute with any 16-bit number, including those the codec refuses to build. */
  static StunAttribute channelNumber(int channel) {
    return new StunAttribute(CHANNEL_NUMBER, new byte[] {(byte) (channel >>> 8), (byte) channel, 0, 0});
  }

  // --- data --------------------------------------------------------------------------------------

  /** A Send indication (RFC 8656 §11.1) carrying {@code data} to {@code peer}. */
  void sendIndication(InetSocketAddress peer, byte[] data) {
    byte[] tx = StunMessage.newTransactionId();
    write(StunEncoder.encodeToBytes(StunMessage.indication(StunMethod.SEND, tx, List.of(
        Attributes.xorAddress(XOR_PEER_ADDRESS, peer, tx), Attributes.data(data))), null, false));
  }

  /** ChannelData (RFC 8656 §12.4), padded to 4 bytes over TCP (§12.5). */
  void sendChannelData(int channel, byte[] data) {
    ByteBuf out = ChannelData.encode(channel, Unpooled.wrappedBuffer(data), tcp(), io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
    try {
      write(ByteBufUtil.getBytes(out));
    } finally {
      out.release();
    }
  }

  /** Writes raw bytes (one datagram, or bytes on the stream). */
  void write(byte[] bytes) {
    sent.add(bytes.clone());
    wire.write(bytes);
  }

  /** The next message that is not a response already consumed, or null after {@code timeout}. */
  Inbound receive(Duration timeout) {
    if (!pending.isEmpty()) {
      return pending.poll();
    }
    return read(timeout);
  }

  /** Drops whatever is queued or arrives within {@code quiet}. */
  void drain(Duration quiet) {
    pending.clear();
    while (read(quiet) != null) {
      // discard
    }
  }

  private StunMessage awaitResponse(byte[] txId) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no response within " + TIMEOUT);
      }
      Inbound in = read(Duration.ofNanos(left));
      if (in == null) {
        throw new AssertionError("no response within " + TIMEOUT);
      }
      if (in.stun() != null && in.stun().cls().isResponse() && in.stun().hasTransactionId(txId)) {
        return in.stun();
      }
      pending.add(in);
    }
  }

  private Inbound read(Duration timeout) {
    byte[] frame = wire.read(Math.max(1, (int) timeout.toMillis()));
    if (frame == null) {
      return null;
    }
    ByteBuf buf = Unpooled.wrappedBuffer(frame);
    if (ChannelData.isChannelData(buf)) {
      ChannelData.Frame f = ChannelData.decode(buf, tcp());
      try {
        return new Inbound(frame, null, f.channel(), ByteBufUtil.getBytes(f.data()));
      } finally {
        f.data().release();
      }
    }
    return new Inbound(frame, StunDecoder.decode(buf), 0, null);
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** The error code of a response, 0 for a success. */
  static int code(StunMessage response) {
    if (response.cls() == StunClass.SUCCESS_RESPONSE) {
      return 0;
    }
    StunAttribute e = response.attribute(ERROR_CODE);
    return e == null ? -1 : Attributes.errorCode(e);
  }

  static StunMessage expectSuccess(StunMessage r, String what) {
    if (r.cls() != StunClass.SUCCESS_RESPONSE) {
      throw new AssertionError(what + " failed: " + describe(r));
    }
    return r;
  }

  static String describe(StunMessage r) {
    StunAttribute e = r.attribute(ERROR_CODE);
    return r + (e == null ? "" : " " + Attributes.errorCode(e) + " " + Attributes.errorReason(e));
  }

  static long lifetime(StunMessage r) {
    return Attributes.uint32(r.attribute(LIFETIME));
  }

  @Override
  public void close() {
    wire.close();
  }

  // --- transports --------------------------------------------------------------------------------

  private interface Wire {
    void write(byte[] bytes);

    /** One datagram or one frame, or null after {@code timeoutMillis}. */
    byte[] read(int timeoutMillis);

    InetSocketAddress local();

    void close();
  }

  private static final class Udp implements Wire {
    private final DatagramSocket socket;
    private final byte[] buffer = new byte[65_536];

    Udp(InetSocketAddress server) {
      try {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.connect(server);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void write(byte[] bytes) {
      try {
        socket.send(new DatagramPacket(bytes, bytes.length));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public byte[] read(int timeoutMillis) {
      try {
        socket.setSoTimeout(timeoutMillis);
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        socket.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
      } catch (SocketTimeoutException e) {
        return null;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public InetSocketAddress local() {
      return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  private static final class Tcp implements Wire {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    Tcp(Socket connected) {
      try {
        socket = connected;
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static Socket connect(InetSocketAddress server, Socket socket) {
      try {
        socket.setTcpNoDelay(true);
        socket.connect(server, (int) TIMEOUT.toMillis());
        return socket;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void write(byte[] bytes) {
      try {
        out.write(bytes);
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Frames by the first two bits: 00 STUN (20 + length), 01 ChannelData (4 + length padded to 4). */
    @Override
    public byte[] read(int timeoutMillis) {
      try {
        socket.setSoTimeout(timeoutMillis);
        int first;
        try {
          first = in.read();
        } catch (SocketTimeoutException e) {
          return null;
        }
        if (first < 0) {
          throw new UncheckedIOException(new IOException("server closed the TCP connection"));
        }
        // The frame has started: the rest is on its way.
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        byte[] head = new byte[4];
        head[0] = (byte) first;
        in.readFully(head, 1, 3);
        int length = ((head[2] & 0xFF) << 8) | (head[3] & 0xFF);
        int size = (first >>> 6) == 0b01 ? 4 + ((length + 3) & ~3) : StunMessage.HEADER_SIZE + length;
        byte[] frame = Arrays.copyOf(head, size);
        in.readFully(frame, 4, size - 4);
        return frame;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public InetSocketAddress local() {
      return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing
      }
    }
  }

  /** A peer on loopback: a plain UDP socket that the relay talks to. */
  static final class Peer implements AutoCloseable {
    final DatagramSocket socket;
    private final byte[] buffer = new byte[65_536];

    Peer() {
      this(InetAddress.getLoopbackAddress());
    }

    /** A peer on {@code local}, e.g. ::1. */
    Peer(InetAddress local) {
      try {
        socket = new DatagramSocket(new InetSocketAddress(local, 0));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    InetSocketAddress address() {
      return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    void send(InetSocketAddress to, byte[] data) {
      try {
        socket.send(new DatagramPacket(data, data.length, to));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The next datagram, or null after {@code timeout}. */
    DatagramPacket receive(Duration timeout) {
      try {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        socket.receive(p);
        return new DatagramPacket(Arrays.copyOf(p.getData(), p.getLength()), p.getLength(), p.getSocketAddress());
      } catch (SocketTimeoutException e) {
        return null;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Discards whatever has arrived (waits at most 50 ms for more each time). */
    void drain() {
      while (receive(Duration.ofMillis(50)) != null) {
        // discard
      }
    }

    @Override
    public void close() {
      socket.close();
    }
  }
}
