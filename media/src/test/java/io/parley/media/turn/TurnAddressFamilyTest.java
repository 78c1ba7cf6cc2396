package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.code;
import static io.parley.media.turn.TurnTestClient.expectSuccess;
import static io.parley.media.turn.TurnTestClient.relayedAddresses;
import static io.parley.media.turn.codec.StunAttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.testing.Closer;
import io.parley.media.turn.TurnTestClient.Inbound;
import io.parley.media.turn.TurnTestClient.Peer;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 relayed addresses (RFC 8656 §7.2, formerly RFC 6156): REQUESTED-ADDRESS-FAMILY IPv6 gives
 * a relay on ::1 here, ADDITIONAL-ADDRESS-FAMILY IPv6 gives one of each family, and data crosses
 * both ways with peers on ::1 and 127.0.0.1, each through the relay of its own family.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TurnAddressFamilyTest {

  private static final Duration WAIT = Duration.ofSeconds(3);
  private static final InetAddress IPV6_LOOPBACK = loopback6();

  @AutoClose
  private final Closer open = new Closer();

  private <T extends AutoCloseable> T open(T c) {
    return open.add(c);
  }

  private static InetAddress loopback6() {
    try {
      return InetAddress.getByName("::1");
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void requestedAddressFamilyIpv6RelaysWithPeersOnIpv6Loopback() {
    TurnTestServer server = open(TurnTestServer.start());
    TurnTestClient c = open(TurnTestClient.udp(server));
    StunMessage r = expectSuccess(c.allocate(Attributes.requestedAddressFamily(Attributes.FAMILY_IPV6)),
        "Allocate IPv6");
    List<InetSocketAddress> relayed = relayedAddresses(r);
    assertThat(relayed).hasSize(1);
    assertThat(relayed.get(0).getAddress()).isEqualTo(IPV6_LOOPBACK);

    Peer peer = open(new Peer(IPV6_LOOPBACK));
    assertThat(code(c.createPermission(new InetSocketAddress("127.0.0.1", 5000))))
        .as("an IPv4 peer of an IPv6 allocation").isEqualTo(443);
    expectSuccess(c.createPermission(peer.address()), "CreatePermission ::1");
    relaysBothWays(c, peer, relayed.get(0));

    expectSuccess(c.request(StunMethod.REFRESH, List.of(Attributes.requestedAddressFamily(Attributes.FAMILY_IPV6),
        Attributes.lifetime(600))), "Refresh naming its family");
    assertThat(code(c.request(StunMethod.REFRESH, List.of(Attributes.requestedAddressFamily(Attributes.FAMILY_IPV4)))))
        .as("Refresh naming the other family").isEqualTo(443);
  }

  @Test
  void additionalAddressFamilyGivesARelayOfEachFamily() {
    TurnTestServer server = open(TurnTestServer.start());
    TurnTestClient c = open(TurnTestClient.udp(server));
    StunMessage r = expectSuccess(c.allocate(Attributes.additionalAddressFamily(Attributes.FAMILY_IPV6)), "Allocate IPv4 + IPv6");
    List<InetSocketAddress> relayed = relayedAddresses(r);
    assertThat(relayed).hasSize(2);
    assertThat(relayed.get(0).getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(relayed.get(1).getAddress()).isEqualTo(IPV6_LOOPBACK);
    assertThat(r.has(ADDRESS_ERROR_CODE)).isFalse();
    assertThat(server.server.relayedAddressesOf(c.localAddress())).containsExactlyElementsOf(relayed);

    Peer peer4 = open(new Peer());
    Peer peer6 = open(new Peer(IPV6_LOOPBACK));
    expectSuccess(c.createPermission(peer4.address(), peer6.address()), "CreatePermission of both families");
    relaysBothWays(c, peer4, relayed.get(0));
    relaysBothWays(c, peer6, relayed.get(1));
    expectSuccess(c.channelBind(0x4001, peer6.address()), "ChannelBind IPv6 peer");
  }

  @Test
  void additionalAddressFamilyWithoutIpv6RelaysSucceedsWithAddressErrorCode440() {
    TurnTestServer server = open(TurnTestServer.start(Map.of("PARLEY_TURN_RELAY_HOST_IPV6", "none")));
    TurnTestClient c = open(TurnTestClient.udp(server));
    StunMessage r = expectSuccess(c.allocate(Attributes.additionalAddressFamily(Attributes.FAMILY_IPV6)), "Allocate IPv4 + IPv6");
    assertThat(relayedAddresses(r)).hasSize(1).allMatch(a -> a.getAddress().getHostAddress().equals("127.0.0.1"));
    assertThat(Attributes.addressErrorFamily(r.attribute(ADDRESS_ERROR_CODE))).isEqualTo(Attributes.FAMILY_IPV6);
    assertThat(Attributes.errorCode(r.attribute(ADDRESS_ERROR_CODE))).isEqualTo(440);
  }

  @Test
  void conflictingFamilyAttributesAre400() {
    TurnTestServer server = open(TurnTestServer.start());
    assertThat(code(open(TurnTestClient.udp(server)).allocate(Attributes.additionalAddressFamily(Attributes.FAMILY_IPV4))))
        .as("ADDITIONAL-ADDRESS-FAMILY IPv4").isEqualTo(400);
    assertThat(code(open(TurnTestClient.udp(server)).allocate(Attributes.additionalAddressFamily(Attributes.FAMILY_IPV6),
        Attributes.requestedAddressFamily(Attributes.FAMILY_IPV6))))
        .as("both family attributes").isEqualTo(400);
    assertThat(server.server.allocations()).isZero();
  }

  /** A Send indication reaches {@code peer} from {@code relayed}, and its answer comes back as a Data indication. */
  private static void relaysBothWays(TurnTestClient c, Peer peer, InetSocketAddress relayed) {
    byte[] out = ("to " + peer.address()).getBytes(StandardCharsets.US_ASCII);
    c.sendIndication(peer.address(), out);
    DatagramPacket got = peer.receive(WAIT);
    assertThat(got).as("datagram at the peer").isNotNull();
    assertThat(Arrays.copyOf(got.getData(), got.getLength())).isEqualTo(out);
    assertThat(((InetSocketAddress) got.getSocketAddress()).getPort()).isEqualTo(relayed.getPort());
    assertThat(((InetSocketAddress) got.getSocketAddress()).getAddress()).isEqualTo(relayed.getAddress());

    byte[] back = ("from " + peer.address()).getBytes(StandardCharsets.US_ASCII);
    peer.send(relayed, back);
    Inbound in = c.receive(WAIT);
    assertThat(in).as("Data indication at the client").isNotNull();
    assertThat(in.stun().method()).isEqualTo(StunMethod.DATA);
    assertThat(in.stun().attribute(DATA).value()).isEqualTo(back);
    assertThat(Attributes.xorAddress(in.stun().attribute(XOR_PEER_ADDRESS), in.stun().transactionId()))
        .isEqualTo(peer.address());
  }
}
