package io.parley.media.turn;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.media.turn.codec.ChannelData;
import io.parley.media.turn.codec.StunFrameDecoder;
import io.netty.util.collection.LongObjectHashMap;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parley's TURN server (RFC 8656) and STUN Binding server (RFC 8489), over UDP, TCP and TLS, on
 * Netty with native epoll where available. Each allocation lives on the event loop of its client's
 * socket, together with its relay socket. Allocations end at their lifetime, on Refresh with
 * lifetime 0, when a TCP client disconnects, or at once when revoked ({@link #revokeUser},
 * {@link #revokeTag}), which also refuses the revoked credentials from then on.
 */
public final class TurnServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TurnServer.class);
  /** Largest datagram read from a client or peer; larger ones are truncated by the kernel read. */
  static final int MAX_DATAGRAM = 4096;
  /**
   * Datagrams read per wake-up before the burst ends (and its relayed writes are flushed). An
   * explicit allocator otherwise reads one datagram per wake-up.
   */
  static final int READS_PER_WAKEUP = 64;
  /** Datagrams one {@code recvmmsg} reads at most (epoll); its buffer is this many {@link #MAX_DATAGRAM}s. */
  static final int DATAGRAMS_PER_CALL = 16;
  /** The read buffer of a socket with UDP GRO: the largest UDP payload a coalesced read can carry. */
  static final int GRO_READ_BUFFER = 65536;
  /** How often expired allocations, permissions and channel bindings are swept. */
  static final long SWEEP_MILLIS = 1000;
  /**
   * Receive buffer of a relay socket. The kernel default (net.core.rmem_default, often 208 KiB:
   * about 200 small datagrams) overflows when a peer's burst arrives while the relay's event loop
   * is busy; the kernel then drops. Only queued data is charged, so an idle relay costs nothing.
   */
  static final int RELAY_RCVBUF = 1024 * 1024;
  /** Per-connection TCP write buffer bounds: beyond the high mark, relayed data is dropped. */
  static final WriteBufferWaterMark TCP_WATER_MARK = new WriteBufferWaterMark(256 * 1024, 1024 * 1024);

  private final TurnOptions settings;
  private final Clock clock;
  private final TurnCredentials credentials;
  private final Nonces nonces;
  private final PeerPolicy policy;
  private final TurnMetrics metrics;
  private final TurnProtocol protocol;
  private final EventLoopGroup group;
  private final boolean epoll;
  private final InetAddress advertised;
  /** Where IPv6 relays are advertised, or null when IPv6 relays are not offered. */
  private final InetAddress advertised6;
  private final RelaySockets relays;
  /** The relayed addresses of this node's allocations: data between two of them stays in the process. */
  private final LocalRelays locals;
  /** The TLS listener's certificate, or null without TLS. */
  private final TurnTls tls;
  /** Off the event loops: re-reading the certificate files and listing the interfaces again. */
  private final java.util.concurrent.ScheduledExecutorService housekeeping;
  private final Map<FiveTuple, Allocation> table = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
  /** 5-tuples whose relay socket is being bound: a retransmitted Allocate meanwhile is ignored. */
  private final java.util.Set<FiveTuple> opening = ConcurrentHashMap.newKeySet();
  private final Map<String, Instant> revokedTags = new ConcurrentHashMap<>();
  private final Map<String, Instant> revokedUsers = new ConcurrentHashMap<>();
  private final List<Channel> listeners = new ArrayList<>();
  private int udpPort;
  private int tcpPort;
  private int tlsPort;

  private TurnServer(TurnOptions settings, TurnCredentials credentials, Nonces nonces, PeerPolicy policy,
                     Clock clock, MeterRegistry registry, int threads) {
    this.settings = settings;
    this.clock = clock;
    this.credentials = credentials;
    this.nonces = nonces;
    this.policy = policy;
    this.metrics = new TurnMetrics(registry, table::size,
        () -> table.values().stream().mapToInt(a -> a.permissions.size()).sum(),
        () -> table.values().stream().mapToInt(a -> a.channels.size()).sum());
    this.protocol = new TurnProtocol(this, metrics);
    this.epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(threads, io);
    this.advertised = RelaySockets.advertisedIpv4(settings);
    this.advertised6 = RelaySockets.advertisedIpv6(settings);
    this.relays = new RelaySockets(settings, epoll);
    this.locals = new LocalRelays(settings.relayPortLow(), settings.relayPortHigh(), advertised, advertised6);
    this.tls = settings.tls().map(TurnTls::new).orElse(null);
    this.housekeeping = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("parley-turn-housekeeping").daemon().factory());
  }

  /**
   * Binds the UDP and TCP listeners; blocking. {@code clock} is the wall clock of credential
   * expiry and revocation deadlines (the same as the credentials'); lifetimes run on the monotonic clock.
   */
  public static TurnServer start(TurnOptions settings, TurnCredentials credentials, Nonces nonces,
                                 PeerPolicy policy, Clock clock, MeterRegistry registry, int threads) {
    TurnServer server = new TurnServer(settings, credentials, nonces, policy, clock, registry, threads);
    try {
      server.bind(threads, 1);
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** Ephemeral UDP ports tried before giving up when their number is taken for TCP (port 0 only). */
  static final int EPHEMERAL_ATTEMPTS = 10;

  private void bind(int threads, int attempt) {
    InetSocketAddress address = new InetSocketAddress(settings.host(), settings.port());
    // UDP: with epoll, one socket per event loop on the same port (SO_REUSEPORT); the kernel keeps
    // each client on one socket, hence on one loop.
    Bootstrap udp = datagramBootstrap(group, epoll)
        .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
        .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new UdpListener()); // one per socket: it holds that socket's clients
          }
        });
    if (epoll) {
      udp.option(EpollChannelOption.SO_REUSEPORT, true);
    }
    int sockets = epoll ? threads : 1;
    Channel first = await(udp.bind(address), "UDP " + address);
    listeners.add(first);
    udpPort = ((InetSocketAddress) first.localAddress()).getPort();
    InetSocketAddress bound = new InetSocketAddress(settings.host(), udpPort);
    for (int i = 1; i < sockets; i++) {
      listeners.add(await(udp.bind(bound), "UDP " + bound));
    }
    ServerBootstrap tcp = new ServerBootstrap().group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TCP_WATER_MARK)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new StunFrameDecoder(), new TcpClient(FiveTuple.Transport.TCP));
          }
        });
    // Same port number as UDP (the TURN convention); with port 0 the UDP choice is reused. That
    // number may already be taken for TCP: with port 0, start over with another one.
    ChannelFuture tcpBind = tcp.bind(new InetSocketAddress(settings.host(), udpPort)).awaitUninterruptibly();
    if (!tcpBind.isSuccess() && settings.port() == 0 && attempt < EPHEMERAL_ATTEMPTS) {
      LOG.debug("TURN: TCP port {} taken, trying another ephemeral port", udpPort);
      for (Channel c : listeners) {
        c.close().awaitUninterruptibly();
      }
      listeners.clear();
      bind(threads, attempt + 1);
      return;
    }
    Channel tcpChannel = await(tcpBind, "TCP " + bound);
    listeners.add(tcpChannel);
    tcpPort = ((InetSocketAddress) tcpChannel.localAddress()).getPort();
    if (tls != null) {
      bindTls();
    }
    group.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    housekeeping.scheduleWithFixedDelay(policy::refreshOwnAddresses, OWN_ADDRESSES_SECONDS, OWN_ADDRESSES_SECONDS,
        TimeUnit.SECONDS);
    LOG.info("TURN/STUN listening on {}:{} (UDP x{}, TCP{}), relays on {} ports {}-{}, advertised {}{}, {}",
        settings.host(), udpPort, sockets, tls == null ? "" : ", TLS on " + tlsPort, settings.relayHost(),
        settings.relayPortLow(), settings.relayPortHigh(), advertised.getHostAddress(),
        advertised6 == null ? "" : " and " + advertised6.getHostAddress(), epoll ? "epoll" : "nio");
  }

  /** How often the node's own addresses (refused as peers) are listed again. */
  static final long OWN_ADDRESSES_SECONDS = 60;

  /**
   * TURN over TLS (RFC 8656 §3.1): the TCP framing behind a TLS handshake, on its own port; the
   * certificate files are read again every {@link TurnOptions.Tls#reload()}.
   */
  private void bindTls() {
    TurnOptions.Tls options = settings.tls().orElseThrow();
    ServerBootstrap b = new ServerBootstrap().group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TCP_WATER_MARK)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new StunFrameDecoder(),
                new TcpClient(FiveTuple.Transport.TLS));
          }
        });
    Channel listener = await(b.bind(new InetSocketAddress(settings.host(), options.port())), "TLS " + options.port());
    listeners.add(listener);
    tlsPort = ((InetSocketAddress) listener.localAddress()).getPort();
    long reload = options.reload().toMillis();
    housekeeping.scheduleWithFixedDelay(tls::reloadQuietly, reload, reload, TimeUnit.MILLISECONDS);
  }

  private static Channel await(ChannelFuture f, String what) {
    f.awaitUninterruptibly();
    if (!f.isSuccess()) {
      throw new ParleyException(Reason.UNAVAILABLE, "TURN: cannot bind " + what + ": " + f.cause().getMessage(),
          f.cause());
    }
    return f.channel();
  }

  // --- transports --------------------------------------------------------------------------------

  /**
   * A UDP bootstrap on {@code group} that reads many datagrams per system call: with epoll, each
   * read is a {@code recvmmsg} of up to {@link #DATAGRAMS_PER_CALL} datagrams into one buffer,
   * which the transport slices per datagram, until one does not fill it ({@link DrainingReads});
   * with NIO, one datagram per read.
   */
  static Bootstrap datagramBootstrap(EventLoopGroup group, boolean epoll) {
    return datagramBootstrap(group, epoll, false);
  }

  /**
   * As {@link #datagramBootstrap(EventLoopGroup, boolean)}; with {@code gro} (epoll only), the
   * socket takes UDP GRO: the kernel hands over a GSO send (or datagrams it coalesced) as one
   * read of up to 64 KiB, which the transport splits by its segment size. Such a read cannot be
   * one slot of a {@code recvmmsg} (Netty's reports no segment size there), so each read is one
   * {@code recvmsg} into a 64 KiB buffer, and a burst reads until the socket is empty.
   */
  static Bootstrap datagramBootstrap(EventLoopGroup group, boolean epoll, boolean gro) {
    Bootstrap b = new Bootstrap().group(group)
        .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class);
    if (epoll && gro) {
      b.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(GRO_READ_BUFFER)
              .maxMessagesPerRead(READS_PER_WAKEUP))
          .option(EpollChannelOption.UDP_GRO, true);
    } else if (epoll) {
      b.option(ChannelOption.RCVBUF_ALLOCATOR, new DrainingReads(MAX_DATAGRAM * DATAGRAMS_PER_CALL, READS_PER_WAKEUP))
          .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM);
    } else {
      b.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM)
          .maxMessagesPerRead(READS_PER_WAKEUP));
    }
    return b;
  }

  /**
   * One per listening UDP socket, on that socket's event loop. ChannelData from a client holding
   * an allocation (the data path) is looked up by the client's IPv4 address and port as one
   * primitive key, allocation-free; everything else (STUN, IPv6 clients) takes the 5-tuple path.
   */
  private final class UdpListener extends SimpleChannelInboundHandler<DatagramPacket> {
    /** Allocations of this socket's IPv4 clients by {@link #ipv4Key}; touched only on its loop. */
    private final LongObjectHashMap<Allocation> byClient = new LongObjectHashMap<>();

    UdpListener() {
      super(false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      InetSocketAddress sender = packet.sender();
      ByteBuf buf = packet.content();
      long key = ipv4Key(sender);
      Allocation a = key < 0 ? null : byClient.get(key);
      if (a != null && a.fiveTuple.client().equals(sender) && ChannelData.isChannelData(buf)) {
        protocol.onClientChannelData(a, buf);
        return;
      }
      InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
      FiveTuple tuple = new FiveTuple(sender, local, FiveTuple.Transport.UDP);
      protocol.onClientMessage(new ClientLink.Udp(ctx.channel(), sender), tuple, buf);
    }

    void index(Allocation a) {
      long key = ipv4Key(a.fiveTuple.client());
      if (key >= 0) {
        byClient.put(key, a);
      }
    }

    void unindex(Allocation a) {
      long key = ipv4Key(a.fiveTuple.client());
      if (key >= 0 && byClient.get(key) == a) {
        byClient.remove(key);
      }
    }

    /** The end of a read burst: flush the relayed data written during it. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      WriteBatch.flush();
      ctx.fireChannelReadComplete();
    }

    /**
     * A failed send (I/O) is routine; malformed input never gets here (the protocol drops it), so
     * anything else is a server bug and must not hide at debug level.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof java.io.IOException) {
        LOG.debug("UDP listener: {}", cause.toString());
      } else {
        LOG.warn("UDP listener: unexpected exception", cause);
      }
    }
  }

  /** A client on a TCP connection, or on a TLS one (the same framing behind the TLS handler). */
  private final class TcpClient extends SimpleChannelInboundHandler<ByteBuf> {
    private final FiveTuple.Transport transport;
    private FiveTuple tuple;
    private ClientLink link;

    TcpClient(FiveTuple.Transport transport) {
      super(false);
      this.transport = transport;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      tuple = new FiveTuple((InetSocketAddress) ctx.channel().remoteAddress(),
          (InetSocketAddress) ctx.channel().localAddress(), transport);
      link = new ClientLink.Tcp(ctx.channel(), transport == FiveTuple.Transport.TLS);
      ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
      protocol.onClientMessage(link, tuple, frame);
    }

    /** The end of a read burst: flush the relayed data written during it. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      WriteBatch.flush();
      ctx.fireChannelReadComplete();
    }

    /** RFC 8656 §6.2 (TCP): the allocation ends with the connection that created it. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Allocation a = tuple == null ? null : table.get(tuple);
      if (a != null) {
        delete(a);
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A framing error means the stream cannot be resynchronised: close it. Anything else is a
      // server bug, which must not hide among malformed input.
      if (cause instanceof io.netty.handler.codec.DecoderException) {
        metrics.drop(TurnMetrics.Drop.MALFORMED);
      } else if (cause instanceof java.io.IOException) {
        LOG.debug("TCP client {}: {}", tuple == null ? null : tuple.client(), cause.toString()); // e.g. a reset
      } else {
        LOG.warn("TCP client {}: unexpected exception", tuple == null ? null : tuple.client(), cause);
      }
      ctx.close();
    }
  }

  // --- allocations -------------------------------------------------------------------------------

  Allocation allocation(FiveTuple tuple) {
    return live(table.get(tuple));
  }

  /** {@code a}, or null when it is null or has expired (then it is deleted). */
  Allocation live(Allocation a) {
    if (a != null && a.expiresAtNanos - System.nanoTime() <= 0) {
      delete(a);
      return null;
    }
    return a;
  }

  int allocationCount() {
    return table.size();
  }

  boolean reserveQuota(String userId) {
    AtomicInteger n = perUser.computeIfAbsent(userId, k -> new AtomicInteger());
    if (n.incrementAndGet() > settings.maxAllocationsPerUser()) {
      n.decrementAndGet();
      return false;
    }
    return true;
  }

  void releaseQuota(String userId) {
    perUser.computeIfPresent(userId, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  /** What an Allocate asks of its relay sockets (RFC 8656 §7.2). */
  record RelayRequest(int family, boolean additionalIpv6, boolean evenPort, boolean reserveNext, byte[] token) {}

  /**
   * The result of {@link #openRelay}: the allocation, or null when no port was free (508) or the
   * token was not valid (508); the token of the reserved next port (R bit), and whether the
   * additional IPv6 relay could not be had (ADDRESS-ERROR-CODE 440 in the success).
   */
  record Opened(Allocation allocation, byte[] reservationToken, boolean additionalRefused) {}

  /** Whether relays of this address family are offered. */
  boolean offersFamily(int family) {
    return family == io.parley.media.turn.codec.Attributes.FAMILY_IPV4
        || (family == io.parley.media.turn.codec.Attributes.FAMILY_IPV6 && advertised6 != null);
  }

  /**
   * Binds the relay socket(s) of an allocation on the client's event loop. Returns null (no future)
   * when a bind for this 5-tuple is already under way.
   */
  CompletableFuture<Opened> openRelay(ClientLink link, FiveTuple tuple, TurnCredentials.Identity id,
                                      byte[] transactionId, long lifetimeSeconds, RelayRequest request) {
    if (!opening.add(tuple)) {
      return null;
    }
    io.netty.channel.EventLoop loop = link.channel().eventLoop();
    CompletableFuture<RelaySockets.Bound> primary = request.token() != null
        ? relays.redeem(request.token(), -1, loop, new RelayInbound()).thenApply(ch -> ch == null ? null
            : new RelaySockets.Bound(ch, null))
        : relays.bind(loop, request.family(), request.evenPort(), request.reserveNext(), RelayInbound::new);
    boolean wantsAdditional = request.additionalIpv6() && offersFamily(io.parley.media.turn.codec.Attributes.FAMILY_IPV6);
    CompletableFuture<Opened> result = new CompletableFuture<>();
    primary.whenComplete((bound, failure) -> {
      if (bound == null) {
        opening.remove(tuple);
        result.complete(new Opened(null, null, false));
        return;
      }
      CompletableFuture<RelaySockets.Bound> second = wantsAdditional
          ? relays.bind(loop, io.parley.media.turn.codec.Attributes.FAMILY_IPV6, false, false, RelayInbound::new)
          : CompletableFuture.completedFuture(null);
      second.whenComplete((extra, ignored) -> loop.execute(() -> {
        opening.remove(tuple);
        Allocation a = new Allocation(tuple, link, relay(bound.channel()), extra == null ? null : relay(extra.channel()),
            id.username(), id.userId(), id.tag(), id.key(), transactionId,
            System.nanoTime() + TimeUnit.SECONDS.toNanos(lifetimeSeconds), settings.maxBytesPerSecond());
        for (Channel ch : extra == null ? List.of(bound.channel()) : List.of(bound.channel(), extra.channel())) {
          ch.pipeline().get(RelayInbound.class).allocation = a;
        }
        table.put(tuple, a);
        locals.add(a);
        if (udpListener(link) != null) {
          udpListener(link).index(a);
        }
        result.complete(new Opened(a, bound.token(), request.additionalIpv6() && extra == null));
      }));
    });
    return result;
  }

  private Allocation.Relay relay(Channel ch) {
    InetSocketAddress local = (InetSocketAddress) ch.localAddress();
    InetAddress shown = local.getAddress() instanceof java.net.Inet6Address ? advertised6 : advertised;
    return new Allocation.Relay(ch, new InetSocketAddress(shown, local.getPort()));
  }

  /** Datagrams from peers to a relay socket: handed to its allocation, dropped before it has one. */
  private final class RelayInbound extends SimpleChannelInboundHandler<DatagramPacket> {
    /** Set on the relay's event loop once the allocation exists; read only there. */
    Allocation allocation;

    RelayInbound() {
      super(false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      Allocation a = allocation;
      if (a == null || a.closed) {
        packet.release();
        return;
      }
      protocol.onPeerDatagram(a, ctx.channel(), packet);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      WriteBatch.flush();
    }

    /**
     * A datagram the kernel refuses to send to a peer (port 0, an unroutable address) fails here:
     * routine for UDP, and a client must not be able to fill the log with it.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof java.io.IOException) {
        LOG.debug("relay {}: {}", ctx.channel().localAddress(), cause.toString());
      } else {
        LOG.warn("relay {}: unexpected exception", ctx.channel().localAddress(), cause);
      }
    }
  }

  /** The listener of a UDP client's socket, or null (TCP, TLS, or the socket is closed). */
  private static UdpListener udpListener(ClientLink link) {
    return link instanceof ClientLink.Udp udp ? udp.channel().pipeline().get(UdpListener.class) : null;
  }

  /**
   * An IPv4 transport address as one number (address in bits 16-47, port in 0-15), or -1 for IPv6.
   * {@link Inet4Address#hashCode()} is the address itself, read without the copy {@code getAddress()}
   * makes; a hit is still checked against the allocation's own address.
   */
  static long ipv4Key(InetSocketAddress address) {
    return address.getAddress() instanceof Inet4Address v4
        ? (Integer.toUnsignedLong(v4.hashCode()) << 16) | address.getPort() : -1;
  }

  /** Ends an allocation (on its loop): its relay socket closes and it leaves the table at once. */
  void delete(Allocation a) {
    if (table.remove(a.fiveTuple, a)) {
      releaseQuota(a.userId);
    }
    locals.remove(a);
    UdpListener listener = udpListener(a.client);
    if (listener != null) {
      listener.unindex(a);
    }
    if (!a.closed) {
      a.closed = true;
      a.closeRelays();
    }
  }

  private void sweep() {
    for (Allocation a : table.values()) {
      a.loop().execute(() -> {
        long now = System.nanoTime();
        if (a.expiresAtNanos - now <= 0) {
          delete(a);
        } else {
          a.expireEntries(now);
        }
      });
    }
    Instant now = clock.instant();
    revokedTags.values().removeIf(until -> until.isBefore(now));
    revokedUsers.values().removeIf(until -> until.isBefore(now));
  }

  // --- revocation --------------------------------------------------------------------------------

  /**
   * Ends every allocation whose credentials carry {@code tag} (e.g. a call id), and refuses those
   * credentials until {@code until}. Returns how many allocations were ended.
   */
  public int revokeTag(String tag, Instant until) {
    revokedTags.merge(tag, until, (a, b) -> a.isAfter(b) ? a : b);
    return endWhere(a -> tag.equals(a.tag));
  }

  /** Ends every allocation of {@code userId} and refuses that user's credentials until {@code until}. */
  public int revokeUser(String userId, Instant until) {
    revokedUsers.merge(userId, until, (a, b) -> a.isAfter(b) ? a : b);
    return endWhere(a -> userId.equals(a.userId));
  }

  /** Tags (call ids) of the allocations on this node now. */
  public java.util.Set<String> activeTags() {
    java.util.Set<String> tags = new java.util.HashSet<>();
    for (Allocation a : table.values()) {
      if (a.tag != null) {
        tags.add(a.tag);
      }
    }
    return tags;
  }

  private int endWhere(java.util.function.Predicate<Allocation> which) {
    int n = 0;
    for (Allocation a : table.values()) {
      if (which.test(a)) {
        n++;
        a.loop().execute(() -> delete(a));
      }
    }
    return n;
  }

  boolean revoked(TurnCredentials.Identity id) {
    Instant now = clock.instant();
    Instant byTag = id.tag() == null ? null : revokedTags.get(id.tag());
    Instant byUser = revokedUsers.get(id.userId());
    return (byTag != null && byTag.isAfter(now)) || (byUser != null && byUser.isAfter(now));
  }

  // --- accessors ---------------------------------------------------------------------------------

  /** Now on the wall clock of credentials and revocations. */
  Instant now() {
    return clock.instant();
  }

  byte[] newTransactionId() {
    byte[] id = new byte[12];
    ThreadLocalRandom.current().nextBytes(id);
    return id;
  }

  TurnOptions settings() {
    return settings;
  }

  TurnCredentials credentials() {
    return credentials;
  }

  Nonces nonces() {
    return nonces;
  }

  PeerPolicy policy() {
    return policy;
  }

  LocalRelays localRelays() {
    return locals;
  }

  /**
   * Whether a permission or channel to {@code peer} may be installed: the policy allows it, or it
   * is the address of this node's relays, where only its allocations are reached ({@link LocalRelays}).
   * Relays advertised on loopback serve this host alone: there loopback stays refused unless the
   * operator allows it (CVE-2018-4058).
   */
  boolean peerPermitted(InetAddress peer) {
    return policy.permitted(peer) || (locals.isRelayAddress(peer) && !peer.isLoopbackAddress());
  }

  public int udpPort() {
    return udpPort;
  }

  public int tcpPort() {
    return tcpPort;
  }

  /** The TURN over TLS port, or 0 when TLS is off. */
  public int tlsPort() {
    return tlsPort;
  }

  /** The host of {@code turns:} URLs: the configured name, else the advertised address. */
  public java.util.Optional<String> tlsUrlHost() {
    return settings.tls().map(t -> t.urlHost().orElse(advertised.getHostAddress()));
  }

  /** Reads the TLS certificate files again now, as the timer does; whether they changed. */
  boolean reloadTls() throws java.io.IOException {
    return tls != null && tls.reloadIfChanged();
  }

  /** The family a RESERVATION-TOKEN reserved a port for, or -1 when it is not (or no longer) valid. */
  int reservedFamily(byte[] token) {
    return relays.reservedFamily(token);
  }

  /** Completes when the port reserved under {@code token} is released; null when none is held. */
  io.netty.util.concurrent.Future<Void> reservationReleased(byte[] token) {
    return relays.released(token);
  }

  /** Ports held by reservations now. */
  int reservedPorts() {
    return relays.reserved();
  }

  /** The address put in XOR-RELAYED-ADDRESS and in ice-servers URLs. */
  public InetAddress advertisedAddress() {
    return advertised;
  }

  public int allocations() {
    return table.size();
  }

  /**
   * The relayed addresses of the allocations a client holds from the given transport address (one
   * per server address and transport it reached), empty when it holds none.
   */
  public java.util.List<InetSocketAddress> relayedAddressesOf(InetSocketAddress client) {
    return table.values().stream().filter(a -> a.fiveTuple.client().equals(client))
        .flatMap(a -> a.relayedAddresses().stream()).toList();
  }

  @Override
  public void close() {
    for (Channel c : listeners) {
      c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    for (Allocation a : table.values()) {
      a.loop().execute(() -> delete(a));
    }
    relays.close();
    housekeeping.shutdownNow();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
