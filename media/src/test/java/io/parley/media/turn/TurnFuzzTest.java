package io.parley.media.turn;

import static io.parley.media.turn.TurnTestClient.expectSuccess;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.parley.core.testing.LogCapture;
import io.parley.media.turn.StunFuzzer.Seed;
import io.parley.media.turn.TurnTestClient.Inbound;
import io.parley.media.turn.TurnTestClient.Peer;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Hostile input against a real {@link TurnServer}: at least 100,000 random and mutated packets (a
 * seeded {@link StunFuzzer} over captured valid requests) over UDP and TCP, with Netty's leak
 * detector on paranoid. Afterwards the server must still answer a Binding and a full allocate and
 * relay round trip, no buffer leak may have been reported, and nothing may have been logged at
 * WARN or above by Netty or Parley (an exception that escaped a handler is logged there). A
 * separate flood of 200,000 invalid packets must not grow the heap.
 *
 * <p>Packets are paced by a window on the server's own counters (drops, relayed packets) plus the
 * responses received, so that the kernel does not simply drop most of them: the test checks that
 * at least 90% were processed. {@code -Dparley.fuzz.seed=N} replays a run; {@code
 * -Dparley.fuzz.packets} and {@code -Dparley.fuzz.flood} change the counts.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TurnFuzzTest {

  static {
    // Before Netty's first use in this JVM; @BeforeAll also sets it for a JVM where it already ran.
    System.setProperty("io.netty.leakDetection.level", "paranoid");
  }

  private static final long SEED = Long.getLong("parley.fuzz.seed", 0x7E57_5EEDL);
  private static final int FUZZ_PACKETS = Integer.getInteger("parley.fuzz.packets", 100_000);
  private static final int FLOOD_PACKETS = Integer.getInteger("parley.fuzz.flood", 200_000);
  /** Share of the fuzz packets written to TCP streams instead of UDP. */
  private static final double TCP_SHARE = 0.1;
  /** Packets in flight (sent, not yet counted by the server) before the sender waits. */
  private static final int WINDOW = 256;
  private static final int UDP_SOCKETS = 8;
  private static final long TCP_PACE_NANOS = 150_000;
  private static final long MAX_HEAP_GROWTH = 32L * 1024 * 1024;
  private static final double MIN_PROCESSED = 0.9;
  private static final String CANARY = "parley-fuzz-canary";

  private static LogCapture logs;
  private static ResourceLeakDetector.Level previousLevel;

  @BeforeAll
  static void paranoidAndListening() {
    previousLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
    assertThat(ResourceLeakDetector.isEnabled()).isTrue();
    logs = new LogCapture("io.netty", "io.parley");
    assertThat(LoggerFactory.getLogger(ResourceLeakDetector.class).isErrorEnabled())
        .as("leak reports are logged at ERROR").isTrue();
  }

  @AfterAll
  static void restore() {
    logs.close();
    ResourceLeakDetector.setLevel(previousLevel);
  }

  @BeforeEach
  void clearLogs() {
    logs.clear();
  }

  // --- the tests ---------------------------------------------------------------------------------

  @Test
  void theLeakDetectorIsParanoidAndItsReportsAreCaptured() throws Exception {
    // Proves the net below catches leaks at all: a buffer dropped without release() is reported.
    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
    leakOneBuffer();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (logs.warnings().stream().noneMatch(w -> w.contains(CANARY))) {
      assertThat(System.nanoTime() < deadline).as("the canary leak was reported").isTrue();
      System.gc();
      Thread.sleep(20);
      churn(PooledByteBufAllocator.DEFAULT);
    }
  }

  @Test
  void randomAndMutatedPacketsLeaveTheServerHealthyWithoutLeaks() throws Exception {
    try (TurnTestServer server = TurnTestServer.start(); Peer peer = new Peer()) {
      Corpus corpus = capture(server, peer);
      StunFuzzer fuzzer = new StunFuzzer(SEED, corpus.seeds, corpus.aliceKey, corpus.nonce, TurnTestServer.REALM);
      int tcpPackets = (int) (FUZZ_PACKETS * TCP_SHARE);
      int udpPackets = FUZZ_PACKETS - tcpPackets;
      long started = System.nanoTime();

      Flood udp;
      long udpProcessed;
      try (Flood f = new Flood(server)) {
        f.send(udpPackets, fuzzer::next);
        udpProcessed = f.processed();
        udp = f;
      }
      TcpResult tcp = tcpFuzz(server, tcpPackets, fuzzer, corpus);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      System.out.printf("fuzz seed %#x: %d UDP packets (%d processed, %d responses, %d stalls), %d TCP frames "
              + "(%d connections closed by the server), %d ms; drops %s; allocations %d%n",
          SEED, udp.sent, udpProcessed, udp.responses, udp.stalls, tcp.frames, tcp.closedByServer, millis,
          dropsByReason(server), server.server.allocations());

      assertThat(udp.sent + tcp.frames).isGreaterThanOrEqualTo(FUZZ_PACKETS);
      assertThat((double) udpProcessed / udp.sent).as("share of UDP packets the server processed")
          .isGreaterThanOrEqualTo(MIN_PROCESSED);
      assertThat(server.drops("malformed")).as("malformed input was seen and counted").isGreaterThan(udpPackets / 10);
      assertThat(tcp.closedByServer).as("broken framing closes streams").isGreaterThan(tcpPackets / 100);
      assertThat(server.server.allocations()).as("quotas bound what the fuzz could allocate").isLessThanOrEqualTo(40);
      assertHealthy(server);
      assertNoLeaksNorWarnings();
    }
  }

  @Test
  void aFloodOfInvalidPacketsDoesNotGrowTheHeap() throws Exception {
    try (TurnTestServer server = TurnTestServer.start(); Peer peer = new Peer()) {
      Corpus corpus = capture(server, peer);
      StunFuzzer fuzzer = new StunFuzzer(SEED ^ 0x5A5A, corpus.seeds, corpus.aliceKey, corpus.nonce,
          TurnTestServer.REALM);
      // Pre-generate, so that the heap measured holds the server's state, not the generator's.
      byte[][] packets = new byte[4096][];
      for (int i = 0; i < packets.length; i++) {
        packets[i] = fuzzer.invalid();
      }
      int[] next = {0};
      Supplier<byte[]> invalid = () -> packets[next[0]++ & (packets.length - 1)];

      try (Flood flood = new Flood(server)) {
        flood.send(20_000, invalid); // warm-up: pools, JIT, leak detector state
        long before = usedHeapAfterGc();
        double malformedBefore = server.drops("malformed");
        long sentBefore = flood.sent;
        flood.send(FLOOD_PACKETS, invalid);
        long after = usedHeapAfterGc();
        double processed = server.drops("malformed") - malformedBefore;
        long sent = flood.sent - sentBefore;
        System.out.printf("flood: %d invalid packets, %.0f counted malformed, %d responses, heap %d -> %d KiB "
            + "(%+d KiB)%n", sent, processed, flood.responses, before / 1024, after / 1024, (after - before) / 1024);

        assertThat(sent).isEqualTo(FLOOD_PACKETS);
        assertThat(processed / sent).as("share of the flood the server processed").isGreaterThanOrEqualTo(MIN_PROCESSED);
        assertThat(flood.responses).as("invalid packets are never answered").isZero();
        assertThat(after - before).as("heap growth over the flood, bytes").isLessThan(MAX_HEAP_GROWTH);
      }
      assertHealthy(server);
      assertNoLeaksNorWarnings();
    }
  }

  // --- corpus ------------------------------------------------------------------------------------

  /** Valid requests (and a few responses) captured from real sessions, with the keys that signed them. */
  private record Corpus(List<Seed> seeds, byte[] aliceKey, String nonce) {}

  private static Corpus capture(TurnTestServer server, Peer peer) {
    List<Seed> seeds = new ArrayList<>();
    byte[] data = "captured payload".getBytes(StandardCharsets.US_ASCII);
    byte[] aliceKey;
    String nonce;
    try (TurnTestClient alice = TurnTestClient.udp(server)) {
      List<StunMessage> responses = new ArrayList<>();
      responses.add(alice.binding());
      alice.fingerprint(true);
      responses.add(alice.binding());
      alice.fingerprint(false);
      alice.allocateOrFail();
      responses.add(expectSuccess(alice.createPermission(peer.address()), "CreatePermission"));
      responses.add(expectSuccess(alice.channelBind(0x4000, peer.address()), "ChannelBind"));
      alice.sendIndication(peer.address(), data);
      alice.sendChannelData(0x4000, data);
      alice.fingerprint(true);
      responses.add(expectSuccess(alice.refresh(700), "Refresh"));
      responses.add(expectSuccess(alice.createPermission(peer.address(), new InetSocketAddress("127.0.0.2", 9)),
          "CreatePermission"));
      responses.add(alice.refresh(0));
      aliceKey = alice.key();
      nonce = alice.nonce();
      for (byte[] b : alice.sent()) {
        seeds.add(new Seed(b, aliceKey));
      }
      for (StunMessage r : responses) {
        seeds.add(new Seed(r.raw(), null));
      }
    }
    try (TurnTestClient rest = TurnTestClient.udp(server)
        .credentials(TurnTestServer.rest("fuzz-user", "call-fuzz", Duration.ofHours(1))).fingerprint(true)) {
      rest.allocateOrFail();
      expectSuccess(rest.channelBind(0x4001, peer.address()), "ChannelBind");
      rest.sendChannelData(0x4001, data);
      for (byte[] b : rest.sent()) {
        seeds.add(new Seed(b, rest.key()));
      }
    }
    try (TurnTestClient tcp = TurnTestClient.tcp(server)) {
      tcp.allocateOrFail();
      expectSuccess(tcp.channelBind(0x4002, peer.address()), "ChannelBind");
      tcp.sendChannelData(0x4002, new byte[] {1, 2, 3, 4, 5}); // padded
      for (byte[] b : tcp.sent()) {
        seeds.add(new Seed(b, tcp.key()));
      }
    }
    peer.drain();
    return new Corpus(seeds, aliceKey, nonce);
  }

  // --- UDP ---------------------------------------------------------------------------------------

  /**
   * Sends packets over UDP from several sockets (several 5-tuples, both server sockets) and keeps
   * at most {@link #WINDOW} unprocessed: processed = the server's drops (except peer_refused,
   * which is also answered), plus packets it relayed to peers, plus responses received.
   */
  private static final class Flood implements AutoCloseable {
    private final InetSocketAddress target;
    private final List<DatagramChannel> channels = new ArrayList<>();
    private final List<Counter> counters = new ArrayList<>();
    private final ByteBuffer receive = ByteBuffer.allocate(65_536);
    private final double base;
    long sent;
    long responses;
    long stalls;

    Flood(TurnTestServer server) throws IOException {
      target = server.address();
      for (int i = 0; i < UDP_SOCKETS; i++) {
        DatagramChannel ch = DatagramChannel.open();
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 * 1024 * 1024);
        ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ch.configureBlocking(false);
        channels.add(ch);
      }
      for (Counter c : server.registry.find("parley.turn.drops").counters()) {
        if (!"peer_refused".equals(c.getId().getTag("reason"))) {
          counters.add(c);
        }
      }
      counters.add(server.registry.get("parley.turn.packets").tag("direction", "client_to_peer").counter());
      base = counted();
    }

    private double counted() {
      double sum = 0;
      for (Counter c : counters) {
        sum += c.count();
      }
      return sum;
    }

    long processed() {
      return (long) (counted() - base) + responses;
    }

    void send(int packets, Supplier<byte[]> source) throws IOException {
      for (int i = 0; i < packets; i++) {
        ByteBuffer p = ByteBuffer.wrap(source.get());
        DatagramChannel ch = channels.get((int) (sent % channels.size()));
        // send() returns the bytes sent, 0 for an empty datagram too: only a datagram still unsent
        // means the socket buffer was full.
        while (ch.send(p, target) == 0 && p.hasRemaining()) {
          drain();
          LockSupport.parkNanos(20_000);
        }
        sent++;
        if ((sent & 15) == 0) {
          drain();
        }
        pace();
      }
      settle();
    }

    private void pace() throws IOException {
      long last = processed();
      long lastProgress = System.nanoTime();
      while (sent - processed() > WINDOW) {
        drain();
        LockSupport.parkNanos(200_000); // sleep rather than spin: the server needs the CPU
        long now = processed();
        if (now != last) {
          last = now;
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(1)) {
          stalls++; // lost in the kernel, or still queued: move on, the share check will tell
          return;
        }
      }
    }

    /** Waits (bounded) until every packet is accounted for or nothing moves for 300 ms. */
    private void settle() throws IOException {
      long last = -1;
      long lastProgress = System.nanoTime();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (processed() < sent && System.nanoTime() < deadline) {
        drain();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        long now = processed();
        if (now != last) {
          last = now;
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > TimeUnit.MILLISECONDS.toNanos(300)) {
          return;
        }
      }
    }

    private void drain() throws IOException {
      for (DatagramChannel ch : channels) {
        while (true) {
          receive.clear();
          if (ch.receive(receive) == null) {
            break;
          }
          responses++;
        }
      }
    }

    @Override
    public void close() throws IOException {
      for (DatagramChannel ch : channels) {
        ch.close();
      }
    }
  }

  // --- TCP ---------------------------------------------------------------------------------------

  private record TcpResult(long frames, long closedByServer) {}

  /**
   * Writes fuzz frames on TCP streams, a fifth of them valid captured messages so that streams also
   * carry well-framed traffic; when the server closes a stream (broken framing), reconnects.
   */
  private static TcpResult tcpFuzz(TurnTestServer server, int frames, StunFuzzer fuzzer, Corpus corpus)
      throws IOException {
    ByteBuffer sink = ByteBuffer.allocate(65_536);
    long closed = 0;
    SocketChannel ch = connect(server);
    java.util.SplittableRandom pick = new java.util.SplittableRandom(SEED + 1);
    for (int i = 0; i < frames; i++) {
      byte[] frame = pick.nextInt(5) == 0 ? corpus.seeds.get(pick.nextInt(corpus.seeds.size())).bytes() : fuzzer.next();
      ByteBuffer out = ByteBuffer.wrap(frame);
      boolean open = true;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      try {
        while (out.hasRemaining() && open) {
          if (ch.write(out) == 0) {
            LockSupport.parkNanos(50_000);
            if (System.nanoTime() > deadline) {
              open = false; // the server stopped reading this stream: start another
            }
          }
          open &= drain(ch, sink);
        }
        // Paced: written faster than the server reads, most frames would land after a framing
        // error and be discarded with the stream instead of being decoded.
        LockSupport.parkNanos(TCP_PACE_NANOS);
        open &= drain(ch, sink);
      } catch (IOException e) {
        open = false; // reset by the server
      }
      if (!open) {
        closed++;
        ch.close();
        ch = connect(server);
      }
    }
    ch.close();
    return new TcpResult(frames, closed);
  }

  private static SocketChannel connect(TurnTestServer server) throws IOException {
    SocketChannel ch = SocketChannel.open(server.address());
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    ch.configureBlocking(false);
    return ch;
  }

  /** Reads and discards what the server sent; false once the server has closed the stream. */
  private static boolean drain(SocketChannel ch, ByteBuffer sink) throws IOException {
    while (true) {
      sink.clear();
      int n = ch.read(sink);
      if (n < 0) {
        return false;
      }
      if (n == 0) {
        return true;
      }
    }
  }

  // --- checks ------------------------------------------------------------------------------------

  /** A Binding over UDP and TCP, and a full allocate/relay round trip both ways. */
  private static void assertHealthy(TurnTestServer server) {
    try (TurnTestClient c = TurnTestClient.udp(server).credentials(TurnTestServer.rest("after-fuzz", null,
        Duration.ofHours(1))); TurnTestClient tcp = TurnTestClient.tcp(server); Peer peer = new Peer()) {
      expectSuccess(c.binding(), "Binding after the fuzz");
      expectSuccess(tcp.binding(), "Binding over TCP after the fuzz");
      InetSocketAddress relayed = c.allocateOrFail();
      expectSuccess(c.createPermission(peer.address()), "CreatePermission");
      c.sendIndication(peer.address(), new byte[] {1, 2, 3});
      DatagramPacket atPeer = peer.receive(Duration.ofSeconds(2));
      assertThat(atPeer).as("Send indication relayed").isNotNull();
      assertThat(atPeer.getData()).containsExactly(1, 2, 3);
      peer.send(relayed, new byte[] {4, 5});
      Inbound data = c.receive(Duration.ofSeconds(2));
      assertThat(data).as("Data indication").isNotNull();
      assertThat(data.stun().method()).isEqualTo(StunMethod.DATA);
      assertThat(data.stun().cls()).isEqualTo(StunClass.INDICATION);
      expectSuccess(c.channelBind(0x4000, peer.address()), "ChannelBind");
      c.sendChannelData(0x4000, new byte[] {6});
      assertThat(peer.receive(Duration.ofSeconds(2)).getData()).containsExactly(6);
      peer.send(relayed, new byte[] {7});
      Inbound cd = c.receive(Duration.ofSeconds(2));
      assertThat(cd).isNotNull();
      assertThat(cd.data()).containsExactly(7);
    }
  }

  /** No leak report (but the canary's), and nothing at WARN or above from Netty or Parley. */
  private static void assertNoLeaksNorWarnings() throws InterruptedException {
    // Leaks are reported when the leak detector polls its queue: on allocations after a GC.
    for (int round = 0; round < 3; round++) {
      System.gc();
      Thread.sleep(50);
      churn(PooledByteBufAllocator.DEFAULT);
      churn(ByteBufAllocator.DEFAULT);
    }
    List<String> bad = logs.warnings().stream().filter(w -> !w.contains(CANARY)).toList();
    assertThat(bad).as("leak reports, escaped exceptions and warnings").isEmpty();
  }

  private static void leakOneBuffer() {
    ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(16);
    leaked.writeInt(42);
    leaked.touch(CANARY);
    // dropped here without release()
  }

  private static void churn(ByteBufAllocator alloc) {
    for (int i = 0; i < 500; i++) {
      alloc.directBuffer(32).release();
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static String dropsByReason(TurnTestServer server) {
    StringBuilder sb = new StringBuilder("{");
    for (Counter c : server.registry.find("parley.turn.drops").counters()) {
      if (c.count() > 0) {
        sb.append(sb.length() > 1 ? ", " : "").append(c.getId().getTag("reason")).append('=')
            .append((long) c.count());
      }
    }
    return sb.append('}').toString();
  }
}
