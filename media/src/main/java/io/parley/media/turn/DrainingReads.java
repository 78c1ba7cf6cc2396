package io.parley.media.turn;

import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The receive buffers of an epoll datagram socket read with {@code recvmmsg}: a fixed size (so
 * many datagram slots), and a read burst that ends at the first call that did not fill every slot.
 * Such a call has drained the socket, so Netty's next call (it reads on until a call finds
 * nothing) would only cost a system call, the slots' set-up and a buffer; Netty 4.2 registers
 * sockets level-triggered, so a datagram arriving after the burst wakes the loop again.
 */
final class DrainingReads extends DefaultMaxMessagesRecvByteBufAllocator {

  private final int bufferSize;

  /** Buffers of {@code bufferSize} bytes, at most {@code maxMessagesPerRead} datagrams per burst. */
  DrainingReads(int bufferSize, int maxMessagesPerRead) {
    super(maxMessagesPerRead);
    this.bufferSize = bufferSize;
  }

  @Override
  public Handle newHandle() {
    return new MaxMessageHandle() {
      /** The last call filled its buffer: there may be more. */
      private final UncheckedBooleanSupplier filled = () -> lastBytesRead() == attemptedBytesRead();

      @Override
      public int guess() {
        return bufferSize;
      }

      @Override
      public boolean continueReading(UncheckedBooleanSupplier ignored) {
        // The epoll datagram channel asks to read on regardless (a supplier that always says
        // yes); whether the last call filled its slots decides instead.
        return super.continueReading(filled);
      }
    };
  }
}
