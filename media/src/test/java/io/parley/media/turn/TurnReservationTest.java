package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.code;
import static io.parley.media.turn.TurnTestClient.expectSuccess;
import static io.parley.media.turn.TurnTestClient.relayedAddresses;
import static io.parley.media.turn.codec.StunAttributeType.RESERVATION_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.testing.Closer;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.StunMessage;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RTP/RTCP port pairs (RFC 8656 §7.2, §18.7, §18.10): EVEN-PORT with the R bit gives an even
 * relayed port and reserves the next one under a RESERVATION-TOKEN; the Allocate carrying the
 * token gets exactly that port, once; an unredeemed reservation expires and frees its port.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TurnReservationTest {

  @AutoClose
  private final Closer open = new Closer();

  private <T extends AutoCloseable> T open(T c) {
    return open.add(c);
  }

  @Test
  void theReserveBitGivesAnEvenPortAndATokenForTheNextOneSpentOnce() {
    TurnTestServer server = open(TurnTestServer.start());
    StunMessage rtp = expectSuccess(open(TurnTestClient.udp(server)).allocate(Attributes.evenPort(true)),
        "Allocate EVEN-PORT R");
    int port = relayedAddresses(rtp).get(0).getPort();
    assertThat(port % 2).as("relayed port %d", port).isZero();
    byte[] token = Attributes.reservationToken(rtp.attribute(RESERVATION_TOKEN));
    assertThat(server.server.reservedPorts()).isEqualTo(1);

    // The RTCP allocation, from another client socket (over TCP here): the reserved port exactly.
    StunMessage rtcp = expectSuccess(open(TurnTestClient.tcp(server)).allocate(Attributes.reservationToken(token)),
        "Allocate RESERVATION-TOKEN");
    assertThat(relayedAddresses(rtcp)).extracting(InetSocketAddress::getPort).containsExactly(port + 1);
    assertThat(rtcp.has(RESERVATION_TOKEN)).isFalse();
    assertThat(server.server.reservedPorts()).isZero();
    assertThat(server.server.allocations()).isEqualTo(2);

    assertThat(code(open(TurnTestClient.udp(server)).allocate(Attributes.reservationToken(token))))
        .as("a spent token").isEqualTo(508);
  }

  @Test
  void aReservedPortIsHeldFromOtherAllocations() {
    // A relay range of one pair: once reserved, nothing is left for an Allocate without the token.
    int low = evenPortPairFree();
    TurnTestServer server = open(TurnTestServer.start(Map.of("PARLEY_TURN_RELAY_PORTS", low + "-" + (low + 1))));
    StunMessage rtp = expectSuccess(open(TurnTestClient.udp(server)).allocate(Attributes.evenPort(true)),
        "Allocate EVEN-PORT R");
    assertThat(relayedAddresses(rtp).get(0).getPort()).isEqualTo(low);
    assertThat(code(open(TurnTestClient.udp(server)).allocate())).isEqualTo(508);
    StunMessage rtcp = expectSuccess(open(TurnTestClient.udp(server)).allocate(
        Attributes.reservationToken(Attributes.reservationToken(rtp.attribute(RESERVATION_TOKEN)))), "with the token");
    assertThat(relayedAddresses(rtcp).get(0).getPort()).isEqualTo(low + 1);
  }

  @Test
  void anUnredeemedReservationExpiresAndFreesItsPort() throws Exception {
    TurnTestServer server = open(TurnTestServer.start(Map.of("PARLEY_TURN_RESERVATION_LIFETIME", "1")));
    StunMessage rtp = expectSuccess(open(TurnTestClient.udp(server)).allocate(Attributes.evenPort(true)),
        "Allocate EVEN-PORT R");
    InetSocketAddress reserved = new InetSocketAddress("127.0.0.1", relayedAddresses(rtp).get(0).getPort() + 1);
    assertThat(bindable(reserved)).as("the reserved port is held").isFalse();

    byte[] token = Attributes.reservationToken(rtp.attribute(RESERVATION_TOKEN));
    assertThat(server.server.reservationReleased(token).await(10, TimeUnit.SECONDS))
        .as("the reservation expires within 10 s").isTrue();
    assertThat(server.server.reservedPorts()).isZero();
    assertThat(bindable(reserved)).as("the port is free again").isTrue();
    assertThat(code(open(TurnTestClient.udp(server)).allocate(
        Attributes.reservationToken(Attributes.reservationToken(rtp.attribute(RESERVATION_TOKEN))))))
        .as("an expired token").isEqualTo(508);
  }

  @Test
  void aTokenComesAlone() {
    TurnTestServer server = open(TurnTestServer.start());
    StunMessage rtp = expectSuccess(open(TurnTestClient.udp(server)).allocate(Attributes.evenPort(true)), "reserve");
    var token = Attributes.reservationToken(Attributes.reservationToken(rtp.attribute(RESERVATION_TOKEN)));
    assertThat(code(open(TurnTestClient.udp(server)).allocate(token, Attributes.evenPort(false))))
        .as("with EVEN-PORT").isEqualTo(400);
    assertThat(code(open(TurnTestClient.udp(server)).allocate(token,
        Attributes.requestedAddressFamily(Attributes.FAMILY_IPV4)))).as("with REQUESTED-ADDRESS-FAMILY").isEqualTo(400);
    assertThat(server.server.reservedPorts()).as("refused requests spend no token").isEqualTo(1);
  }

  private static boolean bindable(InetSocketAddress a) {
    try (DatagramSocket s = new DatagramSocket(a)) {
      return s.isBound();
    } catch (SocketException e) {
      return false;
    }
  }

  /** An even port whose odd neighbour is free too, in the dynamic range (bound and released). */
  private static int evenPortPairFree() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int p;
      try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
        p = s.getLocalPort() & ~1;
      } catch (SocketException e) {
        continue;
      }
      if (p >= 1024 && bindable(new InetSocketAddress("127.0.0.1", p))
          && bindable(new InetSocketAddress("127.0.0.1", p + 1))) {
        return p;
      }
    }
    throw new AssertionError("no free pair of UDP ports on loopback");
  }
}
