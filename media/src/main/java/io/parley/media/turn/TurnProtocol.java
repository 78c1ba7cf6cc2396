package io.parley.media.turn;

import static io.parley.media.turn.codec.StunAttributeType.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import io.parley.media.turn.TurnMetrics.AuthFailure;
import io.parley.media.turn.TurnMetrics.Drop;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.ChannelData;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunAttribute;
import io.parley.media.turn.codec.StunAttributeType;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunDecoder;
import io.parley.media.turn.codec.StunEncoder;
import io.parley.media.turn.codec.StunException;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The TURN and STUN request logic, one method per request type, with the steps of RFC 8656 and
 * RFC 8489 as numbered comments. Runs on the event loop of the client's socket, which is also the
 * loop of the client's allocation: no locks.
 */
final class TurnProtocol implements LocalRelays.Receiver {

  /** Lifetimes of RFC 8656: allocation default and maximum (§7.2), permission (§9), channel (§12). */
  static final long DEFAULT_LIFETIME_S = 600;
  static final long MAX_LIFETIME_S = 3600;
  static final long PERMISSION_LIFETIME_S = 300;
  static final long CHANNEL_LIFETIME_S = 600;
  /** IANA protocol number for UDP in REQUESTED-TRANSPORT (RFC 8656 §18.7). */
  static final int PROTOCOL_UDP = 17;
  static final String SOFTWARE_NAME = "Parley TURN";

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TurnProtocol.class);

  private final TurnServer server;
  private final TurnMetrics metrics;

  TurnProtocol(TurnServer server, TurnMetrics metrics) {
    this.server = server;
    this.metrics = metrics;
  }

  /** One message from a client (a STUN message or ChannelData); releases {@code buf}. */
  void onClientMessage(ClientLink link, FiveTuple tuple, ByteBuf buf) {
    try {
      if (ChannelData.isChannelData(buf)) {
        onChannelData(server.allocation(tuple), buf, link.stream());
      } else if (StunDecoder.isStun(buf)) {
        onStun(link, tuple, StunDecoder.decode(buf));
      } else {
        metrics.drop(Drop.MALFORMED);
      }
    } catch (StunException e) {
      metrics.drop(Drop.MALFORMED);
    } finally {
      buf.release();
    }
  }

  /**
   * ChannelData from the UDP client of {@code a}, found by the listener without building a 5-tuple
   * (it checked {@link ChannelData#isChannelData}); releases {@code buf}.
   */
  void onClientChannelData(Allocation a, ByteBuf buf) {
    try {
      onChannelData(server.live(a), buf, false);
    } catch (StunException e) {
      metrics.drop(Drop.MALFORMED);
    } finally {
      buf.release();
    }
  }

  // --- data plane --------------------------------------------------------------------------------

  /**
   * RFC 8656 §12.4: ChannelData from the client of {@code a} (null: it has none) goes to the peer
   * bound to that channel. The data leaves in the received buffer itself, its indexes narrowed to
   * the data: no slice, no copy, no object per packet.
   */
  private void onChannelData(Allocation a, ByteBuf buf, boolean stream) {
    if (a == null) {
      metrics.drop(Drop.NO_ALLOCATION);
      return;
    }
    int length = ChannelData.dataLength(buf, stream);
    long now = System.nanoTime();
    Allocation.ChannelBind bind = a.channel(ChannelData.channel(buf), now);
    // 1. The channel must be bound, and the permission for its peer still installed.
    if (bind == null) {
      metrics.drop(Drop.NO_CHANNEL);
      return;
    }
    if (!a.permits(bind.peer().getAddress(), now)) {
      metrics.drop(Drop.NO_PERMISSION);
      return;
    }
    int data = buf.readerIndex() + ChannelData.HEADER_SIZE;
    relayToPeer(a, bind.peer(), buf.retain().setIndex(data, data + length), true);
  }

  /**
   * Sends {@code data} (released here) from the allocation's relayed address to {@code peer}: to
   * another allocation of this node in the process when {@code peer} is its relayed address
   * ({@link LocalRelays}), else from the relay socket. {@code framed}: {@code data} arrived as
   * ChannelData, its header still before it.
   */
  private void relayToPeer(Allocation a, InetSocketAddress peer, ByteBuf data, boolean framed) {
    int size = data.readableBytes();
    if (!a.toPeer.take(size)) {
      data.release();
      metrics.drop(Drop.BANDWIDTH);
      return;
    }
    LocalRelays locals = server.localRelays();
    if (locals.isRelayAddress(peer.getAddress())) {
      Allocation to = locals.find(peer);
      if (to != null) {
        metrics.packetsToPeer.increment();
        metrics.bytesToPeer.increment(size);
        InetSocketAddress from = a.relayedAddressFor(peer.getAddress());
        ClientLink direct = sameListener(a.client, to.client);
        if (direct != null) {
          // Both clients reach the node over UDP at the same address and port, one listening
          // socket per loop: this loop's socket sends to the receiver's client as its own would,
          // with no hand-over (and no wake-up) of the receiver's loop.
          try {
            metrics.packetsLocal.increment();
            onPeerData(to, from, data, framed, direct);
          } finally {
            data.release();
          }
        } else if (!LocalRelays.handOver(this, to, from, data, framed)) {
          metrics.drop(Drop.BACKPRESSURE);
        }
        return;
      }
      if (!server.policy().permitted(peer.getAddress())) {
        // A port of the node's own address that no allocation holds: the permission was installed
        // for the node's relays, nothing leaves towards its other services.
        data.release();
        metrics.drop(Drop.PEER_REFUSED);
        return;
      }
    }
    Channel relay = a.relayFor(peer.getAddress());
    if (relay == null || !relay.isWritable()) {
      data.release();
      metrics.drop(Drop.BACKPRESSURE);
      return;
    }
    metrics.packetsToPeer.increment();
    metrics.bytesToPeer.increment(size);
    WriteBatch.datagram(relay, data, peer);
  }

  /**
   * RFC 8656 §10.3 and §12.4: a datagram from a peer reaches the client if a permission exists for
   * the peer's IP: as ChannelData when a channel is bound to the peer, else as a Data indication.
   */
  void onPeerDatagram(Allocation a, Channel relay, DatagramPacket packet) {
    try {
      InetSocketAddress peer = packet.sender();
      if (server.localRelays().isRelayAddress(peer.getAddress()) && !server.policy().permitted(peer.getAddress())) {
        // The permission for the node's own address was installed for its relays, which hand
        // their data over in the process: what arrives from that address through the kernel is
        // from another of the node's own sockets.
        metrics.drop(Drop.PEER_REFUSED);
        return;
      }
      onPeerData(a, peer, packet.content(), false, a.client);
    } finally {
      packet.release();
    }
  }

  /** Data another allocation of this node relayed to {@code to}, from its relayed address {@code from}. */
  @Override
  public void onLocalDatagram(Allocation to, InetSocketAddress from, ByteBuf data, boolean framed) {
    try {
      if (!to.closed) {
        metrics.packetsLocal.increment();
        onPeerData(to, from, data, framed, to.client);
      }
    } finally {
      data.release();
    }
  }

  /**
   * A link to {@code to}'s client through {@code from}'s socket when both are UDP clients of
   * listening sockets bound to one address (the loops' sockets of one port), else null. On the
   * sender's loop: the datagram leaves from the address the client knows.
   */
  private static ClientLink sameListener(ClientLink from, ClientLink to) {
    if (from instanceof ClientLink.Udp f && to instanceof ClientLink.Udp t) {
      if (f.channel() == t.channel()) {
        return t;
      }
      if (f.channel().localAddress() != null && f.channel().localAddress().equals(t.channel().localAddress())) {
        return new ClientLink.Udp(f.channel(), t.client());
      }
    }
    return null;
  }

  /**
   * As {@link #onPeerDatagram}; {@code data} stays the caller's. ChannelData that arrived as
   * ChannelData ({@code framed}) and leaves as a datagram is sent in its own buffer, its header
   * rewritten: no copy.
   */
  private void onPeerData(Allocation a, InetSocketAddress peer, ByteBuf data, boolean framed, ClientLink link) {
    ByteBufAllocator alloc = link.channel().alloc();
    long now = System.nanoTime();
    if (!a.permits(peer.getAddress(), now)) {
      metrics.drop(Drop.NO_PERMISSION);
      return;
    }
    int size = data.readableBytes();
    if (!a.toClient.take(size)) {
      metrics.drop(Drop.BANDWIDTH);
      return;
    }
    Allocation.ChannelBind bind = a.channelOf(peer, now);
    ByteBuf out;
    if (bind != null) {
      out = framed && !link.stream() ? ChannelData.reframe(bind.number(), data)
          : ChannelData.encode(bind.number(), data, link.stream(), alloc);
    } else {
      byte[] tx = server.newTransactionId();
      StunMessage indication = StunMessage.indication(StunMethod.DATA, tx, List.of(
          Attributes.xorAddress(XOR_PEER_ADDRESS, peer, tx),
          Attributes.data(data)));
      out = StunEncoder.encode(indication, null, false, alloc);
    }
    metrics.packetsToClient.increment();
    metrics.bytesToClient.increment(size);
    link.relay(out);
  }

  // --- control plane -----------------------------------------------------------------------------

  private void onStun(ClientLink link, FiveTuple tuple, StunMessage m) {
    if (m.cls() == StunClass.INDICATION) {
      // RFC 8489 §6.3: an indication with unknown comprehension-required attributes is discarded.
      if (!StunDecoder.unknownComprehensionRequired(m, TurnProtocol::understood).isEmpty()) {
        metrics.drop(Drop.UNSUPPORTED);
      } else if (m.method() == StunMethod.SEND) {
        onSend(tuple, m);
      } else {
        metrics.drop(Drop.UNSUPPORTED);
      }
      return;
    }
    if (m.cls() != StunClass.REQUEST) {
      metrics.drop(Drop.UNSUPPORTED); // responses are never sent to a server
      return;
    }
    try {
      onRequest(link, tuple, m);
    } catch (StunException e) {
      // An attribute value that does not parse: the request is malformed (RFC 8489 §6.3.1.1, 400).
      // Silence would leave the client retransmitting for half a minute.
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), null);
    }
  }

  private void onRequest(ClientLink link, FiveTuple tuple, StunMessage m) {
    switch (m.method()) {
      case StunMethod.ALLOCATE -> authenticated(link, tuple, m, id -> onAllocate(link, tuple, m, id));
      case StunMethod.REFRESH -> authenticated(link, tuple, m, id -> onRefresh(link, tuple, m, id));
      case StunMethod.CREATE_PERMISSION -> authenticated(link, tuple, m, id -> onCreatePermission(link, tuple, m, id));
      case StunMethod.CHANNEL_BIND -> authenticated(link, tuple, m, id -> onChannelBind(link, tuple, m, id));
      default -> {
        // Without authentication, the unknown-attribute check comes first (RFC 8489 §6.3).
        if (rejectedUnknown(link, m, null)) {
          return;
        }
        if (m.method() == StunMethod.BINDING) {
          onBinding(link, tuple, m);
        } else {
          reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), null);
        }
      }
    }
  }

  /**
   * RFC 8489 §6.3.1: unknown comprehension-required attributes -> 420 listing them, signed with
   * {@code key} when the request was authenticated. Returns whether the request was answered.
   */
  private boolean rejectedUnknown(ClientLink link, StunMessage m, byte[] key) {
    List<Integer> unknown = StunDecoder.unknownComprehensionRequired(m, TurnProtocol::understood);
    if (unknown.isEmpty()) {
      return false;
    }
    int[] types = unknown.stream().mapToInt(Integer::intValue).toArray();
    reply(link, m, StunMessage.error(m, 420, "Unknown Attribute", List.of(Attributes.unknownAttributes(types))), key);
    return true;
  }

  /**
   * Attributes this server understands. DONT-FRAGMENT is not offered: RFC 8656 §7.2 step 4 has a
   * server that cannot set the DF bit treat it as an unknown comprehension-required attribute
   * (420).
   */
  static boolean understood(int type) {
    return switch (type) {
      case MAPPED_ADDRESS, USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, UNKNOWN_ATTRIBUTES, CHANNEL_NUMBER, LIFETIME,
          XOR_PEER_ADDRESS, DATA, REALM, NONCE, XOR_RELAYED_ADDRESS, REQUESTED_ADDRESS_FAMILY, REQUESTED_TRANSPORT,
          XOR_MAPPED_ADDRESS, PRIORITY, USE_CANDIDATE, EVEN_PORT, RESERVATION_TOKEN -> true;
      default -> false;
    };
  }

  /** RFC 8489 §3, §14.2: Binding answers with the client's reflexive address; no authentication. */
  private void onBinding(ClientLink link, FiveTuple tuple, StunMessage m) {
    reply(link, m, StunMessage.success(m, List.of(
        Attributes.xorAddress(XOR_MAPPED_ADDRESS, tuple.client(), m.transactionId()),
        Attributes.string(SOFTWARE, SOFTWARE_NAME))), null);
  }

  /** What an authenticated request continues with. */
  @FunctionalInterface
  interface Next {
    void run(TurnCredentials.Identity identity);
  }

  /** The long-term credential mechanism, RFC 8489 §9.2.4. */
  private void authenticated(ClientLink link, FiveTuple tuple, StunMessage m, Next next) {
    // 1. No MESSAGE-INTEGRITY: 401 with REALM and a fresh NONCE.
    if (!m.has(MESSAGE_INTEGRITY)) {
      metrics.authFailure(AuthFailure.MISSING);
      challenge(link, m, 401, "Unauthorized");
      return;
    }
    // 2. MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400.
    StunAttribute username = m.attribute(USERNAME);
    StunAttribute realm = m.attribute(REALM);
    StunAttribute nonce = m.attribute(NONCE);
    if (username == null || realm == null || nonce == null) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), null);
      return;
    }
    // 3. A nonce that is no longer valid (or not ours): 438 with a new one.
    if (server.nonces().check(Attributes.string(nonce)) != Nonces.Check.VALID) {
      metrics.authFailure(AuthFailure.STALE_NONCE);
      challenge(link, m, 438, "Stale Nonce");
      return;
    }
    // 4. Unknown or expired username, or another realm: 401.
    String user = Attributes.string(username);
    if (!server.credentials().realm().equals(Attributes.string(realm))) {
      metrics.authFailure(AuthFailure.UNKNOWN_USER);
      challenge(link, m, 401, "Unauthorized");
      return;
    }
    List<byte[]> keys = new ArrayList<>(2);
    TurnCredentials.Result found = server.credentials().lookup(user, keys);
    if (found.identity() == null) {
      metrics.authFailure(found.refusal() == TurnCredentials.Refusal.EXPIRED ? AuthFailure.EXPIRED
          : AuthFailure.UNKNOWN_USER);
      challenge(link, m, 401, "Unauthorized");
      return;
    }
    // 5. MESSAGE-INTEGRITY checked with the key of each accepted secret, in constant time each.
    byte[] key = null;
    for (byte[] k : keys) {
      if (MessageIntegrity.verify(m, k)) {
        key = k;
        break;
      }
    }
    if (key == null) {
      metrics.authFailure(AuthFailure.BAD_INTEGRITY);
      challenge(link, m, 401, "Unauthorized");
      return;
    }
    TurnCredentials.Identity id = found.identity();
    // 6. Credentials of a revoked user or call: 403, and they stay refused.
    if (server.revoked(id)) {
      metrics.authFailure(AuthFailure.REVOKED);
      reply(link, m, StunMessage.error(m, 403, "Forbidden", List.of()), key);
      return;
    }
    // 7. Only once authenticated: unknown comprehension-required attributes (RFC 8489 §6.3, and
    //    RFC 8656 §7.2 step 4 for DONT-FRAGMENT) -> 420, signed.
    if (rejectedUnknown(link, m, key)) {
      return;
    }
    next.run(new TurnCredentials.Identity(id.username(), id.userId(), id.tag(), id.expiresAt(), key));
  }

  private void challenge(ClientLink link, StunMessage m, int code, String reason) {
    reply(link, m, StunMessage.error(m, code, reason, List.of(
        Attributes.string(REALM, server.credentials().realm()),
        Attributes.string(NONCE, server.nonces().issue()))), null);
  }

  /** RFC 8656 §7.2: Allocate. */
  private void onAllocate(ClientLink link, FiveTuple tuple, StunMessage m, TurnCredentials.Identity id) {
    // 2. An allocation on this 5-tuple already: a retransmission gets the original answer, else 437.
    Allocation existing = server.allocation(tuple);
    if (existing != null) {
      if (java.util.Arrays.equals(existing.allocateTransactionId, m.transactionId())) {
        reply(link, m, allocateSuccess(m, existing, remainingSeconds(existing), List.of()), existing.key);
      } else {
        reply(link, m, StunMessage.error(m, 437, "Allocation Mismatch", List.of()), id.key());
      }
      return;
    }
    // 3. REQUESTED-TRANSPORT is required, and only UDP relaying is offered.
    StunAttribute transport = m.attribute(REQUESTED_TRANSPORT);
    if (transport == null) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    if (Attributes.requestedTransport(transport) != PROTOCOL_UDP) {
      reply(link, m, StunMessage.error(m, 442, "Unsupported Transport Protocol", List.of()), id.key());
      return;
    }
    // 4. (DONT-FRAGMENT was answered 420 once authenticated: this server does not set the DF bit.)
    // 5. RESERVATION-TOKEN names a port reserved by an earlier EVEN-PORT with the R bit: it comes
    //    alone (with EVEN-PORT or an address family: 400), and an unknown or expired one is 508.
    StunAttribute evenPort = m.attribute(EVEN_PORT);
    StunAttribute token = m.attribute(RESERVATION_TOKEN);
    StunAttribute family = m.attribute(REQUESTED_ADDRESS_FAMILY);
    StunAttribute additional = m.attribute(ADDITIONAL_ADDRESS_FAMILY);
    if (token != null && (evenPort != null || family != null || additional != null)) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    byte[] tokenValue = token == null ? null : Attributes.reservationToken(token);
    if (tokenValue != null && server.reservedFamily(tokenValue) < 0) {
      reply(link, m, StunMessage.error(m, 508, "Insufficient Capacity", List.of()), id.key());
      return;
    }
    // 6. EVEN-PORT: an even port; with the R bit, the next port is reserved too (step 10).
    boolean reserveNext = evenPort != null && Attributes.evenPort(evenPort);
    // 7. Address families (RFC 8656 §7.2, RFC 6156): REQUESTED-ADDRESS-FAMILY picks the family of
    //    the relayed address (440 when not offered); ADDITIONAL-ADDRESS-FAMILY IPv6 asks for an
    //    IPv6 one besides the IPv4 one. Both together, or ADDITIONAL naming IPv4: 400.
    int requested = family == null ? Attributes.FAMILY_IPV4 : Attributes.requestedAddressFamily(family);
    if (family != null && additional != null) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    if (additional != null && Attributes.requestedAddressFamily(additional) != Attributes.FAMILY_IPV6) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    if (!server.offersFamily(requested)) {
      reply(link, m, StunMessage.error(m, 440, "Address Family not Supported", List.of()), id.key());
      return;
    }
    // 8. Lifetime: the client's if longer than the default, at most the maximum. Parsed before the
    //    quota is reserved, so that a malformed LIFETIME (400) cannot leak a reservation.
    long lifetime = boundedByCredential(lifetime(m.attribute(LIFETIME), false), id, server.now());
    // 9. Quotas: per user (486), then this node's capacity (508).
    if (!server.reserveQuota(id.userId())) {
      reply(link, m, StunMessage.error(m, 486, "Allocation Quota Reached", List.of()), id.key());
      return;
    }
    if (server.allocationCount() >= server.settings().maxAllocations()) {
      server.releaseQuota(id.userId());
      reply(link, m, StunMessage.error(m, 508, "Insufficient Capacity", List.of()), id.key());
      return;
    }
    // 10. Bind the relay socket(s) on the same event loop as the client: the reserved port of a
    //     token, or a random (even) one, with the next one reserved for the R bit.
    var opened = server.openRelay(link, tuple, id, m.transactionId(), lifetime, new TurnServer.RelayRequest(
        requested, additional != null, evenPort != null, reserveNext, tokenValue));
    if (opened == null) {
      // A retransmission while the first Allocate is still binding: the client retries again.
      server.releaseQuota(id.userId());
      return;
    }
    opened.whenComplete((o, failure) -> {
      Allocation a = o == null ? null : o.allocation();
      if (a == null) {
        server.releaseQuota(id.userId());
        reply(link, m, StunMessage.error(m, 508, "Insufficient Capacity", List.of()), id.key());
        return;
      }
      // 11. A revocation that ran while the relay was being bound did not see this allocation in
      //     the table: check again now that it is there, or it would outlive the revocation.
      if (server.revoked(id)) {
        server.delete(a);
        metrics.authFailure(AuthFailure.REVOKED);
        reply(link, m, StunMessage.error(m, 403, "Forbidden", List.of()), id.key());
        return;
      }
      List<StunAttribute> extra = new ArrayList<>();
      if (o.reservationToken() != null) {
        extra.add(Attributes.reservationToken(o.reservationToken()));
      }
      if (o.additionalRefused()) {
        extra.add(Attributes.addressErrorCode(Attributes.FAMILY_IPV6, 440, "Address Family not Supported"));
      }
      reply(link, m, allocateSuccess(m, a, lifetime, extra), id.key());
    });
  }

  /** RFC 8656 §7.2 step 11: the relayed address(es), lifetime, reflexive address, and extras. */
  private StunMessage allocateSuccess(StunMessage m, Allocation a, long lifetime, List<StunAttribute> extra) {
    List<StunAttribute> attrs = new ArrayList<>();
    for (InetSocketAddress relayed : a.relayedAddresses()) {
      attrs.add(Attributes.xorAddress(XOR_RELAYED_ADDRESS, relayed, m.transactionId()));
    }
    attrs.add(Attributes.lifetime(lifetime));
    attrs.addAll(extra);
    attrs.add(Attributes.xorAddress(XOR_MAPPED_ADDRESS, a.fiveTuple.client(), m.transactionId()));
    attrs.add(Attributes.string(SOFTWARE, SOFTWARE_NAME));
    return StunMessage.success(m, attrs);
  }

  private static long remainingSeconds(Allocation a) {
    return Math.max(0, TimeUnit.NANOSECONDS.toSeconds(a.expiresAtNanos - System.nanoTime()));
  }

  /**
   * A scoped credential (one with a tag, such as a call id) ends its allocations when it expires:
   * the lifetime granted never reaches past the credential's expiry, so the relay stops at the end
   * of the call on every node even if no revocation message arrives. Untagged credentials only
   * bound new requests, as in coturn.
   */
  static long boundedByCredential(long lifetime, TurnCredentials.Identity id, java.time.Instant now) {
    if (id.tag() == null || id.expiresAt() == null) {
      return lifetime;
    }
    long left = java.time.Duration.between(now, id.expiresAt()).toMillis();
    return Math.max(1, Math.min(lifetime, (left + 999) / 1000));
  }

  /** RFC 8656 §7.2 / §7.3: the lifetime rule. A Refresh may ask for 0 (delete). */
  static long lifetime(StunAttribute requested, boolean refresh) {
    if (requested == null) {
      return DEFAULT_LIFETIME_S;
    }
    long asked = Attributes.uint32(requested);
    if (refresh && asked == 0) {
      return 0;
    }
    long capped = Math.min(asked, MAX_LIFETIME_S);
    return Math.max(capped, DEFAULT_LIFETIME_S);
  }

  /** RFC 8656 §7.3: Refresh. */
  private void onRefresh(ClientLink link, FiveTuple tuple, StunMessage m, TurnCredentials.Identity id) {
    // 1. The 5-tuple must have an allocation: 437 otherwise.
    Allocation a = server.allocation(tuple);
    if (a == null) {
      reply(link, m, StunMessage.error(m, 437, "Allocation Mismatch", List.of()), id.key());
      return;
    }
    // 2. Only the credentials that made it may refresh it: 441 otherwise.
    if (!a.username.equals(id.username())) {
      metrics.authFailure(AuthFailure.WRONG_CREDENTIALS);
      reply(link, m, StunMessage.error(m, 441, "Wrong Credentials", List.of()), id.key());
      return;
    }
    // 3. REQUESTED-ADDRESS-FAMILY must match a family of the allocation: 443 otherwise.
    StunAttribute family = m.attribute(REQUESTED_ADDRESS_FAMILY);
    if (family != null && !a.hasFamily(Attributes.requestedAddressFamily(family))) {
      reply(link, m, StunMessage.error(m, 443, "Peer Address Family Mismatch", List.of()), id.key());
      return;
    }
    // 4. Lifetime 0 deletes the allocation; otherwise the lifetime rule applies.
    long lifetime = lifetime(m.attribute(LIFETIME), true);
    if (lifetime > 0) {
      lifetime = boundedByCredential(lifetime, id, server.now());
    }
    if (lifetime == 0) {
      server.delete(a);
    } else {
      a.expiresAtNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(lifetime);
    }
    reply(link, m, StunMessage.success(m, List.of(Attributes.lifetime(lifetime),
        Attributes.string(SOFTWARE, SOFTWARE_NAME))), id.key());
  }

  /** RFC 8656 §9.2: CreatePermission. */
  private void onCreatePermission(ClientLink link, FiveTuple tuple, StunMessage m, TurnCredentials.Identity id) {
    Allocation a = ownAllocation(link, tuple, m, id);
    if (a == null) {
      return;
    }
    // 1. At least one XOR-PEER-ADDRESS: 400 otherwise.
    List<InetSocketAddress> peers = new ArrayList<>();
    for (StunAttribute at : m.attributes()) {
      if (at.type() == XOR_PEER_ADDRESS) {
        peers.add(Attributes.xorAddress(at, m.transactionId()));
      }
    }
    if (peers.isEmpty()) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    // 2. Every peer must be of the allocation's family (443) and allowed by policy (403);
    //    nothing is installed unless all are acceptable.
    for (InetSocketAddress p : peers) {
      if (a.relayFor(p.getAddress()) == null) {
        reply(link, m, StunMessage.error(m, 443, "Peer Address Family Mismatch", List.of()), id.key());
        return;
      }
      if (!server.peerPermitted(p.getAddress())) {
        metrics.drop(Drop.PEER_REFUSED);
        reply(link, m, StunMessage.error(m, 403, "Forbidden", List.of()), id.key());
        return;
      }
    }
    // 3. Install or refresh each permission for 300 s.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(PERMISSION_LIFETIME_S);
    for (InetSocketAddress p : peers) {
      a.permissions.put(p.getAddress(), until);
    }
    reply(link, m, StunMessage.success(m, List.of(Attributes.string(SOFTWARE, SOFTWARE_NAME))), id.key());
  }

  /** RFC 8656 §11.2: ChannelBind. */
  private void onChannelBind(ClientLink link, FiveTuple tuple, StunMessage m, TurnCredentials.Identity id) {
    Allocation a = ownAllocation(link, tuple, m, id);
    if (a == null) {
      return;
    }
    // 1. CHANNEL-NUMBER in 0x4000-0x7FFF and an XOR-PEER-ADDRESS are required: 400 otherwise.
    StunAttribute number = m.attribute(CHANNEL_NUMBER);
    StunAttribute peerAttr = m.attribute(XOR_PEER_ADDRESS);
    if (number == null || peerAttr == null) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    int channel = Attributes.channelNumber(number);
    if (channel < ChannelData.MIN_CHANNEL || channel > ChannelData.MAX_CHANNEL) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    InetSocketAddress peer = Attributes.xorAddress(peerAttr, m.transactionId());
    // 2. The peer must be of the allocation's family (443) and allowed (403).
    if (a.relayFor(peer.getAddress()) == null) {
      reply(link, m, StunMessage.error(m, 443, "Peer Address Family Mismatch", List.of()), id.key());
      return;
    }
    if (!server.peerPermitted(peer.getAddress())) {
      metrics.drop(Drop.PEER_REFUSED);
      reply(link, m, StunMessage.error(m, 403, "Forbidden", List.of()), id.key());
      return;
    }
    // 3. A channel is bound to one peer and a peer to one channel for the binding's life: 400.
    long now = System.nanoTime();
    Allocation.ChannelBind byNumber = a.channel(channel, now);
    Allocation.ChannelBind byPeer = a.channelOf(peer, now);
    if ((byNumber != null && !byNumber.peer().equals(peer)) || (byPeer != null && byPeer.number() != channel)) {
      reply(link, m, StunMessage.error(m, 400, "Bad Request", List.of()), id.key());
      return;
    }
    // 4. Bind (or refresh) for 600 s, and install or refresh the peer's permission for 300 s.
    a.bind(new Allocation.ChannelBind(channel, peer, now + TimeUnit.SECONDS.toNanos(CHANNEL_LIFETIME_S)));
    a.permissions.put(peer.getAddress(), now + TimeUnit.SECONDS.toNanos(PERMISSION_LIFETIME_S));
    reply(link, m, StunMessage.success(m, List.of(Attributes.string(SOFTWARE, SOFTWARE_NAME))), id.key());
  }

  /** The caller's allocation on this 5-tuple, or null after answering 437 / 441. */
  private Allocation ownAllocation(ClientLink link, FiveTuple tuple, StunMessage m, TurnCredentials.Identity id) {
    Allocation a = server.allocation(tuple);
    if (a == null) {
      reply(link, m, StunMessage.error(m, 437, "Allocation Mismatch", List.of()), id.key());
      return null;
    }
    if (!a.username.equals(id.username())) {
      metrics.authFailure(AuthFailure.WRONG_CREDENTIALS);
      reply(link, m, StunMessage.error(m, 441, "Wrong Credentials", List.of()), id.key());
      return null;
    }
    return a;
  }

  /** RFC 8656 §10.2: a Send indication carries DATA to a peer with a permission; else dropped silently. */
  private void onSend(FiveTuple tuple, StunMessage m) {
    Allocation a = server.allocation(tuple);
    if (a == null) {
      metrics.drop(Drop.NO_ALLOCATION);
      return;
    }
    StunAttribute peerAttr = m.attribute(XOR_PEER_ADDRESS);
    StunAttribute data = m.attribute(DATA);
    if (peerAttr == null || data == null || m.has(DONT_FRAGMENT)) {
      metrics.drop(peerAttr == null || data == null ? Drop.MALFORMED : Drop.UNSUPPORTED);
      return;
    }
    InetSocketAddress peer = Attributes.xorAddress(peerAttr, m.transactionId());
    if (!a.permits(peer.getAddress(), System.nanoTime())) {
      metrics.drop(Drop.NO_PERMISSION);
      return;
    }
    relayToPeer(a, peer, io.netty.buffer.Unpooled.wrappedBuffer(data.value()), false);
  }

  /**
   * Sends a response, signed with {@code key} when the request was authenticated, with a
   * FINGERPRINT when the request had one (RFC 8489 §7.3: mirror the client).
   */
  private void reply(ClientLink link, StunMessage request, StunMessage response, byte[] key) {
    if (response.cls() == StunClass.ERROR_RESPONSE && LOG.isDebugEnabled()) {
      StunAttribute code = response.attribute(ERROR_CODE);
      LOG.debug("{} from {} answered {} (attributes {})", StunMethod.name(request.method()), link.channel(),
          code == null ? "?" : Attributes.errorCode(code),
          request.attributes().stream().map(a -> StunAttributeType.name(a.type())).toList());
    }
    link.send(StunEncoder.encode(response, key, request.hasFingerprint(), link.channel().alloc()));
  }
}
