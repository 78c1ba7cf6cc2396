package io.parley.media.turn.bench;

import static io.parley.media.turn.codec.StunAttributeType.NONCE;
import static io.parley.media.turn.codec.StunAttributeType.REALM;
import static io.parley.media.turn.codec.StunAttributeType.USERNAME;
import static io.parley.media.turn.codec.StunAttributeType.XOR_PEER_ADDRESS;
import static io.parley.media.turn.codec.StunAttributeType.XOR_RELAYED_ADDRESS;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.ChannelData;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunAttribute;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunDecoder;
import io.parley.media.turn.codec.StunEncoder;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The saturated load of {@code ./parley bench turn}: TURN clients in pairs, each relayed to its
 * partner's relayed address through channels (as {@code turnutils_uclient -y}), sending 170-byte
 * ChannelData as fast as the server relays it, for a fixed time. Not a test: a plain main.
 *
 * <p>coturn's {@code turnutils_uclient} spends several times a server's CPU per message (a system
 * call per datagram each way, on one thread), so on a small machine it, not the server, sets the
 * pace. This generator is cheap per message so that the server does: each client sends a batch of
 * {@link #BATCH} messages in one UDP GSO send (the server still receives them as separate
 * datagrams: its listener takes no GRO), keeping {@link #WINDOW} batches in flight: a batch goes
 * whenever its partner has received a batch's worth; when nothing arrives for
 * {@link #BATCH_TIMEOUT_MS}, what is in flight is counted lost and the window starts again.
 * Receives with {@code recvmmsg}.
 * Each pair lives on one of THREADS event loop threads (one per core by default): on a small
 * machine the generator and the server share the cores, and whichever spends less CPU per message
 * leaves more of them to relaying.
 *
 * <p>Usage: {@code TurnFlood HOST PORT USER PASSWORD PAIRS WARMUP_S SECONDS [THREADS]}. Prints one line per
 * second and at the end {@code flood: received R msgs in S s (M msgs/s), busiest second B, lost L}.
 */
public final class TurnFlood {

  static final int PAYLOAD = 170;
  static final int BATCH = 32;
  /** Batches a client keeps in flight. */
  static final int WINDOW = 4;
  static final long BATCH_TIMEOUT_MS = 20;
  static final int CHANNEL = 0x4000;
  private static final long TRANSACTION_TIMEOUT_MS = 2000;

  private final InetSocketAddress server;
  private final String user;
  private final String password;
  private final EventLoopGroup group;
  private final List<io.netty.channel.EventLoop> loops = new ArrayList<>();
  private final List<Client> clients = new ArrayList<>();
  private final boolean gso = SegmentedDatagramPacket.isSupported();
  private volatile long startNanos;
  private volatile boolean running;

  private TurnFlood(InetSocketAddress server, String user, String password, int threads) {
    this.server = server;
    this.user = user;
    this.password = password;
    this.group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
    for (int i = 0; i < threads; i++) {
      loops.add(group.next());
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 7 && args.length != 8) {
      System.err.println("usage: TurnFlood HOST PORT USER PASSWORD PAIRS WARMUP_S SECONDS [THREADS]");
      System.exit(2);
    }
    int threads = args.length == 8 ? Integer.parseInt(args[7]) : Runtime.getRuntime().availableProcessors();
    TurnFlood flood = new TurnFlood(new InetSocketAddress(args[0], Integer.parseInt(args[1])), args[2], args[3],
        threads);
    try {
      flood.run(Integer.parseInt(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]));
    } finally {
      flood.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  private void run(int pairs, int warmupSeconds, int seconds) throws Exception {
    for (int i = 0; i < 2 * pairs; i++) {
      clients.add(new Client(loops.get(i / 2 % loops.size()))); // both of a pair on one loop
    }
    for (Client c : clients) {
      c.relayed = c.allocate();
    }
    for (int i = 0; i < clients.size(); i += 2) {
      Client a = clients.get(i);
      Client b = clients.get(i + 1);
      a.partner = b;
      b.partner = a;
      a.channelBind(b.relayed);
      b.channelBind(a.relayed);
    }
    startNanos = System.nanoTime();
    running = true;
    for (io.netty.channel.EventLoop loop : loops) {
      loop.submit(() -> {
        for (Client c : clients) {
          if (c.loop == loop) {
            c.fill();
          }
        }
        loop.scheduleAtFixedRate(() -> expireBatches(loop), BATCH_TIMEOUT_MS, BATCH_TIMEOUT_MS / 2,
            TimeUnit.MILLISECONDS);
      }).get();
    }
    int total = warmupSeconds + seconds;
    for (int s = 1; s <= total; s++) {
      Thread.sleep(Math.max(0, startNanos / 1_000_000 + s * 1000L - System.nanoTime() / 1_000_000));
      System.out.printf("second %d: %d msgs%s%n", s, receivedIn(s - 1), s <= warmupSeconds ? " (warm-up)" : "");
    }
    running = false;
    for (io.netty.channel.EventLoop loop : loops) {
      loop.submit(() -> { }).get(); // what each loop counted is visible from here on
    }
    long received = 0;
    long busiest = 0;
    long lost = 0;
    for (int s = warmupSeconds; s < total; s++) {
      received += receivedIn(s);
      busiest = Math.max(busiest, receivedIn(s));
    }
    long sentAll = 0;
    long receivedAll = 0;
    long outOfOrder = 0;
    for (Client c : clients) {
      lost += c.lost;
      sentAll += c.sent;
      receivedAll += c.received;
      outOfOrder += c.outOfOrder;
    }
    System.out.printf("flood: sent %d, received %d, out of order or repeated %d%n", sentAll, receivedAll, outOfOrder);
    if (receivedAll > sentAll) {
      throw new IllegalStateException("received " + receivedAll + " messages, more than the " + sentAll + " sent");
    }
    System.out.printf("flood: received %d msgs in %d s (%d msgs/s), busiest second %d, lost %d%n", received, seconds,
        received / seconds, busiest, lost);
    for (Client c : clients) {
      c.release();
    }
  }

  /** Messages all clients received in second {@code s} of the flood (while it runs: about). */
  private long receivedIn(int s) {
    long n = 0;
    for (Client c : clients) {
      n += c.perSecond[s];
    }
    return n;
  }

  /**
   * Clients of {@code loop} whose partner received nothing for the timeout: what is in flight is
   * lost, the window starts again.
   */
  private void expireBatches(io.netty.channel.EventLoop loop) {
    if (!running) {
      return;
    }
    long now = System.nanoTime();
    for (Client c : clients) {
      if (c.loop == loop && c.outstanding > 0
          && now - c.progressAt > TimeUnit.MILLISECONDS.toNanos(BATCH_TIMEOUT_MS)) {
        c.lost += c.outstanding;
        c.outstanding = 0;
        c.fill();
      }
    }
  }

  /** One TURN client: its socket, allocation and partner. */
  private final class Client extends SimpleChannelInboundHandler<DatagramPacket> {
    final Channel channel;
    final Map<String, CompletableFuture<StunMessage>> transactions = new ConcurrentHashMap<>();
    InetSocketAddress relayed;
    Client partner;
    String realm;
    String nonce;
    byte[] key;
    final io.netty.channel.EventLoop loop;
    /** Messages it received per second of the flood; on its loop. */
    final long[] perSecond = new long[3600];
    /** Its messages counted lost; on its loop. */
    long lost;
    /** Messages it sent and messages it received, over the whole flood; on its loop. */
    long sent;
    long received;
    /** The sequence number of its last message sent, and of the last one received from its partner. */
    long sequence;
    long lastReceived;
    /** Messages from its partner that were not newer than the last one: duplicates or reordered. */
    long outOfOrder;
    /** Messages sent that its partner has not received yet; on the loop. */
    int outstanding;
    /** When its partner last received one of its messages (or it last filled its window). */
    long progressAt;

    Client(io.netty.channel.EventLoop loop) throws InterruptedException {
      super(true);
      this.loop = loop;
      channel = new Bootstrap().group(loop).channel(EpollDatagramChannel.class)
          .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
          .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
          .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 2048)
          .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(2048 * 16).maxMessagesPerRead(64))
          .handler(this)
          .bind(new InetSocketAddress(server.getAddress(), 0)).sync().channel();
    }

    InetSocketAddress allocate() throws Exception {
      List<StunAttribute> attrs = List.of(Attributes.requestedTransport(Attributes.PROTOCOL_UDP));
      StunMessage challenge = transact(StunMessage.request(StunMethod.ALLOCATE, StunMessage.newTransactionId(), attrs),
          null);
      realm = Attributes.string(challenge.attribute(REALM));
      nonce = Attributes.string(challenge.attribute(NONCE));
      key = MessageIntegrity.longTermKey(user, realm, password);
      StunMessage ok = signed(StunMethod.ALLOCATE, tx -> attrs);
      return Attributes.xorAddress(ok.attribute(XOR_RELAYED_ADDRESS), ok.transactionId());
    }

    /** Ends the allocation (Refresh with LIFETIME 0, RFC 8656 §7.3) and closes the socket. */
    void release() {
      try {
        signed(StunMethod.REFRESH, tx -> List.of(Attributes.lifetime(0)));
      } catch (Exception e) {
        System.err.println("flood: an allocation was not released: " + e.getMessage());
      }
      channel.close().awaitUninterruptibly();
    }

    void channelBind(InetSocketAddress peer) throws Exception {
      signed(StunMethod.CHANNEL_BIND, tx -> List.of(Attributes.channelNumber(CHANNEL),
          Attributes.xorAddress(XOR_PEER_ADDRESS, peer, tx)));
    }

    private StunMessage signed(int method, java.util.function.Function<byte[], List<StunAttribute>> attrs)
        throws Exception {
      byte[] tx = StunMessage.newTransactionId();
      List<StunAttribute> all = new ArrayList<>(List.of(Attributes.string(USERNAME, user),
          Attributes.string(REALM, realm), Attributes.string(NONCE, nonce)));
      all.addAll(attrs.apply(tx));
      StunMessage r = transact(StunMessage.request(method, tx, all), key);
      if (r.cls() != StunClass.SUCCESS_RESPONSE) {
        throw new IllegalStateException(StunMethod.name(method) + " refused: " + r);
      }
      return r;
    }

    private StunMessage transact(StunMessage request, byte[] integrityKey) throws Exception {
      for (int attempt = 0; attempt < 5; attempt++) {
        CompletableFuture<StunMessage> answer = new CompletableFuture<>();
        transactions.put(request.transactionIdHex(), answer);
        channel.writeAndFlush(new DatagramPacket(StunEncoder.encode(request, integrityKey, false, channel.alloc()),
            server)).sync();
        try {
          return answer.get(TRANSACTION_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException retransmit) {
          // loopback rarely loses a datagram; try again
        }
      }
      throw new TimeoutException("no answer to " + StunMethod.name(request.method()) + " from " + server);
    }

    /** Sends batches until WINDOW of them are in flight. */
    void fill() {
      while (running && outstanding <= (WINDOW - 1) * BATCH) {
        sendBatch();
      }
      progressAt = System.nanoTime();
    }

    /** Sends a batch to the partner: one GSO send of BATCH ChannelData messages. */
    void sendBatch() {
      if (!running) {
        return;
      }
      int size = ChannelData.HEADER_SIZE + PAYLOAD;
      ByteBufAllocator alloc = channel.alloc();
      if (gso) {
        ByteBuf all = alloc.directBuffer(size * BATCH);
        for (int i = 0; i < BATCH; i++) {
          writeMessage(all);
        }
        channel.write(new SegmentedDatagramPacket(all, size, server), channel.voidPromise());
      } else {
        for (int i = 0; i < BATCH; i++) {
          ByteBuf one = alloc.directBuffer(size);
          writeMessage(one);
          channel.write(new DatagramPacket(one, server), channel.voidPromise());
        }
      }
      channel.flush();
      outstanding += BATCH;
      sent += BATCH;
    }

    /** ChannelData carrying this client's next sequence number, then zeros. */
    private void writeMessage(ByteBuf out) {
      out.writeShort(CHANNEL).writeShort(PAYLOAD);
      out.writeLong(++sequence);
      out.writeZero(PAYLOAD - Long.BYTES);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ByteBuf buf = packet.content();
      if (ChannelData.isChannelData(buf)) {
        if (!running) {
          return;
        }
        received++;
        long seq = buf.getLong(buf.readerIndex() + ChannelData.HEADER_SIZE);
        if (seq <= lastReceived) {
          outOfOrder++;
        }
        lastReceived = seq;
        int second = (int) ((System.nanoTime() - startNanos) / 1_000_000_000L);
        if (second < perSecond.length) {
          perSecond[second]++;
        }
        Client from = partner;
        if (from.outstanding > 0) {
          from.outstanding--;
          from.progressAt = System.nanoTime();
          if (from.outstanding <= (WINDOW - 1) * BATCH) {
            from.sendBatch();
          }
        }
      } else if (StunDecoder.isStun(buf)) {
        StunMessage m = StunDecoder.decode(buf);
        CompletableFuture<StunMessage> waiting = transactions.remove(m.transactionIdHex());
        if (waiting != null) {
          waiting.complete(m);
        }
      }
    }
  }
}
