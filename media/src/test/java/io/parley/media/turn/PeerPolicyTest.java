package io.parley.media.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.Cidr;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link PeerPolicy} alone: every refused range and IPv6 form of one, and what stays permitted. */
class PeerPolicyTest {

  private static final PeerPolicy DEFAULT = new PeerPolicy(List.of(), Set.of());

  private static InetAddress ip(String literal) {
    try {
      // As the codec decodes XOR-PEER-ADDRESS: an IPv6 attribute stays an IPv6 address, even ::ffff:a.b.c.d.
      InetAddress a = InetAddress.getByName(literal);
      return literal.contains(":") ? java.net.Inet6Address.getByAddress(null, v6(literal), -1) : a;
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] v6(String literal) {
    byte[] raw = Cidr.parse(literal).network();
    if (raw.length == 16) {
      return raw;
    }
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xFF;
    mapped[11] = (byte) 0xFF;
    System.arraycopy(raw, 0, mapped, 12, 4);
    return mapped;
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // IPv4: unspecified, private, CGNAT, loopback, link-local and metadata, documentation, multicast, broadcast
      "0.0.0.0", "0.1.2.3", "10.1.2.3", "100.64.0.1", "127.0.0.1", "127.255.0.9", "169.254.169.254", "172.16.5.4",
      "192.0.0.170", "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.51.100.1", "203.0.113.9", "224.0.0.1",
      "239.255.255.250", "240.0.0.1", "255.255.255.255",
      // IPv6: unspecified, loopback, unique-local with the metadata address, link-local, site-local, multicast,
      // documentation, discard, local-use NAT64
      "::", "::1", "fd00:ec2::254", "fc00::1", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1", "100::1",
      "64:ff9b:1::a00:1",
      // IPv4 inside IPv6: mapped, translated, compatible, NAT64, 6to4, Teredo (server; client inverted), ISATAP
      "::ffff:127.0.0.1", "::ffff:0.0.0.0", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:255.255.255.255",
      "::ffff:0:127.0.0.1", "::127.0.0.1", "::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe",
      "2002:7f00:1::", "2002:a9fe:a9fe::1", "2001:0:7f00:1::1", "2001:0:808:808::80ff:fffe",
      "2001:4860::5efe:127.0.0.1"})
  void refused(String literal) {
    assertThat(DEFAULT.refusal(ip(literal))).as(literal).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::1", "64:ff9b::808:808",
      "2002:808:808::1", "::ffff:8.8.8.8"})
  void permitted(String literal) {
    assertThat(DEFAULT.refusal(ip(literal))).as(literal).isNull();
  }

  @Test
  void anAllowedRangeCoversTheIpv6FormsOfItsAddresses() {
    PeerPolicy tests = new PeerPolicy(List.of(Cidr.parse("127.0.0.0/8")), Set.of());
    assertThat(tests.permitted(ip("127.0.0.1"))).isTrue();
    assertThat(tests.permitted(ip("::ffff:127.0.0.1"))).isTrue();
    assertThat(tests.permitted(ip("10.0.0.1"))).isFalse();
  }

  @Test
  void theNodesOwnAddressesAreRefusedInEveryForm() throws Exception {
    PeerPolicy own = PeerPolicy.ofThisHost(List.of(), Set.of(ip("8.8.4.4")));
    assertThat(own.refusal(ip("8.8.4.4"))).isEqualTo("the server's own address");
    assertThat(own.refusal(ip("::ffff:8.8.4.4"))).isEqualTo("the server's own address");
    assertThat(own.refusal(ip("64:ff9b::808:404"))).isEqualTo("the server's own address");
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        assertThat(own.refusal(ip(a.getHostAddress().replaceAll("%.*", ""))))
            .as("interface address %s", a).isEqualTo("the server's own address");
      }
    }
  }
}
