package io.parley.media.turn;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;

/**
 * Relayed datagrams written during one read burst, flushed together when the burst ends
 * ({@code channelReadComplete}): one flush lets the epoll transport send them with a single
 * {@code sendmmsg} instead of one system call per datagram. Used only on the data path, whose
 * writes always happen inside a read on the same event loop, so a flush always follows.
 */
final class WriteBatch {

  private static final ThreadLocal<List<Channel>> PENDING = ThreadLocal.withInitial(ArrayList::new);

  private WriteBatch() {}

  /** Writes {@code message} to {@code channel}; the flush comes at the end of the read burst. */
  static void write(Channel channel, Object message) {
    channel.write(message, channel.voidPromise());
    List<Channel> pending = PENDING.get();
    if (!pending.contains(channel)) {
      pending.add(channel);
    }
  }

  /** Flushes every channel written since the last call on this thread. */
  static void flush() {
    List<Channel> pending = PENDING.get();
    for (int i = 0; i < pending.size(); i++) {
      pending.get(i).flush();
    }
    pending.clear();
  }
}
