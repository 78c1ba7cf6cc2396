package io.parley.api.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * The WebSocket message limit of the listeners, answered as RFC 6455 says: a frame that declares
 * more than {@code max} bytes, or a message whose frames add up to more, closes the connection
 * with 1009 (message too big) and a reason, and any other broken frame with its own status (1002,
 * 1007). Vert.x would only close the TCP connection (a bare EOF for the client). Sits before the
 * connection's handler, where it sees decoded frames and the decoder's failures.
 */
final class WebSocketLimit extends ChannelInboundHandlerAdapter {

  private static final String NAME = "parley-websocket-limit";
  private static final String HANDLER = "handler";

  private final int max;
  /** Bytes of the data message whose frames are arriving (or of the last one). */
  private long message;
  private boolean closing;

  private WebSocketLimit(int max) {
    this.max = max;
  }

  static void install(ChannelPipeline pipeline, int max) {
    if (pipeline.get(HANDLER) != null) {
      pipeline.addBefore(HANDLER, NAME, new WebSocketLimit(max));
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    boolean first = frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame;
    if (first || frame instanceof ContinuationWebSocketFrame) {
      message = (first ? 0 : message) + frame.content().readableBytes();
      if (message > max) {
        ReferenceCountUtil.release(msg);
        close(ctx, WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), tooBig());
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException broken && ctx.pipeline().get("wsdecoder") != null) {
      WebSocketCloseStatus status = broken.closeStatus();
      boolean tooBig = status.code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
      close(ctx, status.code(), tooBig ? tooBig() : status.reasonText());
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }

  private String tooBig() {
    return "message larger than " + max + " bytes";
  }

  private void close(ChannelHandlerContext ctx, int status, String reason) {
    if (!closing) {
      closing = true;
      // Closed from here, not from the channel: Vert.x's handler after this one would start its own
      // close handshake (a second close frame, then a wait for the client's).
      ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(f -> ctx.close());
    }
  }
}
