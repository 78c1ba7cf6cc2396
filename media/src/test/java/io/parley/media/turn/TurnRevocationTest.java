package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.code;
import static io.parley.media.turn.codec.StunAttributeType.DATA;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.media.turn.TurnTestClient.Inbound;
import io.parley.media.turn.TurnTestClient.Peer;
import io.parley.media.turn.codec.StunMethod;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Revocation ({@link TurnServer#revokeTag}, {@link TurnServer#revokeUser}) against live relays: a
 * peer streams a packet every 5 ms to each allocation, and the test measures when the last packet
 * of a revoked allocation reaches its client. Packets carry the peer's send time, so lateness is
 * measured both at the client and at the source.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TurnRevocationTest {

  /** The bound the issue sets: a revoked relay stops within 100 ms. */
  private static final long STOP_WITHIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long PACKET_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final Duration HOUR = Duration.ofHours(1);

  private final List<AutoCloseable> open = new ArrayList<>();
  private TurnTestServer server;

  @BeforeEach
  void start() {
    server = TurnTestServer.start();
    open.add(server);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  /**
   * One allocation with a peer streaming to it. Over UDP without a channel the data arrives as Data
   * indications; with a channel (or over TCP) as ChannelData.
   */
  private final class Relay implements AutoCloseable {
    final TurnTestClient client;
    final Peer peer = new Peer();
    final InetSocketAddress relayed;
    /** {peer send time, client arrival time} of every packet received. */
    final ConcurrentLinkedQueue<long[]> arrivals = new ConcurrentLinkedQueue<>();
    private volatile boolean sending;
    private volatile boolean reading;
    private Thread sender;
    private Thread reader;

    Relay(String[] credentials, boolean tcp, boolean channel) {
      client = (tcp ? TurnTestClient.tcp(server) : TurnTestClient.udp(server)).credentials(credentials);
      open.add(this);
      relayed = client.allocateOrFail();
      if (channel) {
        TurnTestClient.expectSuccess(client.channelBind(0x4000, peer.address()), "ChannelBind");
      } else {
        TurnTestClient.expectSuccess(client.createPermission(peer.address()), "CreatePermission");
      }
    }

    void startStreaming() {
      sending = true;
      reading = true;
      sender = Thread.ofPlatform().daemon().name("peer-" + relayed.getPort()).start(() -> {
        long next = System.nanoTime();
        for (long seq = 0; sending; seq++) {
          peer.send(relayed, ByteBuffer.allocate(16).putLong(seq).putLong(System.nanoTime()).array());
          next += PACKET_INTERVAL_NANOS;
          LockSupport.parkNanos(next - System.nanoTime());
        }
      });
      reader = Thread.ofPlatform().daemon().name("client-" + relayed.getPort()).start(() -> {
        try {
          while (reading) {
            Inbound in = client.receive(Duration.ofMillis(20));
            long now = System.nanoTime();
            if (in == null) {
              continue;
            }
            byte[] data = in.isChannelData() ? in.data()
                : in.stun().method() == StunMethod.DATA ? in.stun().attribute(DATA).value() : null;
            if (data != null && data.length == 16) {
              arrivals.add(new long[] {ByteBuffer.wrap(data).getLong(8), now});
            }
          }
        } catch (UncheckedIOException e) {
          // The TCP connection closed: nothing more will arrive.
        }
      });
    }

    /** Stops both threads (bounded), so that the test may use the client again. */
    void stopStreaming() throws InterruptedException {
      sending = false;
      reading = false;
      if (sender != null) {
        sender.join(2000);
        reader.join(2000);
        assertThat(sender.isAlive() || reader.isAlive()).as("stream threads stopped").isFalse();
      }
    }

    long receivedAfter(long nanos) {
      return arrivals.stream().filter(a -> a[1] - nanos > 0).count();
    }

    long lastArrival() {
      return arrivals.stream().mapToLong(a -> a[1]).max().orElse(Long.MIN_VALUE);
    }

    /** Packets the peer sent after {@code nanos} that still reached the client. */
    long sentAfterAndDelivered(long nanos) {
      return arrivals.stream().filter(a -> a[0] - nanos > 0).count();
    }

    void awaitPackets(int n) throws InterruptedException {
      await(() -> arrivals.size() >= n, Duration.ofSeconds(3), n + " packets relayed to " + client.username());
    }

    @Override
    public void close() {
      try {
        stopStreaming();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        client.close();
        peer.close();
      }
    }
  }

  private static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + max + ": " + what);
      }
      Thread.sleep(2);
    }
  }

  /** Asserts that {@code r} got packets before {@code revokedAt} and none later than 100 ms after it. */
  private static void assertStopped(Relay r, long revokedAt) {
    assertThat(r.arrivals).as("packets before the revocation").isNotEmpty();
    long lastMillis = TimeUnit.NANOSECONDS.toMillis(r.lastArrival() - revokedAt);
    assertThat(r.receivedAfter(revokedAt + STOP_WITHIN_NANOS))
        .as("packets reaching %s more than 100 ms after the revocation (last at %+d ms)", r.client.username(),
            lastMillis)
        .isZero();
    assertThat(r.sentAfterAndDelivered(revokedAt + STOP_WITHIN_NANOS))
        .as("packets sent by the peer 100 ms after the revocation and still relayed").isZero();
    System.out.printf("revocation: last packet to %s arrived %+d ms after the call (%d packets before)%n",
        r.client.username(), lastMillis, r.arrivals.size());
  }

  @Test
  void revokeTagStopsTheCallsRelayAtOnceAndRefusesItsCredentials() throws Exception {
    String[] call42 = TurnTestServer.rest("user1", "call-42", HOUR);
    Relay revoked = new Relay(call42, false, false); // Data indications
    Relay revokedChannel = new Relay(TurnTestServer.rest("user9", "call-42", HOUR), false, true); // ChannelData
    Relay other = new Relay(TurnTestServer.rest("user2", "call-7", HOUR), false, true);
    Relay sameUserOtherCall = new Relay(TurnTestServer.rest("user1", "call-43", HOUR), false, false);
    List<Relay> all = List.of(revoked, revokedChannel, other, sameUserOtherCall);
    for (Relay r : all) {
      r.startStreaming();
    }
    for (Relay r : all) {
      r.awaitPackets(20);
    }
    assertThat(server.server.allocations()).isEqualTo(4);

    long revokedAt = System.nanoTime();
    int ended = server.server.revokeTag("call-42", Instant.now().plusSeconds(60));
    assertThat(ended).isEqualTo(2);
    await(() -> server.server.allocations() == 2, Duration.ofMillis(100), "allocation count drops to 2");
    Thread.sleep(500); // the peers keep streaming all along
    for (Relay r : all) {
      r.stopStreaming();
    }

    assertStopped(revoked, revokedAt);
    assertStopped(revokedChannel, revokedAt);
    long afterWindow = revokedAt + TimeUnit.MILLISECONDS.toNanos(300);
    assertThat(other.receivedAfter(afterWindow)).as("another call's relay is unaffected").isGreaterThan(20);
    assertThat(sameUserOtherCall.receivedAfter(afterWindow)).as("the same user's other call is unaffected")
        .isGreaterThan(20);
    assertThat(server.counter("parley.turn.packets", "direction", "peer_to_client")).isPositive();

    // The revoked credentials are refused from then on, on the old 5-tuple and from anywhere else.
    revoked.client.drain(Duration.ofMillis(50));
    assertThat(code(revoked.client.refresh(600))).as("Refresh with the revoked credentials").isEqualTo(403);
    assertThat(code(revoked.client.createPermission(revoked.peer.address()))).isEqualTo(403);
    // With fresh credentials on the same 5-tuple, the allocation is simply gone.
    revoked.client.credentials(TurnTestServer.rest("user1", "call-44", HOUR));
    assertThat(code(revoked.client.refresh(600))).as("Refresh: the allocation is gone").isEqualTo(437);
    try (TurnTestClient again = TurnTestClient.udp(server).credentials(call42)) {
      assertThat(code(again.allocate())).as("new Allocate with the revoked credentials").isEqualTo(403);
    }
    assertThat(server.counter("parley.turn.auth.failures", "reason", "revoked")).isGreaterThanOrEqualTo(3);
    // The same user under another tag still allocates.
    try (TurnTestClient fresh = TurnTestClient.udp(server).credentials(TurnTestServer.rest("user1", "call-45", HOUR))) {
      fresh.allocateOrFail();
    }
    // And the survivors still relay, now that the revocation is over.
    TurnTestClient.expectSuccess(other.client.refresh(600), "Refresh of the other call");
  }

  @Test
  void revokeUserEndsEveryAllocationOfTheUserOverUdpAndTcp() throws Exception {
    Relay udp = new Relay(TurnTestServer.rest("user3", "call-1", HOUR), false, true);
    Relay tcp = new Relay(TurnTestServer.rest("user3", "call-2", HOUR), true, true);
    Relay staticUser = new Relay(new String[] {TurnTestServer.USER, TurnTestServer.PASSWORD}, false, false);
    Relay other = new Relay(TurnTestServer.rest("user4", "call-2", HOUR), false, true);
    List<Relay> all = List.of(udp, tcp, staticUser, other);
    for (Relay r : all) {
      r.startStreaming();
    }
    for (Relay r : all) {
      r.awaitPackets(20);
    }

    long revokedAt = System.nanoTime();
    assertThat(server.server.revokeUser("user3", Instant.now().plusSeconds(60))).isEqualTo(2);
    assertThat(server.server.revokeUser(TurnTestServer.USER, Instant.now().plusSeconds(60))).isEqualTo(1);
    await(() -> server.server.allocations() == 1, Duration.ofMillis(100), "allocation count drops to 1");
    Thread.sleep(500);
    for (Relay r : all) {
      r.stopStreaming();
    }

    assertStopped(udp, revokedAt);
    assertStopped(tcp, revokedAt);
    assertStopped(staticUser, revokedAt);
    assertThat(other.receivedAfter(revokedAt + TimeUnit.MILLISECONDS.toNanos(300))).isGreaterThan(20);

    udp.client.drain(Duration.ofMillis(50));
    assertThat(code(udp.client.refresh(600))).isEqualTo(403);
    tcp.client.drain(Duration.ofMillis(50));
    assertThat(code(tcp.client.refresh(600))).as("the TCP connection stays, its allocation does not")
        .isEqualTo(403);
    tcp.client.credentials(TurnTestServer.rest("user5", null, HOUR));
    assertThat(code(tcp.client.refresh(600))).isEqualTo(437);
    // Every credential of the user is refused, whatever its tag or expiry.
    for (String[] creds : List.of(TurnTestServer.rest("user3", null, HOUR), TurnTestServer.rest("user3", "x", HOUR),
        new String[] {TurnTestServer.USER, TurnTestServer.PASSWORD})) {
      try (TurnTestClient c = TurnTestClient.udp(server).credentials(creds)) {
        assertThat(code(c.allocate())).as("Allocate as %s", creds[0]).isEqualTo(403);
      }
    }
    try (TurnTestClient c = TurnTestClient.udp(server).credentials(TurnTestServer.rest("user4", null, HOUR))) {
      c.allocateOrFail();
    }
  }

  @Test
  void anAllocateRacingARevocationNeverOutlivesIt() throws Exception {
    java.util.SplittableRandom random = new java.util.SplittableRandom(42);
    int succeeded = 0;
    int refused = 0;
    for (int i = 0; i < 300; i++) {
      String tag = "race-" + i;
      try (TurnTestClient c = TurnTestClient.udp(server).credentials(TurnTestServer.rest("racer", tag, HOUR))) {
        c.challenge(StunMethod.ALLOCATE, List.of());
        byte[] tx = io.parley.media.turn.codec.StunMessage.newTransactionId();
        byte[] allocate = c.encodeSigned(StunMethod.ALLOCATE, tx,
            List.of(io.parley.media.turn.codec.Attributes.requestedTransport(17)));
        long delay = random.nextLong(0, 300_000);
        c.write(allocate);
        long until = System.nanoTime() + delay;
        while (System.nanoTime() - until < 0) {
          Thread.onSpinWait();
        }
        server.server.revokeTag(tag, Instant.now().plusSeconds(60));
        Inbound answer = c.receive(Duration.ofSeconds(3));
        assertThat(answer).isNotNull();
        if (code(answer.stun()) == 0) {
          succeeded++;
        } else {
          assertThat(code(answer.stun())).isEqualTo(403);
          refused++;
        }
        await(() -> server.server.allocations() == 0, Duration.ofMillis(500),
            "the allocation of " + tag + " (answered " + code(answer.stun()) + ") ended");
      }
    }
    assertThat(succeeded + refused).isEqualTo(300);
  }

  @Test
  void aRevocationEndsAtItsDeadline() throws Exception {
    String[] creds = TurnTestServer.rest("user6", "call-9", HOUR);
    try (TurnTestClient c = TurnTestClient.udp(server).credentials(creds)) {
      c.allocateOrFail();
      assertThat(server.server.revokeTag("call-9", Instant.now().plusMillis(300))).isEqualTo(1);
      await(() -> server.server.allocations() == 0, Duration.ofMillis(100), "allocation ended");
      try (TurnTestClient refused = TurnTestClient.udp(server).credentials(creds)) {
        assertThat(code(refused.allocate())).isEqualTo(403);
      }
      server.clock.advance(Duration.ofMillis(400));
      try (TurnTestClient later = TurnTestClient.udp(server).credentials(creds)) {
        later.allocateOrFail();
      }
    }
  }

  @Test
  void revokingNothingEndsNothing() throws Exception {
    try (Relay r = new Relay(TurnTestServer.rest("user7", "call-1", HOUR), false, true)) {
      assertThat(server.server.revokeTag("call-unknown", Instant.now().plusSeconds(60))).isZero();
      assertThat(server.server.revokeUser("nobody", Instant.now().plusSeconds(60))).isZero();
      assertThat(server.server.revokeTag("call", Instant.now().plusSeconds(60))).as("no prefix match").isZero();
      assertThat(server.server.allocations()).isEqualTo(1);
      r.startStreaming();
      r.awaitPackets(5);
    }
  }
}
