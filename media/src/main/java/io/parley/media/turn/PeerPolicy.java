package io.parley.media.turn;

import io.parley.core.config.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which peers a relay may talk to (RFC 8656 §21.1, "abuse of the relay"): without this, a TURN
 * server is an open door into the network it runs in. Refused unless an operator allows a range
 * explicitly (tests allow 127.0.0.0/8): loopback, private (RFC 1918, RFC 4193), link-local, the
 * cloud metadata addresses, carrier-grade NAT (RFC 6598), multicast, broadcast, unspecified,
 * documentation and other reserved ranges, the node's own addresses on every interface and the
 * ones it advertises, and every IPv6 form that carries a refused IPv4 address inside it
 * (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64, 6to4, Teredo, ISATAP): coturn's
 * CVE-2020-26262 and CVE-2026-27624 were such forms slipping past an IPv4-only check.
 */
public final class PeerPolicy {

  private static final Logger LOG = LoggerFactory.getLogger(PeerPolicy.class);

  static final List<Cidr> DENIED_IPV4 = List.of(
      Cidr.parse("0.0.0.0/8"),        // "this network", unspecified (0.0.0.0 reaches the host itself)
      Cidr.parse("10.0.0.0/8"),       // RFC 1918
      Cidr.parse("100.64.0.0/10"),    // RFC 6598 carrier-grade NAT
      Cidr.parse("127.0.0.0/8"),      // loopback
      Cidr.parse("169.254.0.0/16"),   // link-local, with the cloud metadata address 169.254.169.254
      Cidr.parse("172.16.0.0/12"),    // RFC 1918
      Cidr.parse("192.0.0.0/24"),     // IETF protocol assignments
      Cidr.parse("192.0.2.0/24"),     // documentation (TEST-NET-1)
      Cidr.parse("192.88.99.0/24"),   // 6to4 relay anycast
      Cidr.parse("192.168.0.0/16"),   // RFC 1918
      Cidr.parse("198.18.0.0/15"),    // benchmarking
      Cidr.parse("198.51.100.0/24"),  // documentation (TEST-NET-2)
      Cidr.parse("203.0.113.0/24"),   // documentation (TEST-NET-3)
      Cidr.parse("224.0.0.0/4"),      // multicast
      Cidr.parse("240.0.0.0/4"));     // reserved, and the broadcast address 255.255.255.255

  static final List<Cidr> DENIED_IPV6 = List.of(
      Cidr.parse("::/128"),           // unspecified (reaches the host itself, CVE-2020-26262)
      Cidr.parse("::1/128"),          // loopback
      Cidr.parse("64:ff9b:1::/48"),   // local-use NAT64 (RFC 8215): the IPv4 inside depends on the operator's prefix
      Cidr.parse("100::/64"),         // discard-only
      Cidr.parse("2001:2::/48"),      // benchmarking
      Cidr.parse("2001:10::/28"),     // ORCHID
      Cidr.parse("2001:db8::/32"),    // documentation
      Cidr.parse("fc00::/7"),         // unique local, with the cloud metadata address fd00:ec2::254
      Cidr.parse("fe80::/10"),        // link-local
      Cidr.parse("fec0::/10"),        // site-local (deprecated)
      Cidr.parse("ff00::/8"));        // multicast

  private final List<Cidr> allowed;
  private final Set<InetAddress> advertised;
  private final boolean listsInterfaces;
  /** The node's own addresses: replaced whole when the interfaces are listed again. */
  private final AtomicReference<Set<InetAddress>> own;

  /** A policy with a fixed set of own addresses (tests). */
  public PeerPolicy(List<Cidr> allowed, Set<InetAddress> ownAddresses) {
    this(allowed, ownAddresses, false);
  }

  private PeerPolicy(List<Cidr> allowed, Set<InetAddress> advertised, boolean listsInterfaces) {
    this.allowed = List.copyOf(allowed);
    this.advertised = Set.copyOf(advertised);
    this.listsInterfaces = listsInterfaces;
    this.own = new AtomicReference<>(listsInterfaces ? withInterfaces(this.advertised) : this.advertised);
  }

  /**
   * A policy that refuses every address of this host's interfaces (listed now, and again by {@link
   * #refreshOwnAddresses}) and the {@code advertised} ones (a public address behind NAT, which a
   * relay would reach through the NAT's hairpin).
   */
  public static PeerPolicy ofThisHost(List<Cidr> allowed, Set<InetAddress> advertised) {
    return new PeerPolicy(allowed, advertised, true);
  }

  /** Lists the interfaces again (addresses come and go); blocking, so never on an event loop. */
  public void refreshOwnAddresses() {
    if (listsInterfaces) {
      own.set(withInterfaces(advertised));
    }
  }

  private static Set<InetAddress> withInterfaces(Set<InetAddress> advertised) {
    Set<InetAddress> out = new HashSet<>(advertised);
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          out.add(a);
        }
      }
    } catch (SocketException e) {
      LOG.warn("TURN peer policy: cannot list network interfaces: {}", e.toString());
    }
    return Set.copyOf(out);
  }

  /** Why a peer is refused, or null when it is permitted. */
  public String refusal(InetAddress peer) {
    List<InetAddress> inner = embeddedIpv4(peer);
    for (Cidr c : allowed) {
      if (c.contains(peer) || (!inner.isEmpty() && inner.stream().allMatch(c::contains))) {
        return null;
      }
    }
    Set<InetAddress> ownNow = own.get();
    if (ownNow.contains(peer) || inner.stream().anyMatch(ownNow::contains)) {
      return "the server's own address";
    }
    String reason = reservedRange(peer);
    for (int i = 0; reason == null && i < inner.size(); i++) {
      reason = reservedRange(inner.get(i));
      if (reason != null) {
        reason = reason + " inside the IPv6 address " + peer.getHostAddress();
      }
    }
    return reason;
  }

  public boolean permitted(InetAddress peer) {
    return refusal(peer) == null;
  }

  private static String reservedRange(InetAddress peer) {
    if (peer.isAnyLocalAddress() || peer.isLoopbackAddress() || peer.isLinkLocalAddress()
        || peer.isSiteLocalAddress() || peer.isMulticastAddress()) {
      return "a local, private or multicast address";
    }
    for (Cidr c : peer instanceof Inet4Address ? DENIED_IPV4 : DENIED_IPV6) {
      if (c.contains(peer)) {
        return "a reserved address range " + c;
      }
    }
    return null;
  }

  /**
   * The IPv4 addresses an IPv6 address carries, empty for none: IPv4-mapped {@code ::ffff:0:0/96},
   * IPv4-translated {@code ::ffff:0:0:0/96}, IPv4-compatible {@code ::/96} (but {@code ::} and
   * {@code ::1}, which are IPv6's own), NAT64 {@code 64:ff9b::/96} (RFC 6052), 6to4
   * {@code 2002::/16} (RFC 3056), Teredo {@code 2001::/32} (RFC 4380: the server's address, and the
   * client's stored inverted), and an ISATAP interface id {@code ::0:5efe:a.b.c.d} (RFC 5214).
   */
  static List<InetAddress> embeddedIpv4(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != 16) {
      return List.of();
    }
    if (zero(a, 0, 10) && (a[10] & 0xFF) == 0xFF && (a[11] & 0xFF) == 0xFF) {
      return List.of(v4(a, 12, false));                             // ::ffff:a.b.c.d
    }
    if (zero(a, 0, 8) && (a[8] & 0xFF) == 0xFF && (a[9] & 0xFF) == 0xFF && zero(a, 10, 12)) {
      return List.of(v4(a, 12, false));                             // ::ffff:0:a.b.c.d
    }
    if (zero(a, 0, 12)) {
      boolean ipv6Own = zero(a, 12, 15) && (a[15] & 0xFF) <= 1;    // :: and ::1
      return ipv6Own ? List.of() : List.of(v4(a, 12, false));       // ::a.b.c.d
    }
    if (a[0] == 0x00 && a[1] == 0x64 && (a[2] & 0xFF) == 0xFF && (a[3] & 0xFF) == 0x9B && zero(a, 4, 12)) {
      return List.of(v4(a, 12, false));                             // 64:ff9b::a.b.c.d
    }
    if (a[0] == 0x20 && a[1] == 0x02) {
      return List.of(v4(a, 2, false));                              // 2002:AABB:CCDD::/48
    }
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x00) {
      return List.of(v4(a, 4, false), v4(a, 12, true));             // Teredo: server, client
    }
    if ((a[8] & ~0x02) == 0 && a[9] == 0 && a[10] == 0x5E && (a[11] & 0xFF) == 0xFE) {
      return List.of(v4(a, 12, false));                             // ISATAP
    }
    return List.of();
  }

  private static boolean zero(byte[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress v4(byte[] a, int offset, boolean inverted) {
    byte[] v = new byte[4];
    for (int i = 0; i < 4; i++) {
      v[i] = (byte) (inverted ? ~a[offset + i] : a[offset + i]);
    }
    try {
      return InetAddress.getByAddress(v);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
