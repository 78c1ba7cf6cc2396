package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames put together into messages: whole and fragmented text, binary, too large, control frames between fragments. */
class MessageFramesTest {

  private final List<String> heard = new ArrayList<>();
  private final MessageFrames frames = new MessageFrames(16, utf8 -> heard.add("text " + utf8),
      () -> heard.add("too large"), () -> heard.add("binary"));

  @Test
  void aWholeTextFrameIsAMessageAsItsBytes() {
    frames.handle(WebSocketFrame.textFrame("{\"a\":\"\u00e9\"}", true));
    assertThat(heard).containsExactly("text {\"a\":\"\u00e9\"}");
  }

  @Test
  void fragmentsMakeOneMessageWhateverControlFramesComeBetween() {
    frames.handle(WebSocketFrame.textFrame("{\"a\"", false));
    frames.handle(WebSocketFrame.pingFrame(Buffer.buffer("p")));
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer(":"), false));
    frames.handle(WebSocketFrame.pongFrame(Buffer.buffer("p")));
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer("1}"), true));
    frames.handle(WebSocketFrame.textFrame("", true));
    assertThat(heard).containsExactly("text {\"a\":1}", "text ");
  }

  @Test
  void aMessageBeyondTheLimitIsReportedOnceWhenItEnds() {
    frames.handle(WebSocketFrame.textFrame("0123456789", false));
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer("0123456789"), false));
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer("0123456789"), false));
    assertThat(heard).isEmpty();
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer("x"), true));
    frames.handle(WebSocketFrame.textFrame("0123456789abcdef", true));
    frames.handle(WebSocketFrame.textFrame("0123456789abcdefg", true));
    assertThat(heard).containsExactly("too large", "text 0123456789abcdef", "too large");
  }

  @Test
  void aBinaryMessageIsReportedOnceWhenItEnds() {
    frames.handle(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[] {1, 2}), false));
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer(new byte[40]), true));
    frames.handle(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[] {3}), true));
    frames.handle(WebSocketFrame.textFrame("{}", true));
    assertThat(heard).containsExactly("binary", "binary", "text {}");
  }

  @Test
  void aContinuationWithoutAMessageIsIgnored() {
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer("x"), true));
    frames.handle(WebSocketFrame.textFrame("{}", true));
    frames.handle(WebSocketFrame.continuationFrame(Buffer.buffer("y"), true));
    assertThat(heard).containsExactly("text {}");
  }
}
