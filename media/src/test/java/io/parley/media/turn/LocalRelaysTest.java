package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.expectSuccess;
import static io.parley.media.turn.codec.StunAttributeType.DATA;
import static io.parley.media.turn.codec.StunAttributeType.XOR_PEER_ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.testing.Closer;
import io.parley.media.turn.TurnTestClient.Inbound;
import io.parley.media.turn.TurnTestClient.Peer;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.StunMethod;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both parties of a call relayed by one node: each allocation's peer is the other's relayed address,
 * one of the node's own. The data goes from one allocation to the other in the process
 * ({@link LocalRelays}), with the receiver's permissions and channels applied as to any peer; the
 * node's own address is reachable only there, never through the kernel.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalRelaysTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @AutoClose
  private final Closer open = new Closer();
  private TurnTestServer server;

  private <T extends AutoCloseable> T open(T c) {
    return open.add(c);
  }

  /** The host's first IPv4 address that is not loopback or link-local: where the node is reached. */
  private static InetAddress hostAddress() throws SocketException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
          return a;
        }
      }
    }
    throw new AssertionError("this test needs the host to have an IPv4 address besides loopback");
  }

  /**
   * As production: no peer range allowed; the node advertises its relays on the host's own address
   * (as behind a 1:1 NAT, the relay sockets are bound on loopback here).
   */
  private InetAddress productionLike() throws SocketException {
    InetAddress host = hostAddress();
    server = open(TurnTestServer.start(Map.of("PARLEY_TURN_ALLOW_PEERS", "",
        "PARLEY_TURN_EXTERNAL_IP", host.getHostAddress())));
    return host;
  }

  private TurnTestClient client() {
    return open(TurnTestClient.udp(server));
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  @Test
  void twoAllocationsOfTheNodeTalkThroughItWhereItsOwnAddressIsRefusedAsAPeer() throws SocketException {
    productionLike();
    TurnTestClient alice = client();
    TurnTestClient bob = client();
    InetSocketAddress aliceRelayed = alice.allocateOrFail();
    InetSocketAddress bobRelayed = bob.allocateOrFail();
    assertThat(server.server.policy().permitted(bobRelayed.getAddress())).as("the node's own address").isFalse();

    // Permissions for the other's relayed address are granted (they were 403 before: relay-only
    // calls between two users of one node could not connect).
    expectSuccess(alice.createPermission(bobRelayed), "Alice's permission for Bob's relayed address");
    expectSuccess(bob.createPermission(aliceRelayed), "Bob's permission for Alice's relayed address");

    alice.sendIndication(bobRelayed, "hello bob".getBytes(StandardCharsets.US_ASCII));
    Inbound atBob = bob.receive(Duration.ofSeconds(2));
    assertThat(atBob).as("Bob hears Alice").isNotNull();
    assertThat(atBob.stun().method()).isEqualTo(StunMethod.DATA);
    assertThat(Attributes.xorAddress(atBob.stun().attribute(XOR_PEER_ADDRESS), atBob.stun().transactionId()))
        .as("from Alice's relayed address, as a peer would see it").isEqualTo(aliceRelayed);
    assertThat(text(atBob.stun().attribute(DATA).value())).isEqualTo("hello bob");

    // Channels both ways: ChannelData in, ChannelData out, each with the receiver's own number.
    expectSuccess(alice.channelBind(0x4001, bobRelayed), "Alice binds a channel to Bob");
    expectSuccess(bob.channelBind(0x4abc, aliceRelayed), "Bob binds a channel to Alice");
    alice.sendChannelData(0x4001, new byte[] {1, 2, 3});
    Inbound cd = bob.receive(Duration.ofSeconds(2));
    assertThat(cd).isNotNull();
    assertThat(cd.isChannelData()).isTrue();
    assertThat(cd.channel()).isEqualTo(0x4abc);
    assertThat(cd.data()).containsExactly(1, 2, 3);
    bob.sendChannelData(0x4abc, new byte[] {9});
    Inbound back = alice.receive(Duration.ofSeconds(2));
    assertThat(back).isNotNull();
    assertThat(back.channel()).isEqualTo(0x4001);
    assertThat(back.data()).containsExactly(9);

    assertThat(server.total("parley.turn.packets.local")).isEqualTo(3);
    assertThat(server.drops("peer_refused")).isZero();
  }

  /**
   * Data for an allocation of another event loop whose client is on TCP waits for that loop (the
   * connection is that loop's), bounded as its relay socket's receive buffer would be (1 MiB):
   * with the receiving loop held up, what is beyond is dropped and counted, the rest is delivered
   * once the loop runs again.
   */
  @Test
  void dataWaitingForAnotherLoopIsBoundedByAReceiveBuffer() throws Exception {
    server = open(TurnTestServer.start(Map.of("PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "100")));
    TurnTestClient sender = client();
    sender.allocateOrFail();
    // A TCP client whose allocation lives on the other event loop (connections are spread over them).
    TurnTestClient receiver = null;
    for (int i = 0; i < 24 && receiver == null; i++) {
      TurnTestClient c = open(TurnTestClient.tcp(server));
      c.allocateOrFail();
      if (allocationOf(c, FiveTuple.Transport.TCP).loop() != allocationOf(sender).loop()) {
        receiver = c;
      }
    }
    assertThat(receiver).as("a TCP allocation on the other event loop among 24").isNotNull();
    Allocation to = allocationOf(receiver, FiveTuple.Transport.TCP);
    InetSocketAddress receiverRelayed = to.relayedAddress;
    expectSuccess(sender.channelBind(0x4000, receiverRelayed), "channel to the receiver");
    expectSuccess(receiver.createPermission(allocationOf(sender).relayedAddress), "the receiver's permission");

    int size = 1200;
    int messages = 1000;
    int fits = TurnServer.RELAY_RCVBUF / size;
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    to.loop().execute(() -> {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      for (int i = 1; i <= messages; i++) {
        sender.sendChannelData(0x4000, new byte[size]);
        if (i % 100 == 0) {
          sender.binding(); // answered once the node has read all before it: no socket overflows
        }
      }
      TurnProtocolTest.await(() -> server.drops("backpressure") == messages - fits, WAIT, "the excess dropped");
      assertThat(server.total("parley.turn.packets.local")).as("nothing delivered while the loop is held").isZero();
      assertThat(to.handedOver.get()).isEqualTo(fits * size);
    } finally {
      release.countDown();
    }
    TurnProtocolTest.await(() -> server.total("parley.turn.packets.local") == fits, WAIT, "the rest delivered");
    TurnProtocolTest.await(() -> to.handedOver.get() == 0, WAIT, "nothing left waiting");
    assertThat(receiver.receive(Duration.ofSeconds(2))).as("the receiver hears the first of them").isNotNull();
  }

  private Allocation allocationOf(TurnTestClient c) {
    return allocationOf(c, FiveTuple.Transport.UDP);
  }

  private Allocation allocationOf(TurnTestClient c, FiveTuple.Transport transport) {
    return server.server.allocation(new FiveTuple(c.localAddress(), server.address(), transport));
  }

  /** A TCP client and a UDP one: ChannelData padded towards TCP (RFC 8656 §12.5), not towards UDP. */
  @Test
  void aTcpClientAndAUdpClientRelayedToEachOther() {
    server = open(TurnTestServer.start());
    TurnTestClient tcp = open(TurnTestClient.tcp(server));
    TurnTestClient udp = client();
    InetSocketAddress tcpRelayed = tcp.allocateOrFail();
    InetSocketAddress udpRelayed = udp.allocateOrFail();
    expectSuccess(tcp.channelBind(0x4002, udpRelayed), "TCP client's channel");
    expectSuccess(udp.channelBind(0x4003, tcpRelayed), "UDP client's channel");
    tcp.sendChannelData(0x4002, new byte[] {1, 2, 3, 4, 5});
    Inbound atUdp = udp.receive(Duration.ofSeconds(2));
    assertThat(atUdp).isNotNull();
    assertThat(atUdp.channel()).isEqualTo(0x4003);
    assertThat(atUdp.raw()).as("unpadded over UDP").hasSize(4 + 5);
    assertThat(atUdp.data()).containsExactly(1, 2, 3, 4, 5);
    udp.sendChannelData(0x4003, new byte[] {6, 7, 8, 9, 10});
    Inbound atTcp = tcp.receive(Duration.ofSeconds(2));
    assertThat(atTcp).isNotNull();
    assertThat(atTcp.channel()).isEqualTo(0x4002);
    assertThat(atTcp.raw()).as("padded to 4 over TCP").hasSize(4 + 8);
    assertThat(atTcp.data()).containsExactly(6, 7, 8, 9, 10);
    assertThat(server.total("parley.turn.packets.local")).isEqualTo(2);
  }

  @Test
  void theReceiversPermissionsStillApply() throws SocketException {
    productionLike();
    TurnTestClient alice = client();
    TurnTestClient bob = client();
    InetSocketAddress aliceRelayed = alice.allocateOrFail();
    InetSocketAddress bobRelayed = bob.allocateOrFail();
    expectSuccess(alice.createPermission(bobRelayed), "Alice's permission");

    alice.sendIndication(bobRelayed, "unasked".getBytes(StandardCharsets.US_ASCII));
    assertThat(bob.receive(Duration.ofMillis(500))).as("Bob has no permission for Alice").isNull();
    assertThat(server.drops("no_permission")).isEqualTo(1);
    assertThat(aliceRelayed).isNotEqualTo(bobRelayed);
  }

  @Test
  void theNodesOwnAddressStaysUnreachableBeyondItsRelays() throws SocketException {
    InetAddress host = productionLike();
    TurnTestClient alice = client();
    TurnTestClient bob = client();
    alice.allocateOrFail();
    InetSocketAddress bobRelayed = bob.allocateOrFail();
    assertThat(bobRelayed.getAddress()).isEqualTo(host);
    // A service of the node on its own address (as a database or metadata port would be).
    Peer service = open(new Peer(host));
    expectSuccess(alice.createPermission(service.address()), "a permission for the node's address");

    alice.sendIndication(service.address(), "ssrf".getBytes(StandardCharsets.US_ASCII));
    assertThat(service.receive(Duration.ofMillis(500))).as("nothing leaves towards the node's own services").isNull();
    assertThat(server.drops("peer_refused")).isEqualTo(1);

    // Nor does a datagram from the node's own address reach an allocation through the kernel (the
    // relay socket itself is bound on loopback).
    expectSuccess(bob.createPermission(service.address()), "Bob's permission for the node's address");
    service.send(new InetSocketAddress(InetAddress.getLoopbackAddress(), bobRelayed.getPort()),
        "from a local socket".getBytes(StandardCharsets.US_ASCII));
    assertThat(bob.receive(Duration.ofMillis(500))).isNull();
    assertThat(server.drops("peer_refused")).isEqualTo(2);

    // An allocation that ended is no longer reachable: its port is just a port of the node again.
    expectSuccess(bob.refresh(0), "Bob's allocation ends");
    alice.sendIndication(bobRelayed, "late".getBytes(StandardCharsets.US_ASCII));
    alice.binding(); // answered after the indication was handled
    assertThat(server.drops("peer_refused")).isEqualTo(3);
    assertThat(server.server.localRelays().size()).isEqualTo(1);
  }

  /**
   * Many pairs, so that some have their two clients on different event loops (the kernel spreads
   * clients over the listeners' sockets; such a pair's data leaves from the sender's loop through
   * its own socket of the same port): every message arrives, in order, and none of it through the
   * kernel between relays.
   */
  @Test
  void pairsOnTwoEventLoopsKeepEveryMessageInOrder() {
    // Loopback peers allowed: the kernel path would be open too.
    server = open(TurnTestServer.start(Map.of("PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "100")));
    int pairs = 12;
    int messages = 200;
    List<TurnTestClient[]> calls = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      TurnTestClient a = client();
      TurnTestClient b = client();
      InetSocketAddress ar = a.allocateOrFail();
      InetSocketAddress br = b.allocateOrFail();
      expectSuccess(a.channelBind(0x4000, br), "channel a->b");
      expectSuccess(b.channelBind(0x4000, ar), "channel b->a");
      calls.add(new TurnTestClient[] {a, b});
    }
    assertThat(calls.stream().filter(c -> allocationOf(c[0]).loop() != allocationOf(c[1]).loop()).count())
        .as("pairs split across the two loops").isPositive();
    for (int m = 0; m < messages; m++) {
      for (TurnTestClient[] call : calls) {
        call[0].sendChannelData(0x4000, ByteBuffer.allocate(4).putInt(m).array());
      }
    }
    for (TurnTestClient[] call : calls) {
      for (int m = 0; m < messages; m++) {
        Inbound in = call[1].receive(Duration.ofSeconds(3));
        assertThat(in).as("message %d", m).isNotNull();
        assertThat(ByteBuffer.wrap(in.data()).getInt()).as("in order").isEqualTo(m);
      }
    }
    assertThat(server.total("parley.turn.packets.local")).isEqualTo((double) pairs * messages);
    assertThat(server.drops("backpressure")).isZero();
  }
}
