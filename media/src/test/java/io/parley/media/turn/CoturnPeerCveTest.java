package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.code;
import static io.parley.media.turn.TurnTestClient.expectSuccess;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.Cidr;
import io.parley.core.testing.Closer;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunMessage;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One regression test per published coturn peer-address vulnerability, on the wire: a client with
 * valid credentials asks for a permission and a channel to the address that got past coturn's
 * check, and must get 403 with nothing installed. Each test first shows that the check coturn had
 * at the time (the "naive" predicate) would have let the address through, so the test proves
 * something a simpler policy would fail. Peers are sent in the form the attack used, so IPv6 forms
 * go to an IPv6 allocation, where the family check (443) cannot hide a policy gap.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CoturnPeerCveTest {

  @AutoClose
  private final Closer open = new Closer();
  private TurnTestServer server;

  /** A production-like server: no peer range allowed, the node advertising {@code external}. */
  private TurnTestServer server(String external) {
    server = TurnTestServer.start(Map.of("PARLEY_TURN_ALLOW_PEERS", "", "PARLEY_TURN_EXTERNAL_IP", external));
    open.add(server);
    return server;
  }

  private TurnTestClient allocated(int family) {
    TurnTestClient c = TurnTestClient.udp(server);
    open.add(c);
    expectSuccess(c.allocate(Attributes.requestedAddressFamily(family)), "Allocate");
    return c;
  }

  /** Decoded as the codec decodes XOR-PEER-ADDRESS: an IPv6 attribute stays IPv6, ::ffff:a.b.c.d too. */
  private static InetAddress peer(String literal) {
    byte[] raw = Cidr.parse(literal).network();
    try {
      if (!literal.contains(":")) {
        return InetAddress.getByAddress(raw);
      }
      byte[] v6 = raw;
      if (raw.length == 4) {
        v6 = new byte[16];
        v6[10] = (byte) 0xFF;
        v6[11] = (byte) 0xFF;
        System.arraycopy(raw, 0, v6, 12, 4);
      }
      return Inet6Address.getByAddress(null, v6, -1);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** Every address is refused on the wire (CreatePermission and ChannelBind: 403, nothing installed). */
  private void refusedOnTheWire(int family, Predicate<InetAddress> naive, String... literals) {
    TurnTestClient c = allocated(family);
    double refusedBefore = server.drops("peer_refused");
    for (String literal : literals) {
      InetAddress p = peer(literal);
      assertThat(naive.test(p)).as("the naive check lets %s through (else this test proves nothing)", literal)
          .isTrue();
      StunMessage perm = c.createPermission(new InetSocketAddress(p, 5000));
      assertThat(code(perm)).as("CreatePermission %s", literal).isEqualTo(403);
      assertThat(MessageIntegrity.verify(perm, c.key())).isTrue();
      assertThat(code(c.channelBind(0x4000, new InetSocketAddress(p, 5000)))).as("ChannelBind %s", literal)
          .isEqualTo(403);
    }
    assertThat(server.drops("peer_refused") - refusedBefore).isEqualTo(2.0 * literals.length);
    assertThat(server.registry.get("parley.turn.permissions").gauge().value()).isZero();
    assertThat(server.registry.get("parley.turn.channels").gauge().value()).isZero();
  }

  /**
   * CVE-2018-4058 (TALOS-2018-0730): coturn's default configuration relayed to loopback, reaching
   * services bound to 127.0.0.1 on the TURN host (its telnet admin interface among them). The naive
   * check: only ranges an operator denied, none by default.
   */
  @Test
  void cve_2018_4058_loopbackIsRefusedByDefault() {
    server("8.8.4.4");
    Predicate<InetAddress> operatorListOnly = p -> true;
    refusedOnTheWire(Attributes.FAMILY_IPV4, operatorListOnly, "127.0.0.1", "127.1.2.3");
    refusedOnTheWire(Attributes.FAMILY_IPV6, operatorListOnly, "::1");
  }

  /**
   * CVE-2020-26262: with loopback refused, 0.0.0.0 (and on IPv6 [::]) still reached the host itself:
   * the kernel sends a datagram to the unspecified address to the local machine. The naive check:
   * coturn's loopback test, 127/8 and ::1.
   */
  @Test
  void cve_2020_26262_theUnspecifiedAddressIsRefused() {
    server("8.8.4.4");
    Predicate<InetAddress> loopbackOnly = p -> !p.isLoopbackAddress();
    refusedOnTheWire(Attributes.FAMILY_IPV4, loopbackOnly, "0.0.0.0", "0.1.2.3");
    refusedOnTheWire(Attributes.FAMILY_IPV6, loopbackOnly, "::");
  }

  /**
   * CVE-2026-27624 (GHSA-j8mm-mpf8-gvjg): after the 2020 fix, the IPv4-mapped forms
   * ::ffff:127.0.0.1 and ::ffff:0.0.0.0 still passed, and ::ffff:a.b.c.d never matched an IPv4
   * denied-peer-ip range. The naive check: every IPv4 rule and Java's own address classes, applied
   * to the address as received.
   */
  @Test
  void cve_2026_27624_ipv4MappedFormsOfRefusedAddressesAreRefused() {
    server("8.8.4.4");
    Predicate<InetAddress> asReceived = p -> !(p.isLoopbackAddress() || p.isAnyLocalAddress()
        || p.isSiteLocalAddress() || p.isLinkLocalAddress() || p.isMulticastAddress()
        || PeerPolicy.DENIED_IPV4.stream().anyMatch(c -> c.contains(p)));
    refusedOnTheWire(Attributes.FAMILY_IPV6, asReceived,
        "::ffff:127.0.0.1", "::ffff:0.0.0.0", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.1.1");
  }

  /**
   * Beyond coturn 4.13 (coturn PR 1945 closed the same hole for other encodings, with no CVE of its
   * own): IPv4-compatible, NAT64 and 6to4 forms, and the cloud metadata address over NAT64. The
   * naive check: the IPv4-mapped extraction of the CVE-2026-27624 fix and nothing more.
   */
  @Test
  void otherIpv6EncodingsOfRefusedIpv4AddressesAreRefused() {
    server("8.8.4.4");
    Predicate<InetAddress> mappedOnly = p -> {
      byte[] a = p.getAddress();
      boolean mapped = a.length == 16 && a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
      return !(p.isLoopbackAddress() || p.isAnyLocalAddress() || mapped
          || PeerPolicy.DENIED_IPV6.stream().anyMatch(c -> c.contains(p)));
    };
    refusedOnTheWire(Attributes.FAMILY_IPV6, mappedOnly,
        "::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:a00:1::1");
  }

  /**
   * The SSRF coturn users keep asking about: a relay to the node's own public address reaches its
   * own services through the NAT. The advertised address is refused in its IPv6 forms; in its own
   * form a permission is granted, for the node's relays only (two users of one node relayed to each
   * other, see LocalRelaysTest): data sent to any other port of it is dropped, nothing leaves
   * towards it. A public address that is not the node's stays permitted.
   */
  @Test
  void theNodesOwnAdvertisedAddressIsRefused() {
    server("8.8.4.4");
    Predicate<InetAddress> publicRangesOnly = p -> true;
    refusedOnTheWire(Attributes.FAMILY_IPV6, publicRangesOnly, "::ffff:8.8.4.4", "64:ff9b::808:404");
    TurnTestClient c = allocated(Attributes.FAMILY_IPV4);
    InetSocketAddress service = new InetSocketAddress(peer("8.8.4.4"), 5000);
    expectSuccess(c.createPermission(service), "the node's own address, for its relays");
    double refusedBefore = server.drops("peer_refused");
    double sentBefore = server.counter("parley.turn.packets", "direction", "client_to_peer");
    c.sendIndication(service, new byte[] {1, 2, 3});
    c.binding(); // the indication was handled before this answer
    assertThat(server.drops("peer_refused") - refusedBefore).as("dropped, not sent").isEqualTo(1);
    assertThat(server.counter("parley.turn.packets", "direction", "client_to_peer")).isEqualTo(sentBefore);
    expectSuccess(c.createPermission(new InetSocketAddress(peer("8.8.8.8"), 5000)), "a public peer");
  }
}
