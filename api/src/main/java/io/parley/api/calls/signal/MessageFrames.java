package io.parley.api.calls.signal;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import java.util.function.Consumer;

/**
 * A signalling socket's data frames put together into messages (RFC 6455 §5.4: a message may come
 * in fragments). A text message goes on as its UTF-8 bytes, not decoded: the relay's fast path
 * reads and forwards bytes. One that grows beyond the size limit is dropped as it comes in (nothing
 * more of it is kept) and reported as too large; a binary message is reported as such. Control
 * frames (ping, pong, close) are left to Vert.x. One per socket, on its context.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6455#section-5.4">RFC 6455 §5.4, Fragmentation</a>
 */
final class MessageFrames implements Handler<WebSocketFrame> {

  private final int maxBytes;
  private final Consumer<Buffer> text;
  private final Runnable tooLarge;
  private final Runnable binary;
  private boolean inMessage;
  private boolean isBinary;
  private boolean isTooLarge;
  /** The text message so far. */
  private Buffer sofar;

  /** Text messages go to {@code text}; {@code tooLarge} and {@code binary} hear of the others. */
  MessageFrames(int maxBytes, Consumer<Buffer> text, Runnable tooLarge, Runnable binary) {
    this.maxBytes = maxBytes;
    this.text = text;
    this.tooLarge = tooLarge;
    this.binary = binary;
  }

  @Override
  public void handle(WebSocketFrame frame) {
    if (frame.isText() || frame.isBinary()) {
      inMessage = true;
      isBinary = frame.isBinary();
      isTooLarge = false;
      sofar = null;
    } else if (!frame.isContinuation() || !inMessage) {
      return;
    }
    if (!isBinary && !isTooLarge) {
      Buffer data = frame.binaryData();
      if (sofar == null) {
        sofar = data;
      } else {
        sofar.appendBuffer(data);
      }
      if (sofar.length() > maxBytes) {
        isTooLarge = true;
        sofar = null;
      }
    }
    if (!frame.isFinal()) {
      return;
    }
    inMessage = false;
    if (isBinary) {
      binary.run();
    } else if (isTooLarge) {
      tooLarge.run();
    } else {
      Buffer message = sofar;
      sofar = null;
      text.accept(message);
    }
  }
}
