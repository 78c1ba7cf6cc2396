package io.parley.inference.llm;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * An incremental parser of the <a href="https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation">
 * text/event-stream</a> format, fed bytes as they arrive. Lines end with LF, CR or CRLF (even when a
 * CRLF is split across two chunks); {@code data} fields of one event are joined with LF and the event
 * is dispatched at the blank line that ends it; comments ({@code :...}) and other fields are ignored.
 * Lines are decoded as UTF-8 only when complete, so a character split across chunks is intact.
 *
 * <p>Bounded: a line longer than {@link #MAX_LINE_BYTES} or an event with more than
 * {@link #MAX_EVENT_CHARS} of data is a {@link SseException}.
 */
final class SseParser {

  /** Longest line accepted (a chat chunk is a few hundred bytes). */
  static final int MAX_LINE_BYTES = 1 << 20;
  static final int MAX_EVENT_CHARS = 1 << 20;

  /** The stream broke the format or a limit. */
  static final class SseException extends RuntimeException {
    SseException(String message) {
      super(message);
    }
  }

  private final Consumer<String> onEvent;
  private byte[] line = new byte[256];
  private int lineLength;
  private boolean lastWasCr;
  private boolean firstLine = true;
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;

  SseParser(Consumer<String> onEvent) {
    this.onEvent = onEvent;
  }

  void feed(Buffer chunk) {
    for (int i = 0, n = chunk.length(); i < n; i++) {
      byte b = chunk.getByte(i);
      if (b == '\n' && lastWasCr) {
        lastWasCr = false;
        continue;
      }
      lastWasCr = b == '\r';
      if (b == '\n' || b == '\r') {
        endLine();
      } else {
        if (lineLength == MAX_LINE_BYTES) {
          throw new SseException("a line is longer than " + MAX_LINE_BYTES + " bytes");
        }
        if (lineLength == line.length) {
          line = java.util.Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, line.length * 2));
        }
        line[lineLength++] = b;
      }
    }
  }

  /** True when the stream ended in the middle of a line or an event. */
  boolean hasPartialEvent() {
    return lineLength > 0 || hasData;
  }

  private void endLine() {
    String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
    lineLength = 0;
    if (line.length > 4096) {
      line = new byte[256];
    }
    if (firstLine) {
      firstLine = false;
      if (text.startsWith("\uFEFF")) {
        text = text.substring(1);
      }
    }
    if (text.isEmpty()) {
      if (hasData) {
        String event = data.toString();
        data.setLength(0);
        hasData = false;
        onEvent.accept(event);
      }
      return;
    }
    if (text.charAt(0) == ':') {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    if (!field.equals("data")) {
      return;
    }
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (hasData) {
      data.append('\n');
    }
    if (data.length() + value.length() > MAX_EVENT_CHARS) {
      throw new SseException("an event is longer than " + MAX_EVENT_CHARS + " characters");
    }
    data.append(value);
    hasData = true;
  }
}
