package io.parley.media.turn;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Relayed data written during one read burst, flushed together when the burst ends
 * ({@code channelReadComplete}): one flush lets the epoll transport send it with a single
 * {@code sendmmsg} instead of one system call per datagram. Used only on the data path, whose
 * writes always happen inside a read on the same event loop, so a flush always follows.
 *
 * <p>With epoll, consecutive datagrams of the burst from one socket to one recipient (a client's
 * packets to its peer, a peer's to its client) leave as one UDP GSO send ({@code UDP_SEGMENT}):
 * the kernel carries them through its stack as one packet and splits them at the end, where it
 * would otherwise route and build each on its own. They must be of one size (the last may be
 * shorter), at most {@link #GSO_MAX_SEGMENT} bytes each and {@link #GSO_MAX_SEGMENTS} in number.
 * A socket whose GSO send fails (a device without checksum offload refuses it) sends singly from
 * then on.
 */
final class WriteBatch {

  /**
   * The largest datagram sent with GSO. Each segment must fit the path MTU whole (the kernel
   * refuses a larger one rather than fragmenting it): what fits any usual path is batched, bigger
   * datagrams go out alone.
   */
  static final int GSO_MAX_SEGMENT = 1200;
  /** Segments in one GSO send: the kernel's UDP_MAX_SEGMENTS on older kernels. */
  static final int GSO_MAX_SEGMENTS = 64;
  /**
   * Bytes in one GSO send: all segments together form one UDP datagram, whose payload cannot
   * exceed 65,507 bytes (64 segments of 1200 would; the kernel refuses such a send).
   */
  static final int GSO_MAX_BYTES = 65_000;

  private static final boolean GSO = gsoSupported();
  /** Set on a socket whose GSO send failed: it sends singly from then on. */
  private static final AttributeKey<Boolean> NO_GSO = AttributeKey.valueOf(WriteBatch.class, "noGso");
  private static final ThreadLocal<WriteBatch> PENDING = ThreadLocal.withInitial(WriteBatch::new);

  /** Channels written since the last flush; with GSO, each with the run it is gathering. */
  private final List<Channel> channels = new ArrayList<>();
  private final List<Run> runs = new ArrayList<>();
  /** Runs of earlier bursts, kept for reuse: nothing is allocated per datagram. */
  private final List<Run> spare = new ArrayList<>();

  private WriteBatch() {}

  /** Writes {@code message} to a stream {@code channel}; the flush comes at the end of the read burst. */
  static void write(Channel channel, Object message) {
    channel.write(message, channel.voidPromise());
    PENDING.get().track(channel);
  }

  /**
   * Sends {@code data} (ownership passes here) from datagram {@code channel} to {@code recipient}
   * at the end of the read burst, in a GSO send with its neighbours where it can.
   */
  static void datagram(Channel channel, ByteBuf data, InetSocketAddress recipient) {
    WriteBatch batch = PENDING.get();
    if (!GSO || !(channel instanceof EpollDatagramChannel) || data.readableBytes() > GSO_MAX_SEGMENT
        || channel.hasAttr(NO_GSO)) {
      batch.sendRun(batch.track(channel)); // what the channel gathered leaves first, in order
      channel.write(new DatagramPacket(data, recipient), channel.voidPromise());
      return;
    }
    batch.gather(channel, data, recipient);
  }

  /**
   * Sends what each channel gathered and flushes every channel written since the last call on this
   * thread; hands what the burst relayed to allocations of other loops over to them ({@link LocalRelays}).
   */
  static void flush() {
    LocalRelays.flush();
    WriteBatch batch = PENDING.get();
    for (int i = 0; i < batch.channels.size(); i++) {
      batch.sendRun(i);
      batch.channels.get(i).flush();
    }
    batch.channels.clear();
    batch.runs.clear();
  }

  private int track(Channel channel) {
    int i = channels.indexOf(channel);
    if (i < 0) {
      channels.add(channel);
      runs.add(null);
      i = channels.size() - 1;
    }
    return i;
  }

  /** Writes the run channel {@code i} gathered, if any. */
  private void sendRun(int i) {
    Run run = runs.get(i);
    if (run != null) {
      run.send();
      runs.set(i, null);
      spare.add(run);
    }
  }

  private void gather(Channel channel, ByteBuf data, InetSocketAddress recipient) {
    int i = track(channel);
    Run run = runs.get(i);
    if (run != null && run.takes(data, recipient)) {
      run.add(data);
      return;
    }
    if (run != null) {
      run.send();
    } else {
      run = spare.isEmpty() ? new Run() : spare.removeLast();
      runs.set(i, run);
    }
    run.start(channel, data, recipient);
  }

  /** Datagrams of equal size from one channel to one recipient, sent as one. */
  private static final class Run {
    private final ByteBuf[] segments = new ByteBuf[GSO_MAX_SEGMENTS];
    private Channel channel;
    private InetSocketAddress recipient;
    private int count;
    private int size;

    void start(Channel channel, ByteBuf data, InetSocketAddress recipient) {
      this.channel = channel;
      this.recipient = recipient;
      this.size = data.readableBytes();
      this.count = 0;
      add(data);
    }

    /** Whether {@code data} can join: same recipient, not larger than the run's size, which a shorter one ends. */
    boolean takes(ByteBuf data, InetSocketAddress to) {
      return count < GSO_MAX_SEGMENTS && (count + 1) * size <= GSO_MAX_BYTES && segments[count - 1].readableBytes() == size
          && data.readableBytes() <= size && data.readableBytes() > 0 && recipient.equals(to);
    }

    void add(ByteBuf data) {
      segments[count++] = data;
    }

    /** Writes the run: alone as a plain datagram, else its segments copied into one GSO send. */
    void send() {
      if (count == 1) {
        channel.write(new DatagramPacket(segments[0], recipient), channel.voidPromise());
      } else {
        int total = 0;
        for (int i = 0; i < count; i++) {
          total += segments[i].readableBytes();
        }
        ByteBuf joined = channel.alloc().directBuffer(total, total);
        for (int i = 0; i < count; i++) {
          joined.writeBytes(segments[i]);
          segments[i].release();
        }
        Channel ch = channel;
        channel.write(new SegmentedDatagramPacket(joined, size, recipient)).addListener((ChannelFuture f) -> {
          if (!f.isSuccess()) {
            ch.attr(NO_GSO).set(Boolean.TRUE);
          }
        });
      }
      java.util.Arrays.fill(segments, 0, count, null);
      count = 0;
      channel = null;
      recipient = null;
    }
  }

  private static boolean gsoSupported() {
    try {
      return io.netty.channel.epoll.Epoll.isAvailable() && SegmentedDatagramPacket.isSupported();
    } catch (LinkageError e) {
      return false;
    }
  }
}
