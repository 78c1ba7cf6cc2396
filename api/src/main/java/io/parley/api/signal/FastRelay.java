package io.parley.api.signal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The relay's hot path: recognises, by streaming over the text once without building objects or
 * copying the SDP, a message that may be forwarded exactly as the client wrote it — one JSON object
 * with only the documented fields of offer/answer (non-empty {@code sdp}), candidate (an object or
 * null) or renegotiate (an optional string {@code reason}), and nothing after it. Anything else
 * (a client {@code id}, other types, other fields, any doubt) returns null and takes the full
 * validation path, which gives the precise error.
 */
final class FastRelay {

  private static final JsonFactory JSON = new JsonFactory();

  private FastRelay() {}

  /** The message's type when it can be forwarded as sent, else null. */
  static String scan(String text) {
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String type = null;
      boolean sdp = false;
      boolean candidate = false;
      boolean reason = false;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "type" -> {
            if (type != null || v != JsonToken.VALUE_STRING) {
              return null;
            }
            type = p.getText();
          }
          case "sdp" -> {
            // Non-empty without decoding it: the value's first character after its opening quote
            // is not the closing quote. The parser then skips (and still validates) the string
            // instead of copying ~3 KB of SDP into its buffer; that copy was a fifth of the relay's CPU.
            if (sdp || v != JsonToken.VALUE_STRING || emptyString(text, p.currentTokenLocation().getCharOffset())) {
              return null;
            }
            sdp = true;
          }
          case "candidate" -> {
            if (candidate) {
              return null;
            }
            if (v == JsonToken.START_OBJECT) {
              p.skipChildren();
            } else if (v != JsonToken.VALUE_NULL) {
              return null;
            }
            candidate = true;
          }
          case "reason" -> {
            if (reason || v != JsonToken.VALUE_STRING) {
              return null;
            }
            reason = true;
          }
          default -> {
            return null;
          }
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null || type == null) {
        return null;
      }
      boolean ok = switch (type) {
        case "offer", "answer" -> sdp && !candidate && !reason;
        case "candidate" -> candidate && !sdp && !reason;
        case "renegotiate" -> !sdp && !candidate;
        default -> false;
      };
      return ok ? type : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Whether the string token starting at {@code at} (its opening quote) is {@code ""}; true when unsure. */
  private static boolean emptyString(String text, long at) {
    return at < 0 || at + 1 >= text.length() || text.charAt((int) at) != '"' || text.charAt((int) at + 1) == '"';
  }
}
