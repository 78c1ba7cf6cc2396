package io.parley.media.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Datagrams gathered in one burst reach their recipients one by one, whole and in order, whether
 * they left in a GSO send (equal sizes to one recipient), singly (too large, or alone), or both.
 */
class WriteBatchTest {

  @Test
  void aBurstArrivesAsTheDatagramsWrittenInOrder() throws Exception {
    // The relay's UDP path runs on epoll, and GSO with it: this host must have both, as CI's does.
    assertThat(Epoll.isAvailable()).as("native epoll").isTrue();
    assertThat(SegmentedDatagramPacket.isSupported()).as("UDP GSO (UDP_SEGMENT)").isTrue();
    MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try (DatagramSocket a = new DatagramSocket(0, InetAddress.getLoopbackAddress());
         DatagramSocket b = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      a.setSoTimeout(5000);
      b.setSoTimeout(5000);
      Channel ch = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
          .handler(new ChannelInboundHandlerAdapter())
          .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
      // To a: 70 of 170 bytes (more than one GSO send holds), a shorter one that ends a run, then
      // one too large to batch; to b, interleaved, 3 of 50 bytes.
      List<byte[]> toA = new ArrayList<>();
      List<byte[]> toB = new ArrayList<>();
      for (int i = 0; i < 70; i++) {
        toA.add(filled(170, i));
      }
      toA.add(filled(90, 70));
      toA.add(filled(170, 71));
      toA.add(filled(WriteBatch.GSO_MAX_SEGMENT + 1, 72));
      for (int i = 0; i < 3; i++) {
        toB.add(filled(50, 100 + i));
      }
      ch.eventLoop().submit(() -> {
        for (int i = 0; i < toA.size(); i++) {
          WriteBatch.datagram(ch, Unpooled.directBuffer().writeBytes(toA.get(i)), (InetSocketAddress) a.getLocalSocketAddress());
          if (i % 30 == 0 && i / 30 < toB.size()) {
            WriteBatch.datagram(ch, Unpooled.directBuffer().writeBytes(toB.get(i / 30)),
                (InetSocketAddress) b.getLocalSocketAddress());
          }
        }
        WriteBatch.flush();
      }).get(5, TimeUnit.SECONDS);

      assertThat(receive(a, toA.size())).containsExactlyElementsOf(hex(toA));
      assertThat(receive(b, toB.size())).containsExactlyElementsOf(hex(toB));
      ch.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void gsoSendsReachAGroSocketAsTheDatagramsWrittenInOrder() throws Exception {
    assertThat(Epoll.isAvailable()).as("native epoll").isTrue();
    MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    try {
      // A relay socket as TurnServer binds one: UDP GRO on, so GSO sends arrive coalesced.
      Channel relay = TurnServer.datagramBootstrap(group, true, true)
          .handler(new SimpleChannelInboundHandler<io.netty.channel.socket.DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, io.netty.channel.socket.DatagramPacket p) {
              received.add(ByteBufUtil.hexDump(p.content()));
            }
          })
          .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
      Channel sender = new Bootstrap().group(group).channel(EpollDatagramChannel.class)
          .handler(new ChannelInboundHandlerAdapter())
          .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
      // 60 of the largest size batched: more bytes than one GSO send may carry (two sends); then
      // 70 of 170 bytes (two sends by count) and a shorter one that ends the run.
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        sent.add(filled(WriteBatch.GSO_MAX_SEGMENT, i));
      }
      for (int i = 0; i < 70; i++) {
        sent.add(filled(170, 60 + i));
      }
      sent.add(filled(90, 130));
      InetSocketAddress to = (InetSocketAddress) relay.localAddress();
      sender.eventLoop().submit(() -> {
        for (byte[] d : sent) {
          WriteBatch.datagram(sender, Unpooled.directBuffer().writeBytes(d), to);
        }
        WriteBatch.flush();
      }).get(5, TimeUnit.SECONDS);

      List<String> got = new ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        String d = received.poll(5, TimeUnit.SECONDS);
        assertThat(d).as("datagram %d of %d", i + 1, sent.size()).isNotNull();
        got.add(d);
      }
      assertThat(got).containsExactlyElementsOf(hex(sent));
      assertThat(sender.hasAttr(io.netty.util.AttributeKey.valueOf(WriteBatch.class, "noGso")))
          .as("no GSO send was refused").isFalse();
      sender.close().sync();
      relay.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static byte[] filled(int size, int tag) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) tag);
    b[0] = (byte) size;
    return b;
  }

  private static List<String> receive(DatagramSocket s, int n) throws Exception {
    List<String> got = new ArrayList<>();
    byte[] buf = new byte[4096];
    for (int i = 0; i < n; i++) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      s.receive(p);
      got.add(java.util.HexFormat.of().formatHex(p.getData(), 0, p.getLength()));
    }
    return got;
  }

  private static List<String> hex(List<byte[]> datagrams) {
    return datagrams.stream().map(d -> java.util.HexFormat.of().formatHex(d)).toList();
  }
}
