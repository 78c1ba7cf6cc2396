package io.parley.media.turn;

import static io.parley.media.turn.codec.StunAttributeType.*;

import io.netty.buffer.Unpooled;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunAttribute;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunDecoder;
import io.parley.media.turn.codec.StunEncoder;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A minimal blocking TURN client over UDP for tests, built on Parley's codec: long-term
 * credentials (the 401 challenge answered once), one request at a time, retransmitted on timeout.
 */
final class TurnUdpClient implements AutoCloseable {

  private static final int TIMEOUT_MS = 500;
  private static final int ATTEMPTS = 6;

  private final DatagramSocket socket;
  private final InetSocketAddress server;
  private final String username;
  private final String password;
  private String realm;
  private String nonce;
  private byte[] key;

  TurnUdpClient(int port, String username, String password) throws IOException {
    this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.socket.setSoTimeout(TIMEOUT_MS);
    this.server = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    this.username = username;
    this.password = password;
  }

  /** Allocate (UDP relay): the success or error response. */
  StunMessage allocate(StunAttribute... extra) throws IOException {
    List<StunAttribute> attrs = new ArrayList<>();
    attrs.add(Attributes.requestedTransport(Attributes.PROTOCOL_UDP));
    attrs.addAll(List.of(extra));
    return authenticated(StunMethod.ALLOCATE, attrs);
  }

  /** Refresh with {@code lifetime} seconds (0 deletes the allocation). */
  StunMessage refresh(long lifetime) throws IOException {
    return authenticated(StunMethod.REFRESH, List.of(Attributes.lifetime(lifetime)));
  }

  private StunMessage authenticated(int method, List<StunAttribute> attrs)
      throws IOException {
    for (int round = 0; round < 3; round++) {
      List<StunAttribute> all = new ArrayList<>(attrs);
      if (nonce != null) {
        all.add(Attributes.string(USERNAME, username));
        all.add(Attributes.string(REALM, realm));
        all.add(Attributes.string(NONCE, nonce));
      }
      StunMessage response = transact(StunMessage.request(method, StunMessage.newTransactionId(), all), key);
      int code = response.cls() == StunClass.ERROR_RESPONSE ? Attributes.errorCode(response.attribute(ERROR_CODE)) : 0;
      if ((code == 401 && nonce == null) || code == 438) {
        realm = Attributes.string(response.attribute(REALM));
        nonce = Attributes.string(response.attribute(NONCE));
        key = MessageIntegrity.longTermKey(username, realm, password);
        continue;
      }
      return response;
    }
    throw new IOException("no answer past the authentication challenge");
  }

  private StunMessage transact(StunMessage request, byte[] integrityKey) throws IOException {
    byte[] out = StunEncoder.encodeToBytes(request, integrityKey, true);
    byte[] in = new byte[StunMessage.MAX_MESSAGE_SIZE];
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      socket.send(new DatagramPacket(out, out.length, server));
      long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
      while (System.nanoTime() < deadline) {
        DatagramPacket p = new DatagramPacket(in, in.length);
        try {
          socket.receive(p);
        } catch (SocketTimeoutException e) {
          break;
        }
        StunMessage m = StunDecoder.decode(Unpooled.wrappedBuffer(Arrays.copyOf(p.getData(), p.getLength())));
        if (m.hasTransactionId(request.transactionId())) {
          return m;
        }
      }
    }
    throw new IOException("no answer to " + StunMethod.name(request.method()) + " from " + server);
  }

  /** This client's transport address. */
  InetSocketAddress localAddress() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  @Override
  public void close() {
    socket.close();
  }
}
