package io.parley.media.turn;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;

/** How the server writes to a client: a datagram from the listening socket, or the client's TCP stream. */
interface ClientLink {

  /** Sends {@code message} (ownership passes to the link), flushed at once. */
  void send(io.netty.buffer.ByteBuf message);

  /** Sends relayed data (ownership passes to the link), flushed at the end of the read burst. */
  void relay(io.netty.buffer.ByteBuf message);

  /** Whether ChannelData needs padding to 4 bytes (RFC 8656 §12.5: over TCP it does). */
  boolean stream();

  /** The listening or connection channel. */
  Channel channel();

  /** A client reached over UDP, answered from the socket it wrote to. */
  record Udp(Channel channel, InetSocketAddress client) implements ClientLink {
    @Override
    public void send(ByteBuf message) {
      channel.writeAndFlush(new DatagramPacket(message, client), channel.voidPromise());
    }

    @Override
    public void relay(ByteBuf message) {
      WriteBatch.datagram(channel, message, client);
    }

    @Override
    public boolean stream() {
      return false;
    }
  }

  /**
   * A client on a TCP connection, or a TLS one ({@code recordPerMessage}): there each relayed
   * message is flushed alone, so that it travels in a TLS record of its own as coturn sends them;
   * clients that read one message per record (coturn's own uclient) lose the rest of a record
   * holding several.
   */
  record Tcp(Channel channel, boolean recordPerMessage) implements ClientLink {
    @Override
    public void send(ByteBuf message) {
      if (!channel.isWritable()) {
        // Slow reader: drop rather than queue without bound (media is loss-tolerant).
        message.release();
        return;
      }
      channel.writeAndFlush(message, channel.voidPromise());
    }

    @Override
    public void relay(ByteBuf message) {
      if (!channel.isWritable()) {
        message.release();
        return;
      }
      if (recordPerMessage) {
        channel.writeAndFlush(message, channel.voidPromise());
      } else {
        WriteBatch.write(channel, message);
      }
    }

    @Override
    public boolean stream() {
      return true;
    }
  }
}
