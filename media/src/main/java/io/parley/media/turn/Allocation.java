package io.parley.media.turn;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.collection.IntObjectHashMap;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One allocation (RFC 8656 §5): a relayed transport address bound to a client's 5-tuple (two, one
 * per address family, when ADDITIONAL-ADDRESS-FAMILY asked for both), with its permissions and
 * channel bindings. Its state is changed only on {@link #loop()}, the event loop that also serves
 * its relay socket and its client; other threads (expiry sweep, revocation) hand work to that loop.
 * What data for its client reads (permissions, the channel of a peer, the bandwidth cap towards the
 * client, whether it is closed) may also be read on another loop, where an allocation of this node
 * relays to it ({@link LocalRelays}): those are concurrent structures.
 */
final class Allocation {

  /** A channel binding (RFC 8656 §12): a number standing for a peer transport address. */
  record ChannelBind(int number, InetSocketAddress peer, long expiresAtNanos) {}

  final FiveTuple fiveTuple;
  final ClientLink client;
  final Channel relay;
  final InetSocketAddress relayedAddress;
  /** The relay of the other address family (RFC 8656 §7.2, ADDITIONAL-ADDRESS-FAMILY), or null. */
  final Channel additionalRelay;
  final InetSocketAddress additionalRelayedAddress;
  final String username;
  final String userId;
  final String tag;
  final byte[] key;
  /** Transaction id of the Allocate that created it: a retransmission gets the same answer. */
  final byte[] allocateTransactionId;
  final TokenBucket toPeer;
  final TokenBucket toClient;
  long expiresAtNanos;
  /** Permissions (RFC 8656 §9) by peer IP: expiry in System.nanoTime() units. */
  final Map<InetAddress, Long> permissions = new java.util.concurrent.ConcurrentHashMap<>();
  /** Channel bindings by number: keyed by a primitive, so the per-packet lookup boxes nothing. */
  final IntObjectHashMap<ChannelBind> channels = new IntObjectHashMap<>();
  final Map<InetSocketAddress, ChannelBind> channelsByPeer = new java.util.concurrent.ConcurrentHashMap<>();
  volatile boolean closed;
  /**
   * Bytes handed over to it by allocations of other event loops and not yet delivered
   * ({@link LocalRelays}): bounded as its relay socket's receive buffer would be.
   */
  final java.util.concurrent.atomic.AtomicInteger handedOver = new java.util.concurrent.atomic.AtomicInteger();

  Allocation(FiveTuple fiveTuple, ClientLink client, Relay relay, Relay additional, String username,
             String userId, String tag, byte[] key, byte[] allocateTransactionId, long expiresAtNanos, long maxBps) {
    this.fiveTuple = fiveTuple;
    this.client = client;
    this.relay = relay.channel();
    this.relayedAddress = relay.advertised();
    this.additionalRelay = additional == null ? null : additional.channel();
    this.additionalRelayedAddress = additional == null ? null : additional.advertised();
    this.username = username;
    this.userId = userId;
    this.tag = tag;
    this.key = key;
    this.allocateTransactionId = allocateTransactionId;
    this.expiresAtNanos = expiresAtNanos;
    this.toPeer = new TokenBucket(maxBps);
    this.toClient = new TokenBucket(maxBps);
  }

  /** A bound relay socket and the transport address clients are told for it. */
  record Relay(Channel channel, InetSocketAddress advertised) {}

  EventLoop loop() {
    return relay.eventLoop();
  }

  /** The relay socket that talks to peers of {@code peer}'s family, or null when none does (443). */
  Channel relayFor(InetAddress peer) {
    if (sameFamily(relayedAddress.getAddress(), peer)) {
      return relay;
    }
    return additionalRelay != null && sameFamily(additionalRelayedAddress.getAddress(), peer) ? additionalRelay : null;
  }

  /** The relayed transport address that talks to peers of {@code peer}'s family, or null (443). */
  InetSocketAddress relayedAddressFor(InetAddress peer) {
    if (sameFamily(relayedAddress.getAddress(), peer)) {
      return relayedAddress;
    }
    return additionalRelay != null && sameFamily(additionalRelayedAddress.getAddress(), peer)
        ? additionalRelayedAddress : null;
  }

  /** Whether it relays to peers of this address family (RFC 8489 §14.1 family number). */
  boolean hasFamily(int family) {
    int size = family == io.parley.media.turn.codec.Attributes.FAMILY_IPV4 ? 4 : 16;
    return relayedAddress.getAddress().getAddress().length == size
        || (additionalRelay != null && additionalRelayedAddress.getAddress().getAddress().length == size);
  }

  /** Its relayed transport addresses: one, or two with ADDITIONAL-ADDRESS-FAMILY. */
  java.util.List<InetSocketAddress> relayedAddresses() {
    return additionalRelay == null ? java.util.List.of(relayedAddress)
        : java.util.List.of(relayedAddress, additionalRelayedAddress);
  }

  /** Closes its relay sockets. */
  void closeRelays() {
    relay.close();
    if (additionalRelay != null) {
      additionalRelay.close();
    }
  }

  /** Per packet: by class, not {@code getAddress()}, which copies the address bytes. */
  private static boolean sameFamily(InetAddress a, InetAddress b) {
    return (a instanceof java.net.Inet4Address) == (b instanceof java.net.Inet4Address);
  }

  boolean permits(InetAddress peer, long now) {
    Long until = permissions.get(peer);
    return until != null && until - now > 0;
  }

  /** The live binding of a channel number, or null. */
  ChannelBind channel(int number, long now) {
    ChannelBind b = channels.get(number);
    return b != null && b.expiresAtNanos() - now > 0 ? b : null;
  }

  /** The live binding of a peer, or null. */
  ChannelBind channelOf(InetSocketAddress peer, long now) {
    ChannelBind b = channelsByPeer.get(peer);
    return b != null && b.expiresAtNanos() - now > 0 ? b : null;
  }

  void bind(ChannelBind b) {
    ChannelBind old = channels.put(b.number(), b);
    if (old != null) {
      channelsByPeer.remove(old.peer());
    }
    channelsByPeer.put(b.peer(), b);
  }

  /** Drops expired permissions and bindings (RFC 8656 §9, §12: they simply time out). */
  void expireEntries(long now) {
    permissions.values().removeIf(until -> until - now <= 0);
    channels.values().removeIf(b -> b.expiresAtNanos() - now <= 0);
    channelsByPeer.values().removeIf(b -> b.expiresAtNanos() - now <= 0);
  }

  /** Per-direction bandwidth cap: a token bucket of one second of bytes (towards the client taken on two loops at times). */
  static final class TokenBucket {
    private final long rate;
    private double tokens;
    private long last = System.nanoTime();

    TokenBucket(long bytesPerSecond) {
      this.rate = bytesPerSecond;
      this.tokens = bytesPerSecond;
    }

    synchronized boolean take(int bytes) {
      if (rate <= 0) {
        return true;
      }
      long now = System.nanoTime();
      tokens = Math.min(rate, tokens + (now - last) * rate / 1e9);
      last = now;
      if (tokens < bytes) {
        return false;
      }
      tokens -= bytes;
      return true;
    }
  }
}
