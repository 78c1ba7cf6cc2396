package io.parley.media.turn;

import io.parley.core.config.Cidr;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;

/**
 * Which peers a relay may talk to (RFC 8656 §21.1, "abuse of the relay"): without this, a TURN
 * server is an open door into the network it runs in. Loopback, private (RFC 1918, RFC 4193),
 * link-local, carrier-grade NAT (RFC 6598), multicast, unspecified and the server's own addresses
 * are refused, unless an operator allows a range explicitly (tests allow 127.0.0.0/8).
 */
public final class PeerPolicy {

  static final List<Cidr> DENIED = List.of(
      Cidr.parse("0.0.0.0/8"),        // "this network", unspecified
      Cidr.parse("10.0.0.0/8"),       // RFC 1918
      Cidr.parse("100.64.0.0/10"),    // RFC 6598 carrier-grade NAT
      Cidr.parse("127.0.0.0/8"),      // loopback
      Cidr.parse("169.254.0.0/16"),   // link-local
      Cidr.parse("172.16.0.0/12"),    // RFC 1918
      Cidr.parse("192.0.0.0/24"),     // IETF protocol assignments
      Cidr.parse("192.168.0.0/16"),   // RFC 1918
      Cidr.parse("198.18.0.0/15"),    // benchmarking
      Cidr.parse("224.0.0.0/4"),      // multicast
      Cidr.parse("240.0.0.0/4"),      // reserved, broadcast
      Cidr.parse("::/128"),           // unspecified
      Cidr.parse("::1/128"),          // loopback (IPv4-mapped ::ffff:a.b.c.d arrives as IPv4 in Java)
      Cidr.parse("64:ff9b::/96"),     // NAT64
      Cidr.parse("fc00::/7"),         // unique local
      Cidr.parse("fe80::/10"),        // link-local
      Cidr.parse("ff00::/8"));        // multicast

  private final List<Cidr> allowed;
  private final Set<InetAddress> own;

  public PeerPolicy(List<Cidr> allowed, Set<InetAddress> ownAddresses) {
    this.allowed = List.copyOf(allowed);
    this.own = Set.copyOf(ownAddresses);
  }

  /** Why a peer is refused, or null when it is permitted. */
  public String refusal(InetAddress peer) {
    for (Cidr c : allowed) {
      if (c.contains(peer)) {
        return null;
      }
    }
    if (own.contains(peer)) {
      return "the server's own address";
    }
    if (peer.isAnyLocalAddress() || peer.isLoopbackAddress() || peer.isLinkLocalAddress()
        || peer.isSiteLocalAddress() || peer.isMulticastAddress()) {
      return "a local, private or multicast address";
    }
    for (Cidr c : DENIED) {
      if (c.contains(peer)) {
        return "a reserved address range " + c;
      }
    }
    return null;
  }

  public boolean permitted(InetAddress peer) {
    return refusal(peer) == null;
  }
}
