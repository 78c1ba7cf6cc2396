package io.parley.media.turn;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.parley.media.turn.codec.Attributes;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * Relay sockets: bound on a random port of the relay range, on the event loop of the client they
 * serve, of either address family; and the ports held back for a later allocation (RFC 8656 §7.2:
 * EVEN-PORT with the R bit reserves the next port, and the Allocate carrying the RESERVATION-TOKEN
 * handed out gets it). A reservation is a bound socket that drops what reaches it; it expires
 * after {@link TurnOptions#reservationLifetime()} (30 s, as coturn).
 */
final class RelaySockets {

  /** Random ports tried in the relay range before Allocate answers 508. */
  static final int BIND_ATTEMPTS = 40;
  /** The size of a RESERVATION-TOKEN (RFC 8656 §18.10). */
  static final int TOKEN_SIZE = Attributes.RESERVATION_TOKEN_SIZE;

  /** A port held under a token: the socket holding it, and the family it was reserved for. */
  private record Reservation(Channel placeholder, int family) {}

  /** A bound relay socket; with the R bit, the token of the next port too (else null). */
  record Bound(Channel channel, byte[] token) {}

  private final TurnOptions settings;
  private final boolean epoll;
  private final Map<String, Reservation> reservations = new ConcurrentHashMap<>();

  RelaySockets(TurnOptions settings, boolean epoll) {
    this.settings = settings;
    this.epoll = epoll;
  }

  /** The interface relay sockets of {@code family} bind, or null when that family is not offered. */
  String bindHost(int family) {
    return family == Attributes.FAMILY_IPV4 ? settings.relayHost() : settings.relayHostIpv6().orElse(null);
  }

  /**
   * Binds a relay socket of {@code family} on {@code loop}: an even port when {@code even}, and with
   * {@code reserveNext} the next port held under a new token too. Completes with null when no port
   * (or pair of ports) is free after {@link #BIND_ATTEMPTS} tries.
   */
  CompletableFuture<Bound> bind(EventLoop loop, int family, boolean even, boolean reserveNext,
                                Supplier<ChannelHandler> handler) {
    CompletableFuture<Bound> result = new CompletableFuture<>();
    tryBind(loop, family, even || reserveNext, reserveNext, handler, 0, result);
    return result;
  }

  private void tryBind(EventLoop loop, int family, boolean even, boolean pair, Supplier<ChannelHandler> handler,
                       int attempt, CompletableFuture<Bound> result) {
    if (attempt >= BIND_ATTEMPTS) {
      result.complete(null);
      return;
    }
    int low = settings.relayPortLow();
    int high = pair ? settings.relayPortHigh() - 1 : settings.relayPortHigh();
    if (high < low) {
      result.complete(null);
      return;
    }
    int port = ThreadLocalRandom.current().nextInt(low, high + 1);
    if (even && (port & 1) == 1) {
      port = port - 1 >= low ? port - 1 : port + 1;
    }
    if (port > high || (even && (port & 1) == 1)) {
      tryBind(loop, family, even, pair, handler, attempt + 1, result);
      return;
    }
    int chosen = port;
    bindPort(loop, family, chosen, handler.get(), relay -> {
      if (relay == null) {
        tryBind(loop, family, even, pair, handler, attempt + 1, result);
      } else if (!pair) {
        result.complete(new Bound(relay, null));
      } else {
        bindPort(loop, family, chosen + 1, handler.get(), next -> {
          if (next == null) {
            relay.close();
            tryBind(loop, family, even, pair, handler, attempt + 1, result);
          } else {
            result.complete(new Bound(relay, reserve(next, family)));
          }
        });
      }
    });
  }

  private void bindPort(EventLoop loop, int family, int port, ChannelHandler handler, Consumer<Channel> done) {
    // UDP GRO: when both parties of a call are relayed here, one relay's GSO send reaches the
    // other's as one read, not split and queued datagram by datagram (a quarter less CPU per
    // relayed message in ./parley bench turn, see docs/BENCHMARKS.md).
    Bootstrap b = TurnServer.datagramBootstrap(loop, epoll, true)
        .option(ChannelOption.SO_RCVBUF, TurnServer.RELAY_RCVBUF)
        // A handler per channel: a bind attempt that fails has already put one in its channel's
        // pipeline, and an unsharable handler cannot be added again (every retry would fail).
        .handler(handler);
    b.bind(new InetSocketAddress(bindHost(family), port))
        .addListener((ChannelFuture f) -> done.accept(f.isSuccess() ? f.channel() : null));
  }

  /** Holds {@code placeholder}'s port under a new token until it is redeemed or expires. */
  private byte[] reserve(Channel placeholder, int family) {
    byte[] token = new byte[TOKEN_SIZE];
    String key;
    do {
      ThreadLocalRandom.current().nextBytes(token);
      key = HexFormat.of().formatHex(token);
    } while (reservations.putIfAbsent(key, new Reservation(placeholder, family)) != null);
    Reservation r = reservations.get(key);
    String k = key;
    Duration lifetime = settings.reservationLifetime();
    placeholder.eventLoop().schedule(() -> {
      if (reservations.remove(k, r)) {
        placeholder.close();
      }
    }, lifetime.toMillis(), TimeUnit.MILLISECONDS);
    return token;
  }

  /**
   * Binds, on {@code loop}, the port reserved under {@code token}, which is spent. Completes with
   * null when the token is unknown, expired or already spent, or reserved another family than
   * {@code family} (-1: any), or when the port cannot be bound again.
   */
  CompletableFuture<Channel> redeem(byte[] token, int family, EventLoop loop, ChannelHandler handler) {
    CompletableFuture<Channel> result = new CompletableFuture<>();
    Reservation r = reservations.get(HexFormat.of().formatHex(token));
    if (r == null || (family >= 0 && r.family() != family)
        || !reservations.remove(HexFormat.of().formatHex(token), r)) {
      result.complete(null);
      return result;
    }
    // The placeholder lives on the loop of the client that reserved it; the allocation must live
    // on its own client's loop: the port is closed there and bound again here.
    int port = ((InetSocketAddress) r.placeholder().localAddress()).getPort();
    r.placeholder().close().addListener(closed -> bindPort(loop, r.family(), port, handler, result::complete));
    return result;
  }

  /** The family a reservation was made for, or -1 when the token is not (or no longer) valid. */
  int reservedFamily(byte[] token) {
    Reservation r = reservations.get(HexFormat.of().formatHex(token));
    return r == null ? -1 : r.family();
  }

  /** Completes when the port held under {@code token} is released (redeemed or expired); null if none is. */
  io.netty.util.concurrent.Future<Void> released(byte[] token) {
    Reservation r = reservations.get(HexFormat.of().formatHex(token));
    return r == null ? null : r.placeholder().closeFuture();
  }

  /** Ports held now (tests, metrics). */
  int reserved() {
    return reservations.size();
  }

  /** Releases every reserved port. */
  void close() {
    for (String key : reservations.keySet()) {
      Reservation r = reservations.remove(key);
      if (r != null) {
        r.placeholder().close();
      }
    }
  }

  // --- advertised addresses ----------------------------------------------------------------------

  /**
   * Where IPv6 relays are advertised: the configured address, else the IPv6 relay host, else (a
   * wildcard) the host's first global IPv6 address, else ::1 when the host has only that; null
   * when IPv6 relays are off or the host has no IPv6 address at all.
   */
  static InetAddress advertisedIpv6(TurnOptions s) {
    if (s.relayHostIpv6().isEmpty()) {
      return null;
    }
    try {
      if (s.externalIpv6().isPresent()) {
        return InetAddress.getByName(s.externalIpv6().get());
      }
      InetAddress relay = InetAddress.getByName(s.relayHostIpv6().get());
      if (!relay.isAnyLocalAddress()) {
        return relay;
      }
      InetAddress loopback = null;
      for (var nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
          if (a instanceof java.net.Inet6Address && a.isLoopbackAddress()) {
            loopback = InetAddress.getByAddress(a.getAddress());
          } else if (a instanceof java.net.Inet6Address && !a.isLinkLocalAddress() && !a.isSiteLocalAddress()
              && (a.getAddress()[0] & 0xFE) != 0xFC) { // not unique-local fc00::/7 either
            return InetAddress.getByAddress(a.getAddress());
          }
        }
      }
      return loopback;
    } catch (java.io.IOException e) {
      LoggerFactory.getLogger(RelaySockets.class).warn("TURN: no IPv6 relays: {}", e.toString());
      return null;
    }
  }

  static InetAddress advertisedIpv4(TurnOptions s) {
    try {
      if (s.externalIp().isPresent()) {
        return InetAddress.getByName(s.externalIp().get());
      }
      InetAddress relay = InetAddress.getByName(s.relayHost());
      return relay.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : relay;
    } catch (UnknownHostException e) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_RELAY_HOST: not an address: " + s.relayHost(), e);
    }
  }
}
