package io.parley.api.calls.signal.protocol;

import io.parley.api.calls.signal.protocol.ClientMessage.Field;
import io.parley.api.calls.signal.protocol.ClientMessage.Type;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The codec's verbatim path: recognises a message that may be forwarded exactly as the client wrote
 * it — one JSON object (RFC 8259) of a {@link Type#verbatim() verbatim} type with only {@code type}
 * and that type's {@link Field} (of the value that field must have), and nothing after it — in one
 * pass over its UTF-8 bytes, without building objects. Anything else (a client {@code id}, other
 * types, other fields, a name or type written with escapes, bytes that are not well-formed UTF-8,
 * any doubt) returns null and takes the full decode, which gives the precise error. What it
 * accepts, a strict JSON parser reads as the same message, and a UTF-8 decoder as the same text:
 * strings are checked escape by escape and character by character, a candidate object value by
 * value.
 *
 * <p>One instance scans one message; it is not reused.
 */
final class FastRelay {

  /** Objects and arrays nested inside a candidate, at most; deeper ones take the full decode. */
  static final int MAX_DEPTH = 32;
  /** Characters of one number, at most (the full parser's own limit is 1000 digits). */
  static final int MAX_NUMBER_CHARS = 1000;

  private static final Type[] VERBATIM = {Type.OFFER, Type.ANSWER, Type.CANDIDATE, Type.RENEGOTIATE};
  private static final Field[] FIELDS = Field.values();
  private static final byte[][] TYPE_NAMES = new byte[VERBATIM.length][];
  private static final byte[][] FIELD_NAMES = new byte[FIELDS.length][];
  private static final byte[] TYPE = ascii("type");
  private static final byte[] TRUE = ascii("true");
  private static final byte[] FALSE = ascii("false");
  private static final byte[] NULL = ascii("null");

  static {
    for (int i = 0; i < VERBATIM.length; i++) {
      TYPE_NAMES[i] = ascii(VERBATIM[i].wire());
    }
    for (int i = 0; i < FIELDS.length; i++) {
      FIELD_NAMES[i] = ascii(FIELDS[i].wire());
    }
  }

  /** Eight bytes of the message at a time, for {@link #stringEnd}. */
  private static final VarHandle EIGHT = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long QUOTES = ONES * '"';
  private static final long BACKSLASHES = ONES * '\\';
  private static final long SPACES = ONES * ' ';

  private final byte[] b;
  private final int end;
  private int at;

  private FastRelay(byte[] utf8, int from, int to) {
    this.b = utf8;
    this.at = from;
    this.end = to;
  }

  /** The message in {@code utf8} from {@code from} to {@code to}, when it can be forwarded as sent; else null. */
  static SignalCodec.Verbatim scan(byte[] utf8, int from, int to) {
    return new FastRelay(utf8, from, to).message();
  }

  private SignalCodec.Verbatim message() {
    skipSpace();
    if (!take('{')) {
      return null;
    }
    int fields = at;
    Type type = null;
    int seen = 0;
    do {
      skipSpace();
      int name = plainString();
      int nameEnd = at - 1;
      if (name < 0 || !next(':')) {
        return null;
      }
      skipSpace();
      if (is(name, nameEnd, TYPE)) {
        if (type != null || (type = verbatimType()) == null) {
          return null;
        }
        continue;
      }
      int field = find(name, nameEnd, FIELD_NAMES);
      if (field < 0 || (seen & (1 << field)) != 0 || !value(FIELDS[field])) {
        return null;
      }
      seen |= 1 << field;
    } while (next(','));
    if (!take('}')) {
      return null;
    }
    skipSpace();
    if (at != end || type == null) {
      return null;
    }
    int own = 1 << type.field().ordinal();
    boolean documented = (seen & ~own) == 0 && (!type.fieldRequired() || seen == own);
    return documented ? new SignalCodec.Verbatim(type, b, fields, end) : null;
  }

  private boolean value(Field field) {
    return switch (field) {
      case SDP -> {
        int from = at;
        yield string() && at - from > 2;
      }
      case CANDIDATE -> peek() == '{' ? object(1) : literal(NULL);
      case REASON -> string();
    };
  }

  /** The verbatim type named by the string at {@link #at}, written without escapes; else null. */
  private Type verbatimType() {
    int name = plainString();
    int i = name < 0 ? -1 : find(name, at - 1, TYPE_NAMES);
    return i < 0 ? null : VERBATIM[i];
  }

  private int find(int from, int to, byte[][] names) {
    for (int i = 0; i < names.length; i++) {
      if (is(from, to, names[i])) {
        return i;
      }
    }
    return -1;
  }

  /** Whether the bytes from {@code from} to {@code to} (exclusive) are {@code name}. */
  private boolean is(int from, int to, byte[] name) {
    if (to - from != name.length) {
      return false;
    }
    for (int i = 0; i < name.length; i++) {
      if (b[from + i] != name[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * A string without escapes (a name or a type): its content's start, {@link #at} after its closing
   * quote; -1 when there is none, or it has an escape.
   */
  private int plainString() {
    if (!take('"')) {
      return -1;
    }
    int from = at;
    int stop = stringEnd(from);
    if (stop >= end || b[stop] != '"') {
      return -1;
    }
    at = stop + 1;
    return from;
  }

  /** A JSON string: every escape valid, no control character; {@link #at} after its closing quote. */
  private boolean string() {
    if (!take('"')) {
      return false;
    }
    int i = at;
    while (true) {
      i = stringEnd(i);
      if (i >= end) {
        return false;
      }
      byte c = b[i++];
      if (c == '"') {
        at = i;
        return true;
      }
      if (c < 0) {
        i = character(i - 1);
        if (i < 0) {
          return false;
        }
        continue;
      }
      if (c != '\\' || i >= end) {
        return false; // a control character, or a backslash at the end
      }
      byte e = b[i++];
      if (e == 'u') {
        if (i + 4 > end || !hex(b[i]) || !hex(b[i + 1]) || !hex(b[i + 2]) || !hex(b[i + 3])) {
          return false;
        }
        i += 4;
      } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
        return false;
      }
    }
  }

  /**
   * The first quote, backslash, control character or byte of a multi-byte character from {@code i}
   * on, or {@link #end}. Eight bytes at a time (SWAR): SDP is kilobytes of plain ASCII between
   * escaped line ends. For each byte, {@code (x - 1) & ~x} has its high bit set when x was 0 (x is
   * the byte xor a quote or a backslash), {@code (byte - 0x20) & ~byte} when the byte is below 0x20,
   * the byte itself when it is 0x80 or above; a borrow may only mark bytes above one that is marked
   * for real, so the lowest mark is exact.
   */
  private int stringEnd(int i) {
    for (; i + 8 <= end; i += 8) {
      long w = (long) EIGHT.get(b, i);
      long q = w ^ QUOTES;
      long s = w ^ BACKSLASHES;
      long marks = ((q - ONES) & ~q | (s - ONES) & ~s | (w - SPACES) & ~w | w) & HIGHS;
      if (marks != 0) {
        return i + (Long.numberOfTrailingZeros(marks) >>> 3);
      }
    }
    for (; i < end; i++) {
      byte c = b[i];
      if (c == '"' || c == '\\' || c < 0x20) {
        return i;
      }
    }
    return end;
  }

  /**
   * After the well-formed UTF-8 character (RFC 3629: no overlong form, no surrogate, at most
   * U+10FFFF) of two to four bytes that starts at {@code i}; -1 when there is none.
   */
  private int character(int i) {
    int lead = b[i] & 0xFF;
    int n;
    int min = 0x80;
    int max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      n = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      n = 2;
      min = lead == 0xE0 ? 0xA0 : 0x80;
      max = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      n = 3;
      min = lead == 0xF0 ? 0x90 : 0x80;
      max = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
      return -1;
    }
    if (i + n >= end) {
      return -1;
    }
    int second = b[i + 1] & 0xFF;
    if (second < min || second > max) {
      return -1;
    }
    for (int k = 2; k <= n; k++) {
      if ((b[i + k] & 0xC0) != 0x80) {
        return -1;
      }
    }
    return i + n + 1;
  }

  private static boolean hex(byte c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** Any JSON value, {@code depth} containers deep. */
  private boolean anyValue(int depth) {
    return switch (peek()) {
      case '{' -> object(depth + 1);
      case '[' -> container(depth + 1, '[', ']');
      case '"' -> string();
      case 't' -> literal(TRUE);
      case 'f' -> literal(FALSE);
      case 'n' -> literal(NULL);
      default -> number();
    };
  }

  private boolean object(int depth) {
    return container(depth, '{', '}');
  }

  /** An object or an array: its members ({@code "name": value} in an object) between commas. */
  private boolean container(int depth, char open, char close) {
    if (depth > MAX_DEPTH || !take(open)) {
      return false;
    }
    if (next(close)) {
      return true;
    }
    do {
      skipSpace();
      if (open == '{' && (!string() || !next(':'))) {
        return false;
      }
      skipSpace();
      if (!anyValue(depth)) {
        return false;
      }
    } while (next(','));
    return take(close);
  }

  /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
  private boolean number() {
    int from = at;
    take('-');
    if (!take('0') && digits() == 0) {
      return false;
    }
    if (take('.') && digits() == 0) {
      return false;
    }
    if (take('e') || take('E')) {
      if (!take('+')) {
        take('-');
      }
      if (digits() == 0) {
        return false;
      }
    }
    return at - from <= MAX_NUMBER_CHARS;
  }

  private int digits() {
    int from = at;
    while (at < end && b[at] >= '0' && b[at] <= '9') {
      at++;
    }
    return at - from;
  }

  private boolean literal(byte[] word) {
    if (end - at < word.length || !is(at, at + word.length, word)) {
      return false;
    }
    at += word.length;
    return true;
  }

  /** Skips spaces, then takes {@code c} if it comes next. */
  private boolean next(char c) {
    skipSpace();
    return take(c);
  }

  private void skipSpace() {
    while (at < end && (b[at] == ' ' || b[at] == '\n' || b[at] == '\r' || b[at] == '\t')) {
      at++;
    }
  }

  private int peek() {
    return at < end ? b[at] : -1;
  }

  private boolean take(char c) {
    if (at < end && b[at] == c) {
      at++;
      return true;
    }
    return false;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
