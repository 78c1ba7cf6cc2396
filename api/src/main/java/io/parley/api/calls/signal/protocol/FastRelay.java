package io.parley.api.calls.signal.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.parley.api.calls.signal.protocol.ClientMessage.Field;
import io.parley.api.calls.signal.protocol.ClientMessage.Type;
import java.io.IOException;

/**
 * The codec's verbatim path: recognises, by streaming over the text once without building objects
 * or copying the SDP, a message that may be forwarded exactly as the client wrote it — one JSON
 * object of a {@link Type#verbatim() verbatim} type with only {@code type} and that type's
 * {@link Field} (of the value that field must have), and nothing after it. Anything else (a client
 * {@code id}, other types, other fields, any doubt) returns null and takes the full decode, which
 * gives the precise error.
 */
final class FastRelay {

  private static final JsonFactory JSON = new JsonFactory();

  private FastRelay() {}

  /** The message's type when it can be forwarded as sent, else null. */
  static Type scan(String text) {
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String type = null;
      int seen = 0;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (name.equals("type")) {
          if (type != null || v != JsonToken.VALUE_STRING) {
            return null;
          }
          type = p.getText();
          continue;
        }
        Field field = Field.of(name);
        if (field == null || (seen & (1 << field.ordinal())) != 0 || !acceptable(field, v, p, text)) {
          return null;
        }
        seen |= 1 << field.ordinal();
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null || type == null) {
        return null;
      }
      Type kind = Type.of(type);
      if (kind == null || !kind.verbatim()) {
        return null;
      }
      int own = 1 << kind.field().ordinal();
      boolean ok = (seen & ~own) == 0 && (!kind.fieldRequired() || seen == own);
      return ok ? kind : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static boolean acceptable(Field field, JsonToken v, JsonParser p, String text) throws IOException {
    return switch (field) {
      // Non-empty without decoding it: the value's first character after its opening quote is not
      // the closing quote. The parser then skips (and still validates) the string instead of
      // copying ~3 KB of SDP into its buffer; that copy was a fifth of the relay's CPU.
      case SDP -> v == JsonToken.VALUE_STRING && !emptyString(text, p.currentTokenLocation().getCharOffset());
      case CANDIDATE -> {
        if (v == JsonToken.START_OBJECT) {
          p.skipChildren();
          yield true;
        }
        yield v == JsonToken.VALUE_NULL;
      }
      case REASON -> v == JsonToken.VALUE_STRING;
    };
  }

  /** Whether the string token starting at {@code at} (its opening quote) is {@code ""}; true when unsure. */
  private static boolean emptyString(String text, long at) {
    return at < 0 || at + 1 >= text.length() || text.charAt((int) at) != '"' || text.charAt((int) at + 1) == '"';
  }
}
