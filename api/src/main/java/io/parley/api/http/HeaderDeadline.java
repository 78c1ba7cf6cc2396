package io.parley.api.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deadline for a request's line and headers on one HTTP/1.x connection (slowloris: a client that
 * trickles header bytes resets the idle timeout with each one and holds the connection forever).
 * The first request's deadline runs from the connection's start; a later one's from its first byte,
 * so an idle keep-alive connection is left to the idle timeout. When the head is complete the
 * deadline is off until the request's body has ended; once the connection is a WebSocket (the
 * decoder gone) the deadline is removed for good. A connection past its deadline is closed.
 *
 * <p>Two handlers around the HTTP decoder share this state: one before it sees bytes arrive, one
 * after it sees heads and body ends. Both run on the connection's event loop.
 */
final class HeaderDeadline {

  private static final String DECODER = "httpDecoder";
  private static final String BYTES = "parley-header-deadline-bytes";
  private static final String HEADS = "parley-header-deadline-heads";

  private final long timeoutNanos;
  private ScheduledFuture<?> timer;
  private boolean awaitingHead = true;

  private HeaderDeadline(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  /**
   * Puts a deadline on the connection of {@code pipeline}, which is at its start; nothing when it
   * has no HTTP/1.x decoder (HTTP/2).
   */
  static void install(ChannelPipeline pipeline, Duration timeout) {
    if (pipeline.get(DECODER) == null) {
      return;
    }
    HeaderDeadline deadline = new HeaderDeadline(timeout);
    pipeline.addBefore(DECODER, BYTES, deadline.new Bytes());
    pipeline.addAfter(DECODER, HEADS, deadline.new Heads());
  }

  private void arm(ChannelHandlerContext ctx) {
    if (timer == null) {
      timer = ctx.executor().schedule(() -> {
        timer = null;
        ctx.close(); // from here towards the socket, past Vert.x's graceful close

      }, timeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void disarm() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** Before the decoder: the first byte of a head starts its deadline. */
  private final class Bytes extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      arm(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (ctx.pipeline().get(DECODER) == null) {
        // Upgraded to a WebSocket: no heads any more.
        ctx.pipeline().remove(HEADS);
        ctx.pipeline().remove(this);
      } else if (awaitingHead) {
        arm(ctx);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      disarm();
      ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      disarm();
    }
  }

  /** After the decoder: a complete head stops the deadline, the end of its body waits for the next. */
  private final class Heads extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        disarm();
        awaitingHead = false;
      }
      if (msg instanceof LastHttpContent) {
        awaitingHead = true;
      }
      ctx.fireChannelRead(msg);
    }
  }
}
