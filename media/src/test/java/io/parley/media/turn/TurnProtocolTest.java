package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.code;
import static io.parley.media.turn.TurnTestClient.expectSuccess;
import static io.parley.media.turn.TurnTestClient.lifetime;
import static io.parley.media.turn.codec.StunAttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.testing.Closer;
import io.parley.core.testing.LogCapture;
import io.parley.media.turn.TurnTestClient.Inbound;
import io.parley.media.turn.TurnTestClient.Peer;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunAttribute;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TURN (RFC 8656) and STUN (RFC 8489) behaviour of a real {@link TurnServer} on loopback, seen by
 * a client on the wire: every error path with its code and required attributes, the options
 * Parley does not offer, lifetimes, quotas, peer policy, signing and FINGERPRINT, TCP framing,
 * and data relayed both ways.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TurnProtocolTest {

  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration HOUR = Duration.ofHours(1);

  @AutoClose
  private final Closer open = new Closer();
  private TurnTestServer server;

  private TurnTestServer server(Map<String, String> overrides) {
    server = open(TurnTestServer.start(overrides));
    return server;
  }

  private TurnTestServer server() {
    return server(Map.of());
  }

  private <T extends AutoCloseable> T open(T c) {
    return open.add(c);
  }

  private TurnTestClient udp() {
    return open(TurnTestClient.udp(server));
  }

  private Peer peer() {
    return open(new Peer());
  }

  private static InetSocketAddress addr(String ip, int port) {
    return new InetSocketAddress(ip, port);
  }

  /** Polls {@code condition} until it holds, failing after {@code max} (shared by this package's tests). */
  static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + max + ": " + what);
      }
      Thread.sleep(5);
    }
  }

  // --- authentication (RFC 8489 §9.2.4) -----------------------------------------------------------

  @Test
  void noMessageIntegrityIsChallengedWith401RealmAndNonce() {
    server();
    TurnTestClient c = udp();
    StunMessage r = c.challenge(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(17)));

    assertThat(code(r)).isEqualTo(401);
    assertThat(Attributes.string(r.attribute(REALM))).isEqualTo(TurnTestServer.REALM);
    assertThat(Attributes.string(r.attribute(NONCE))).isNotEmpty();
    assertThat(r.has(MESSAGE_INTEGRITY)).as("a 401 cannot be signed").isFalse();
    assertThat(server.server.allocations()).isZero();
    assertThat(server.counter("parley.turn.auth.failures", "reason", "missing")).isEqualTo(1);
  }

  @Test
  void messageIntegrityWithoutUsernameIs400() {
    server();
    TurnTestClient c = udp();
    c.challenge(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(17)));
    StunMessage r = c.transact(StunMessage.request(StunMethod.ALLOCATE, StunMessage.newTransactionId(), List.of(
        Attributes.string(REALM, TurnTestServer.REALM), Attributes.string(NONCE, c.nonce()),
        Attributes.requestedTransport(17))), c.key());

    assertThat(code(r)).isEqualTo(400);
    assertThat(r.has(MESSAGE_INTEGRITY)).isFalse();
    assertThat(server.server.allocations()).isZero();
  }

  @Test
  void wrongPasswordIs401() {
    server();
    TurnTestClient c = udp().credentials(TurnTestServer.USER, "not-the-password");
    StunMessage r = c.allocate();

    assertThat(code(r)).isEqualTo(401);
    assertThat(r.has(REALM)).isTrue();
    assertThat(r.has(NONCE)).isTrue();
    assertThat(server.counter("parley.turn.auth.failures", "reason", "bad_integrity")).isEqualTo(1);
    assertThat(server.server.allocations()).isZero();
  }

  @Test
  void unknownUserIs401() {
    server();
    StunMessage r = udp().credentials("mallory", "whatever").allocate();

    assertThat(code(r)).isEqualTo(401);
    assertThat(r.has(REALM)).isTrue();
    assertThat(r.has(NONCE)).isTrue();
    assertThat(server.counter("parley.turn.auth.failures", "reason", "unknown_user")).isEqualTo(1);
  }

  @Test
  void expiredRestUsernameIs401() {
    server();
    String[] expired = TurnCredentials.mint(TurnTestServer.SECRET, Instant.now().minusSeconds(5), "bob", null);
    StunMessage r = udp().credentials(expired).allocate();

    assertThat(code(r)).isEqualTo(401);
    assertThat(server.counter("parley.turn.auth.failures", "reason", "expired")).isEqualTo(1);
    // The same user with unexpired credentials is fine.
    assertThat(code(udp().credentials(TurnTestServer.rest("bob", null, HOUR)).allocate())).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"9223372036854775807:bob", "-9223372036854775808:bob", "99999999999999999:bob:tag"})
  void restUsernameWithAnExpiryBeyondTimeIs401(String username) {
    // Such an expiry does not fit in an Instant: the answer must still be a 401, not silence.
    server();
    String password = TurnCredentials.restPassword(TurnTestServer.SECRET, username);
    StunMessage r = udp().credentials(username, password).allocate();

    assertThat(code(r)).isEqualTo(401);
    assertThat(server.server.allocations()).isZero();
  }

  @Test
  void staleNonceIs438WithANewNonceThatThenWorks() {
    TestClock clock = new TestClock();
    server = open(TurnTestServer.start(Map.of("PARLEY_TURN_NONCE_LIFETIME", "30"), clock));
    TurnTestClient c = udp();
    c.challenge(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(17)));
    String old = c.nonce();
    clock.advance(Duration.ofSeconds(31));

    StunMessage r = c.signed(StunMethod.ALLOCATE, StunMessage.newTransactionId(),
        List.of(Attributes.requestedTransport(17)), c.username(), c.key());
    assertThat(code(r)).isEqualTo(438);
    assertThat(Attributes.string(r.attribute(REALM))).isEqualTo(TurnTestServer.REALM);
    String fresh = Attributes.string(r.attribute(NONCE));
    assertThat(fresh).isNotEqualTo(old);
    assertThat(server.counter("parley.turn.auth.failures", "reason", "stale_nonce")).isEqualTo(1);
    assertThat(server.server.allocations()).isZero();

    // request() takes the new nonce from the 438 and retries: the allocation is made.
    c.allocateOrFail();
    assertThat(c.nonce()).isNotEqualTo(old);
  }

  @Test
  void aNonceNotIssuedByTheServerIsChallengedAgain() {
    server();
    TurnTestClient c = udp();
    c.challenge(StunMethod.ALLOCATE, List.of());
    StunMessage r = c.transact(StunMessage.request(StunMethod.ALLOCATE, StunMessage.newTransactionId(), List.of(
        Attributes.string(USERNAME, TurnTestServer.USER), Attributes.string(REALM, TurnTestServer.REALM),
        Attributes.string(NONCE, "forged-nonce"), Attributes.requestedTransport(17))), c.key());

    assertThat(code(r)).isIn(401, 438);
    assertThat(r.has(NONCE)).isTrue();
    assertThat(server.server.allocations()).isZero();
  }

  // --- comprehension-required attributes and options not offered (RFC 8489 §6.3, RFC 8656 §7.2) --

  @Test
  void unknownComprehensionRequiredAttributeIs420ListingIt() {
    server();
    TurnTestClient c = udp();
    StunMessage r = c.allocate(new StunAttribute(0x7777, new byte[] {1, 2, 3, 4}));

    assertThat(code(r)).isEqualTo(420);
    assertThat(Attributes.unknownAttributes(r.attribute(UNKNOWN_ATTRIBUTES))).containsExactly(0x7777);
    assertThat(MessageIntegrity.verify(r, c.key())).as("answer to an authenticated request is signed").isTrue();
    assertThat(server.server.allocations()).isZero();

    // Binding needs no credentials: 420 at once.
    StunMessage b = c.transact(StunMessage.request(StunMethod.BINDING, StunMessage.newTransactionId(),
        List.of(new StunAttribute(0x7777, new byte[0]), new StunAttribute(0x0030, new byte[4]))), null);
    assertThat(code(b)).isEqualTo(420);
    assertThat(Attributes.unknownAttributes(b.attribute(UNKNOWN_ATTRIBUTES))).containsExactly(0x7777, 0x0030);

    // Unknown comprehension-optional attributes are ignored.
    StunMessage ok = c.transact(StunMessage.request(StunMethod.BINDING, StunMessage.newTransactionId(),
        List.of(new StunAttribute(0xC0DE, new byte[] {9}))), null);
    assertThat(code(ok)).isZero();
  }

  @Test
  void authenticationComesBeforeTheUnknownAttributeCheck() {
    // RFC 8489 §6.3 and §9.2.4: authentication first; a failed check means no further processing.
    server();
    StunMessage r = udp().transact(StunMessage.request(StunMethod.ALLOCATE, StunMessage.newTransactionId(),
        List.of(Attributes.requestedTransport(17), new StunAttribute(0x7777, new byte[4]))), null);

    assertThat(code(r)).isEqualTo(401);
    assertThat(r.has(NONCE)).isTrue();
  }

  @Test
  void dontFragmentIs420() {
    server();
    TurnTestClient c = udp();
    StunMessage r = c.allocate(Attributes.flag(DONT_FRAGMENT));

    assertThat(code(r)).isEqualTo(420);
    assertThat(Attributes.unknownAttributes(r.attribute(UNKNOWN_ATTRIBUTES))).containsExactly(DONT_FRAGMENT);
    assertThat(server.server.allocations()).isZero();
  }

  @Test
  void evenPortWithoutReservationGivesAnEvenRelayedPort() {
    server();
    for (int i = 0; i < 5; i++) {
      StunMessage r = expectSuccess(udp().allocate(Attributes.evenPort(false)), "Allocate EVEN-PORT");
      InetSocketAddress relayed = Attributes.xorAddress(r.attribute(XOR_RELAYED_ADDRESS), r.transactionId());
      assertThat(relayed.getPort() % 2).as("relayed port %d", relayed.getPort()).isZero();
    }
  }

  @Test
  void anUnknownReservationTokenIs508() {
    server();
    StunMessage r = udp().allocate(Attributes.reservationToken(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
    assertThat(code(r)).isEqualTo(508);
    assertThat(server.server.allocations()).isZero();
  }

  @Test
  void requestedTransportMissingIs400AndTcpIs442() {
    server();
    TurnTestClient c = udp();
    StunMessage missing = c.request(StunMethod.ALLOCATE, List.of());
    assertThat(code(missing)).isEqualTo(400);
    assertThat(MessageIntegrity.verify(missing, c.key())).isTrue();

    StunMessage tcp = c.request(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(Attributes.PROTOCOL_TCP)));
    assertThat(code(tcp)).isEqualTo(442);
    assertThat(MessageIntegrity.verify(tcp, c.key())).isTrue();
    assertThat(server.server.allocations()).isZero();
  }

  @Test
  void malformedAttributeValuesAre400NotSilenceAndReserveNoQuota() {
    // RFC 8489 §6.3.1.1: a malformed request gets 400; silence would leave the client retransmitting.
    server(Map.of("PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "1"));
    TurnTestClient c = udp();
    StunMessage shortTransport = c.request(StunMethod.ALLOCATE,
        List.of(new StunAttribute(REQUESTED_TRANSPORT, new byte[] {17, 0})));
    assertThat(code(shortTransport)).isEqualTo(400);

    StunMessage badLifetime = c.request(StunMethod.ALLOCATE,
        List.of(Attributes.requestedTransport(17), new StunAttribute(LIFETIME, new byte[] {0, 0, 1})));
    assertThat(code(badLifetime)).isEqualTo(400);
    assertThat(code(c.request(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(17),
        new StunAttribute(LIFETIME, new byte[5]))))).isEqualTo(400);
    StunMessage badPeer = c.transact(StunMessage.request(StunMethod.BINDING, StunMessage.newTransactionId(),
        List.of(new StunAttribute(USERNAME, new byte[] {(byte) 0xC3, 0x28}))), null);
    assertThat(code(badPeer)).as("Binding ignores USERNAME").isZero();
    assertThat(server.server.allocations()).isZero();
    // The refused requests reserved no quota: the one allocation allowed is still available.
    c.allocateOrFail();
    assertThat(code(c.createPermission(addr("127.0.0.1", 5000)))).isZero();
    StunMessage badAddress = c.request(StunMethod.CREATE_PERMISSION,
        List.of(new StunAttribute(XOR_PEER_ADDRESS, new byte[] {0, 1, 0, 0})));
    assertThat(code(badAddress)).isEqualTo(400);
    StunMessage badUsername = c.transact(StunMessage.request(StunMethod.REFRESH, StunMessage.newTransactionId(),
        List.of(new StunAttribute(USERNAME, new byte[] {(byte) 0xC3, 0x28}), Attributes.string(REALM, TurnTestServer.REALM),
            Attributes.string(NONCE, c.nonce()))), c.key());
    assertThat(code(badUsername)).as("USERNAME that is not UTF-8").isEqualTo(400);
  }

  @Test
  void requestedAddressFamilyIpv6Is440WithoutIpv6Relays() {
    server(Map.of("PARLEY_TURN_RELAY_HOST_IPV6", "none"));
    StunMessage r = udp().allocate(Attributes.requestedAddressFamily(Attributes.FAMILY_IPV6));
    assertThat(code(r)).isEqualTo(440);
    assertThat(server.server.allocations()).isZero();
  }

  @Test
  void anUnknownAddressFamilyIs440() {
    server();
    StunMessage r = udp().allocate(Attributes.requestedAddressFamily(0x03));
    assertThat(code(r)).isEqualTo(440);
    assertThat(server.server.allocations()).isZero();
  }

  // --- allocations (RFC 8656 §7) -----------------------------------------------------------------

  @Test
  void secondAllocateOnTheSameFiveTupleIs437AndARetransmissionGetsTheSameSuccess() {
    server();
    TurnTestClient c = udp();
    c.challenge(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(17)));
    byte[] tx = StunMessage.newTransactionId();
    byte[] first = c.encodeSigned(StunMethod.ALLOCATE, tx, List.of(Attributes.requestedTransport(17)));
    StunMessage original = expectSuccess(c.transactRaw(first, tx), "Allocate");
    InetSocketAddress relayed = Attributes.xorAddress(original.attribute(XOR_RELAYED_ADDRESS), tx);

    StunMessage again = c.signed(StunMethod.ALLOCATE, StunMessage.newTransactionId(),
        List.of(Attributes.requestedTransport(17)), c.username(), c.key());
    assertThat(code(again)).isEqualTo(437);
    assertThat(MessageIntegrity.verify(again, c.key())).isTrue();

    StunMessage retransmitted = expectSuccess(c.transactRaw(first, tx), "retransmitted Allocate");
    assertThat(Attributes.xorAddress(retransmitted.attribute(XOR_RELAYED_ADDRESS), tx)).isEqualTo(relayed);
    assertThat(Attributes.xorAddress(retransmitted.attribute(XOR_MAPPED_ADDRESS), tx)).isEqualTo(c.localAddress());
    assertThat(lifetime(retransmitted)).isBetween(598L, 600L);
    assertThat(MessageIntegrity.verify(retransmitted, c.key())).isTrue();
    assertThat(server.server.allocations()).isEqualTo(1);
  }

  @Test
  void retransmissionsInABurstMakeOneAllocation() throws Exception {
    // A client retransmitting before the first answer must not get a second relay (nor a leaked one).
    server(Map.of("PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "3"));
    TurnTestClient c = udp();
    c.challenge(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(17)));
    byte[] tx = StunMessage.newTransactionId();
    byte[] allocate = c.encodeSigned(StunMethod.ALLOCATE, tx, List.of(Attributes.requestedTransport(17)));
    // Junk first, so that the retransmissions queue up and the server reads them in one batch.
    byte[] junk = new byte[64];
    for (int i = 0; i < 1000; i++) {
      c.write(junk);
    }
    for (int i = 0; i < 5; i++) {
      c.write(allocate);
    }
    List<InetSocketAddress> relayed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Inbound in = c.receive(Duration.ofSeconds(2));
      if (in == null) {
        break;
      }
      if (in.stun() != null && code(in.stun()) == 0) {
        relayed.add(Attributes.xorAddress(in.stun().attribute(XOR_RELAYED_ADDRESS), tx));
      }
    }
    assertThat(relayed).isNotEmpty();
    assertThat(relayed).as("every success names the same relayed address").containsOnly(relayed.get(0));
    await(() -> server.server.allocations() == 1, Duration.ofSeconds(1), "one allocation");
    // The quota counted one allocation: two more fit.
    udp().allocateOrFail();
    udp().allocateOrFail();
    assertThat(code(udp().allocate())).isEqualTo(486);
  }

  @Test
  void aRelayPortInUseIsSkipped() throws Exception {
    // A relay range of two ports, one of them taken by another socket: every Allocate must get the
    // other one, however often the random choice falls on the taken port first.
    java.net.DatagramSocket taken = null;
    int port = 0;
    for (int attempt = 0; attempt < 20 && taken == null; attempt++) {
      java.net.DatagramSocket s = open(new java.net.DatagramSocket(addr("127.0.0.1", 0)));
      port = s.getLocalPort();
      if (port < 65535 && port >= 1024) {
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(addr("127.0.0.1", port + 1))) {
          taken = s;
        } catch (java.net.SocketException busy) {
          // the next port is in use too: try another pair
        }
      }
    }
    assertThat(taken).as("a free port next to a taken one").isNotNull();
    server(Map.of("PARLEY_TURN_RELAY_PORTS", port + "-" + (port + 1)));
    TurnTestClient c = udp();
    for (int i = 0; i < 12; i++) {
      assertThat(c.allocateOrFail().getPort()).isEqualTo(port + 1);
      expectSuccess(c.refresh(0), "Refresh 0");
      int free = port + 1;
      await(() -> {
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(addr("127.0.0.1", free))) {
          return probe.isBound();
        } catch (java.net.SocketException e) {
          return false;
        }
      }, Duration.ofSeconds(2), "relay port released");
    }
    // With both ports taken, Allocate answers 508.
    try (java.net.DatagramSocket both = new java.net.DatagramSocket(addr("127.0.0.1", port + 1))) {
      assertThat(code(c.allocate())).isEqualTo(508);
    }
  }

  @Test
  void refreshWithOtherCredentialsIs441() {
    server();
    TurnTestClient c = udp();
    c.allocateOrFail();
    c.credentials(TurnTestServer.rest("bob", null, HOUR));
    StunMessage r = c.refresh(600);

    assertThat(code(r)).isEqualTo(441);
    assertThat(MessageIntegrity.verify(r, c.key())).isTrue();
    assertThat(code(c.createPermission(addr("127.0.0.1", 9)))).isEqualTo(441);
    assertThat(server.server.allocations()).isEqualTo(1);
  }

  @Test
  void refreshWithLifetimeZeroDeletesTheAllocation() throws Exception {
    server();
    TurnTestClient c = udp();
    InetSocketAddress relayed = c.allocateOrFail();
    StunMessage r = expectSuccess(c.refresh(0), "Refresh 0");

    assertThat(lifetime(r)).isZero();
    assertThat(server.server.allocations()).isZero();
    assertThat(code(c.createPermission(addr("127.0.0.1", 9)))).isEqualTo(437);
    assertThat(code(c.refresh(600))).isEqualTo(437);
    // The relay port is closed: the port can be bound again.
    await(() -> {
      try (java.net.DatagramSocket s = new java.net.DatagramSocket(relayed)) {
        return s.isBound();
      } catch (java.net.SocketException e) {
        return false;
      }
    }, Duration.ofSeconds(2), "relay port released");
    // And a new allocation on the same 5-tuple is possible.
    c.allocateOrFail();
  }

  @Test
  void lifetimesAreClampedBetweenDefaultAndMaximum() {
    server();
    TurnTestClient c = udp();
    assertThat(lifetime(expectSuccess(c.allocate(Attributes.lifetime(10)), "Allocate"))).isEqualTo(600);
    assertThat(lifetime(expectSuccess(c.refresh(99_999), "Refresh"))).isEqualTo(3600);
    assertThat(lifetime(expectSuccess(c.refresh(10), "Refresh"))).isEqualTo(600);
    assertThat(lifetime(expectSuccess(c.refresh(1800), "Refresh"))).isEqualTo(1800);
    assertThat(lifetime(expectSuccess(udp().allocate(Attributes.lifetime(99_999)), "Allocate"))).isEqualTo(3600);
    assertThat(lifetime(expectSuccess(udp().allocate(), "Allocate"))).isEqualTo(600);
  }

  /**
   * RFC 8656 §7.2: the server uses the smaller of the requested lifetime and its maximum. The
   * largest LIFETIME a client can send is no error: clamped, on Allocate and on Refresh.
   */
  @Test
  void theLargestLifetimeIsClampedToTheMaximumNotRefused() {
    server();
    TurnTestClient c = udp();
    StunMessage allocated = expectSuccess(c.allocate(Attributes.lifetime(0xFFFF_FFFFL)), "Allocate LIFETIME 2^32-1");
    assertThat(lifetime(allocated)).isEqualTo(3600);
    StunMessage refreshed = expectSuccess(c.refresh(0xFFFF_FFFFL), "Refresh LIFETIME 2^32-1");
    assertThat(lifetime(refreshed)).isEqualTo(3600);
    assertThat(server.server.allocations()).isEqualTo(1);
  }

  @Test
  void refreshWithoutAllocationIs437() {
    server();
    assertThat(code(udp().refresh(600))).isEqualTo(437);
  }

  // --- permissions and channels (RFC 8656 §9, §12) -------------------------------------------------

  @Test
  void peersOfAnotherFamilyAre443() {
    server();
    TurnTestClient c = udp();
    c.allocateOrFail();
    InetSocketAddress v6 = addr("2001:db8::1", 5000);
    StunMessage perm = c.createPermission(v6);
    assertThat(code(perm)).isEqualTo(443);
    assertThat(MessageIntegrity.verify(perm, c.key())).isTrue();
    assertThat(code(c.channelBind(0x4000, v6))).isEqualTo(443);
    assertThat(code(c.request(StunMethod.REFRESH, List.of(Attributes.requestedAddressFamily(Attributes.FAMILY_IPV6)))))
        .as("Refresh asking for another family").isEqualTo(443);
  }

  @Test
  void unknownRequestMethodIs400() {
    server();
    TurnTestClient c = udp();
    StunMessage r = c.transact(StunMessage.request(0x00A, StunMessage.newTransactionId(), List.of()), null);
    assertThat(code(r)).isEqualTo(400);
    assertThat(r.method()).isEqualTo(0x00A);
    assertThat(r.cls()).isEqualTo(StunClass.ERROR_RESPONSE);
  }

  @Test
  void createPermissionWithoutPeerIs400() {
    server();
    TurnTestClient c = udp();
    c.allocateOrFail();
    StunMessage r = c.request(StunMethod.CREATE_PERMISSION, List.of());
    assertThat(code(r)).isEqualTo(400);
    assertThat(MessageIntegrity.verify(r, c.key())).isTrue();
  }

  @Test
  void channelBindOutOfRangeOrRebindingIs400() {
    server();
    TurnTestClient c = udp();
    c.allocateOrFail();
    InetSocketAddress a = addr("127.0.0.1", 40_001);
    InetSocketAddress b = addr("127.0.0.1", 40_003);

    assertThat(code(c.channelBind(0x3FFF, a))).isEqualTo(400);
    assertThat(code(c.channelBind(0x8000, a))).isEqualTo(400);
    assertThat(code(c.request(StunMethod.CHANNEL_BIND, List.of(TurnTestClient.channelNumber(0x4001))))).isEqualTo(400);
    expectSuccess(c.channelBind(0x4001, a), "ChannelBind");
    expectSuccess(c.channelBind(0x4001, a), "ChannelBind refresh");
    assertThat(code(c.channelBind(0x4001, b))).as("channel already bound to another peer").isEqualTo(400);
    assertThat(code(c.channelBind(0x4002, a))).as("peer already bound to another channel").isEqualTo(400);
    expectSuccess(c.channelBind(0x4002, b), "ChannelBind of another peer");
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1", "169.254.1.1",
      "224.0.0.1", "0.0.0.0", "255.255.255.255"})
  void peersRefusedByPolicyAre403AndNeverRelayed(String ip) throws Exception {
    server(Map.of("PARLEY_TURN_ALLOW_PEERS", ""));
    TurnTestClient c = udp();
    c.allocateOrFail();
    StunMessage perm = c.createPermission(addr(ip, 5000));
    assertThat(code(perm)).isEqualTo(403);
    assertThat(MessageIntegrity.verify(perm, c.key())).isTrue();
    assertThat(code(c.channelBind(0x4000, addr(ip, 5000)))).isEqualTo(403);
    assertThat(server.drops("peer_refused")).isEqualTo(2);

    // A loopback peer (refused too) gets nothing, by Send indication or ChannelData.
    Peer p = peer();
    assertThat(code(c.createPermission(p.address()))).isEqualTo(403);
    c.sendIndication(p.address(), "must not arrive".getBytes(StandardCharsets.US_ASCII));
    c.sendChannelData(0x4000, new byte[] {1, 2, 3});
    assertThat(p.receive(QUIET)).isNull();
    await(() -> server.drops("no_permission") == 1 && server.drops("no_channel") == 1, Duration.ofSeconds(1),
        "both dropped");
    assertThat(server.total("parley.turn.packets")).isZero();
  }

  @Test
  void mixedPermissionWithOneRefusedPeerInstallsNothing() {
    server(Map.of("PARLEY_TURN_ALLOW_PEERS", "127.0.0.2/32"));
    TurnTestClient c = udp();
    c.allocateOrFail();
    assertThat(code(c.createPermission(addr("127.0.0.2", 5000), addr("10.1.2.3", 5000)))).isEqualTo(403);
    assertThat(server.registry.get("parley.turn.permissions").gauge().value()).isZero();
    expectSuccess(c.createPermission(addr("127.0.0.2", 5000)), "allowed peer");
    assertThat(server.registry.get("parley.turn.permissions").gauge().value()).isEqualTo(1);
  }

  // --- quotas (RFC 8656 §7.2: 486, 508) ------------------------------------------------------------

  @Test
  void perUserQuotaIs486AndIsReleasedOnDelete() {
    server(Map.of("PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "2"));
    TurnTestClient first = udp();
    first.allocateOrFail();
    udp().allocateOrFail();
    TurnTestClient third = udp();
    StunMessage r = third.allocate();
    assertThat(code(r)).isEqualTo(486);
    assertThat(MessageIntegrity.verify(r, third.key())).isTrue();
    // Another user is not affected.
    udp().credentials(TurnTestServer.rest("bob", null, HOUR)).allocateOrFail();

    expectSuccess(first.refresh(0), "Refresh 0");
    third.allocateOrFail();
    assertThat(server.server.allocations()).isEqualTo(3);
  }

  @Test
  void totalCapacityIs508() throws Exception {
    server(Map.of("PARLEY_TURN_MAX_ALLOCATIONS", "2"));
    udp().allocateOrFail();
    udp().credentials(TurnTestServer.rest("bob", null, HOUR)).allocateOrFail();
    TurnTestClient carol = udp().credentials(TurnTestServer.rest("carol", null, HOUR));
    StunMessage r = carol.allocate();
    assertThat(code(r)).isEqualTo(508);
    assertThat(server.server.allocations()).isEqualTo(2);
    // The refused user's quota was not consumed: with room, carol gets her allocation.
    server.server.revokeUser("bob", Instant.now().plusSeconds(60));
    await(() -> server.server.allocations() == 1, Duration.ofSeconds(2), "bob's allocation ended");
    carol.allocateOrFail();
  }

  // --- signing and FINGERPRINT (RFC 8489 §9.2.4, §14.7) --------------------------------------------

  @Test
  void responsesCarryFingerprintWhenTheRequestDid() {
    server();
    TurnTestClient c = udp().fingerprint(true);
    StunMessage binding = expectSuccess(c.binding(), "Binding");
    assertThat(binding.hasFingerprint()).as("the decoder checked its CRC").isTrue();
    assertThat(binding.attributes().getLast().type()).isEqualTo(FINGERPRINT);

    StunMessage challenge = c.challenge(StunMethod.ALLOCATE, List.of(Attributes.requestedTransport(17)));
    assertThat(challenge.hasFingerprint()).isTrue();
    StunMessage allocate = expectSuccess(c.allocate(), "Allocate");
    assertThat(allocate.hasFingerprint()).isTrue();
    assertThat(MessageIntegrity.verify(allocate, c.key())).isTrue();
    List<Integer> types = allocate.attributes().stream().map(StunAttribute::type).toList();
    assertThat(types.subList(types.size() - 2, types.size())).containsExactly(MESSAGE_INTEGRITY, FINGERPRINT);

    StunMessage plain = expectSuccess(udp().binding(), "Binding without FINGERPRINT");
    assertThat(plain.hasFingerprint()).isFalse();
  }

  @Test
  void authenticatedResponsesCarryMessageIntegrityThatVerifies() {
    server();
    TurnTestClient c = udp();
    try (Peer p = new Peer()) {
      List<StunMessage> answers = List.of(
          c.allocate(), c.createPermission(p.address()), c.channelBind(0x4000, p.address()), c.refresh(700),
          c.allocate() /* 437 */, c.channelBind(0x3FFF, p.address()) /* 400 */);
      assertThat(answers).extracting(TurnTestClient::code).containsExactly(0, 0, 0, 0, 437, 400);
      for (StunMessage m : answers) {
        assertThat(m.has(MESSAGE_INTEGRITY)).as("%s", m).isTrue();
        assertThat(MessageIntegrity.verify(m, c.key())).as("%s", m).isTrue();
        assertThat(MessageIntegrity.verify(m, MessageIntegrity.longTermKey("alice", TurnTestServer.REALM, "x")))
            .isFalse();
      }
    }
  }

  // --- TCP (RFC 8656 §6.2, §12.5) ----------------------------------------------------------------------

  @Test
  void bindingOverTcp() {
    server();
    TurnTestClient c = open(TurnTestClient.tcp(server));
    StunMessage r = expectSuccess(c.binding(), "Binding over TCP");
    assertThat(Attributes.xorAddress(r.attribute(XOR_MAPPED_ADDRESS), r.transactionId())).isEqualTo(c.localAddress());
  }

  @Test
  void channelDataOverTcpIsPaddedToFourBytes() throws Exception {
    server();
    TurnTestClient c = open(TurnTestClient.tcp(server));
    Peer p = peer();
    InetSocketAddress relayed = c.allocateOrFail();
    expectSuccess(c.channelBind(0x4001, p.address()), "ChannelBind");

    byte[] five = {1, 2, 3, 4, 5};
    p.send(relayed, five);
    Inbound in = c.receive(Duration.ofSeconds(2));
    assertThat(in).isNotNull();
    assertThat(in.isChannelData()).isTrue();
    assertThat(in.raw()).as("header, 5 bytes, 3 bytes of zero padding")
        .containsExactly(0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0);
    assertThat(in.channel()).isEqualTo(0x4001);
    assertThat(in.data()).containsExactly(five);

    // Padded ChannelData from the client reaches the peer unpadded, and the stream stays in step.
    c.sendChannelData(0x4001, new byte[] {9, 8, 7, 6, 5});
    c.sendChannelData(0x4001, new byte[] {42});
    DatagramPacket got = p.receive(Duration.ofSeconds(2));
    assertThat(got).isNotNull();
    assertThat(got.getData()).containsExactly(9, 8, 7, 6, 5);
    assertThat(got.getSocketAddress()).isEqualTo(relayed);
    assertThat(p.receive(Duration.ofSeconds(2)).getData()).containsExactly(42);
    expectSuccess(c.binding(), "Binding after ChannelData");

    // The allocation ends with the connection (RFC 8656 §6.2).
    c.close();
    await(() -> server.server.allocations() == 0, Duration.ofSeconds(2), "TCP allocation ended");
  }

  // --- data relayed end to end (RFC 8656 §10, §12) ----------------------------------------------------

  @Test
  void relayBothWaysBySendAndDataIndicationsThenChannelData() {
    server();
    TurnTestClient c = udp();
    Peer p = peer();
    InetSocketAddress relayed = c.allocateOrFail();
    expectSuccess(c.createPermission(p.address()), "CreatePermission");

    c.sendIndication(p.address(), "hello peer".getBytes(StandardCharsets.US_ASCII));
    DatagramPacket atPeer = p.receive(Duration.ofSeconds(2));
    assertThat(atPeer).isNotNull();
    assertThat(new String(atPeer.getData(), StandardCharsets.US_ASCII)).isEqualTo("hello peer");
    assertThat(atPeer.getSocketAddress()).as("sent from the relayed address").isEqualTo(relayed);

    p.send(relayed, "hello client".getBytes(StandardCharsets.US_ASCII));
    Inbound data = c.receive(Duration.ofSeconds(2));
    assertThat(data).isNotNull();
    assertThat(data.stun().method()).isEqualTo(StunMethod.DATA);
    assertThat(data.stun().cls()).isEqualTo(StunClass.INDICATION);
    assertThat(Attributes.xorAddress(data.stun().attribute(XOR_PEER_ADDRESS), data.stun().transactionId()))
        .isEqualTo(p.address());
    assertThat(new String(data.stun().attribute(DATA).value(), StandardCharsets.US_ASCII)).isEqualTo("hello client");

    expectSuccess(c.channelBind(0x4000, p.address()), "ChannelBind");
    p.send(relayed, new byte[] {7, 7, 7});
    Inbound cd = c.receive(Duration.ofSeconds(2));
    assertThat(cd).isNotNull();
    assertThat(cd.isChannelData()).isTrue();
    assertThat(cd.channel()).isEqualTo(0x4000);
    assertThat(cd.data()).containsExactly(7, 7, 7);

    c.sendChannelData(0x4000, new byte[] {1, 2, 3});
    DatagramPacket viaChannel = p.receive(Duration.ofSeconds(2));
    assertThat(viaChannel).isNotNull();
    assertThat(viaChannel.getData()).containsExactly(1, 2, 3);

    assertThat(server.counter("parley.turn.packets", "direction", "client_to_peer")).isEqualTo(2);
    assertThat(server.counter("parley.turn.packets", "direction", "peer_to_client")).isEqualTo(2);
    assertThat(server.counter("parley.turn.bytes", "direction", "peer_to_client")).isEqualTo(15);
  }

  @Test
  void channelDataStopsWithTheAllocationAndFollowsTheNextOneOnTheSameFiveTuple() throws Exception {
    // ChannelData over UDP finds its allocation by the client's address without the 5-tuple table:
    // that index must forget an ended allocation and learn the next one.
    server();
    TurnTestClient c = udp();
    Peer p = peer();
    c.allocateOrFail();
    expectSuccess(c.channelBind(0x4001, p.address()), "ChannelBind");
    c.sendChannelData(0x4001, new byte[] {1});
    assertThat(p.receive(Duration.ofSeconds(2))).isNotNull();

    expectSuccess(c.refresh(0), "Refresh 0");
    c.sendChannelData(0x4001, new byte[] {2});
    assertThat(p.receive(QUIET)).isNull();
    await(() -> server.drops("no_allocation") == 1, Duration.ofSeconds(1), "1 drop");

    c.allocateOrFail();
    c.sendChannelData(0x4001, new byte[] {3});
    await(() -> server.drops("no_channel") == 1, Duration.ofSeconds(1), "unbound in the new allocation");
    expectSuccess(c.channelBind(0x4001, p.address()), "ChannelBind again");
    c.sendChannelData(0x4001, new byte[] {4});
    DatagramPacket again = p.receive(Duration.ofSeconds(2));
    assertThat(again).isNotNull();
    assertThat(again.getData()).containsExactly(4);
  }

  @Test
  void burstsLongerThanOneBatchedReadArriveWholeAndInOrder() {
    // recvmmsg takes 16 datagrams per call and a read burst ends at the first call that does not
    // fill them: 100 datagrams each way, sent back to back, must all be relayed, in order.
    server();
    TurnTestClient c = udp();
    Peer p = peer();
    InetSocketAddress relayed = c.allocateOrFail();
    expectSuccess(c.channelBind(0x4002, p.address()), "ChannelBind");
    int n = 100;
    for (int i = 0; i < n; i++) {
      p.send(relayed, new byte[] {(byte) i, 1});
    }
    for (int i = 0; i < n; i++) {
      Inbound in = c.receive(Duration.ofSeconds(2));
      assertThat(in).as("datagram %d at the client", i).isNotNull();
      assertThat(in.data()).containsExactly(i, 1);
    }
    for (int i = 0; i < n; i++) {
      c.sendChannelData(0x4002, new byte[] {(byte) i, 2});
    }
    for (int i = 0; i < n; i++) {
      DatagramPacket at = p.receive(Duration.ofSeconds(2));
      assertThat(at).as("datagram %d at the peer", i).isNotNull();
      assertThat(at.getData()).containsExactly(i, 2);
    }
  }

  @Test
  void ipv4TransportAddressesKeyAsOneNumberAndIpv6NotAtAll() {
    assertThat(TurnServer.ipv4Key(addr("192.168.1.2", 3478))).isEqualTo(0xC0A80102L << 16 | 3478);
    assertThat(TurnServer.ipv4Key(addr("255.255.255.255", 65535))).isEqualTo(0xFFFFFFFFFFFFL);
    assertThat(TurnServer.ipv4Key(addr("127.0.0.1", 1))).isNotEqualTo(TurnServer.ipv4Key(addr("127.0.0.2", 1)));
    assertThat(TurnServer.ipv4Key(addr("::1", 3478))).isEqualTo(-1);
  }

  @Test
  void aSendIndicationWithAnUnknownComprehensionRequiredAttributeIsDiscarded() throws Exception {
    // RFC 8489 §6.3: an indication is never answered; with such an attribute it is dropped.
    server();
    TurnTestClient c = udp();
    Peer p = peer();
    c.allocateOrFail();
    expectSuccess(c.createPermission(p.address()), "CreatePermission");
    byte[] tx = StunMessage.newTransactionId();
    c.write(io.parley.media.turn.codec.StunEncoder.encodeToBytes(StunMessage.indication(StunMethod.SEND, tx, List.of(
        Attributes.xorAddress(XOR_PEER_ADDRESS, p.address(), tx), Attributes.data(new byte[] {1}),
        new StunAttribute(0x7777, new byte[4]))), null, false));
    c.sendIndication(p.address(), new byte[] {2});
    DatagramPacket got = p.receive(Duration.ofSeconds(2));
    assertThat(got).isNotNull();
    assertThat(got.getData()).as("only the well-formed indication is relayed").containsExactly(2);
    assertThat(p.receive(QUIET)).isNull();
    assertThat(c.receive(QUIET)).as("indications are not answered").isNull();
    assertThat(server.drops("unsupported")).isEqualTo(1);
  }

  @Test
  void sendsTheKernelRefusesAreDroppedWithoutFloodingTheLog() {
    server();
    try (LogCapture logs = new LogCapture("io.netty", "io.parley")) {
      TurnTestClient c = udp();
      Peer p = peer();
      c.allocateOrFail();
      InetSocketAddress portZero = addr("127.0.0.1", 0);
      expectSuccess(c.createPermission(portZero), "CreatePermission (permissions are per IP)");
      for (int i = 0; i < 20; i++) {
        c.sendIndication(portZero, new byte[] {1});
      }
      expectSuccess(c.channelBind(0x4000, portZero), "ChannelBind");
      c.sendChannelData(0x4000, new byte[] {2});
      // The relay still works.
      c.sendIndication(p.address(), new byte[] {3});
      DatagramPacket got = p.receive(Duration.ofSeconds(2));
      assertThat(got).isNotNull();
      assertThat(got.getData()).containsExactly(3);
      expectSuccess(c.binding(), "Binding");
      assertThat(logs.warnings()).isEmpty();
    }
  }

  @Test
  void dataFromAPeerWithoutPermissionIsDroppedAndCounted() throws Exception {
    server();
    TurnTestClient c = udp();
    Peer allowed = peer();
    Peer stranger = open(new Peer());
    InetSocketAddress relayed = c.allocateOrFail();
    expectSuccess(c.createPermission(addr("127.0.0.2", allowed.address().getPort())), "permission for another IP");

    stranger.send(relayed, new byte[] {1});
    allowed.send(relayed, new byte[] {2});
    assertThat(c.receive(QUIET)).isNull();
    await(() -> server.drops("no_permission") == 2, Duration.ofSeconds(1), "2 drops");

    // Nor can the client reach a peer without permission.
    c.sendIndication(stranger.address(), new byte[] {3});
    assertThat(stranger.receive(QUIET)).isNull();
    await(() -> server.drops("no_permission") == 3, Duration.ofSeconds(1), "3 drops");
    assertThat(server.total("parley.turn.packets")).isZero();
  }

  @Test
  void bindingAnswersTheReflexiveAddress() {
    server();
    TurnTestClient c = udp();
    StunMessage r = expectSuccess(c.binding(), "Binding");
    assertThat(Attributes.xorAddress(r.attribute(XOR_MAPPED_ADDRESS), r.transactionId())).isEqualTo(c.localAddress());
    assertThat(c.localAddress().getAddress()).isEqualTo(InetAddress.getLoopbackAddress());
  }
}
