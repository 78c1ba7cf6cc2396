package io.parley.api.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded mutations of valid JSON messages, for the socket fuzz tests: most stay JSON with a value
 * swapped for one of another type or size, a key dropped or added, the type renamed; some are broken
 * as text (cut, characters flipped or inserted, invalid UTF-8). The same seed gives the same frames.
 */
public final class JsonFuzzer {

  /** One frame to send: text, or binary when {@code binary} is set. */
  public record Frame(String text, byte[] binary) {
    public boolean isBinary() {
      return binary != null;
    }

    /** What the frame was, short, for a failure message. */
    public String shown() {
      String s = isBinary() ? "binary " + binary.length + " bytes" : text;
      return s.length() > 300 ? s.substring(0, 300) + "... (" + s.length() + " chars)" : s;
    }
  }

  private static final String[] ODD_STRINGS = {
      "", " ", "\u0000", "a\u0000b", "\uFFFF", "\uFFFE", "💥", "\u202Etxt", "null", "true", "-1", "NaN",
      "1e309", "../../etc/passwd", "<script>", "'; DROP TABLE users; --", "%s%n%x", "\r\n\r\n", "\\", "\"",
      "00000000-0000-0000-0000-000000000000", "item_" + "9".repeat(40), "audio/pcmu", "server_vad", "semantic_vad",
  };

  /** Stands for a value nested thousands deep, written into the text after encoding. */
  private static final String DEEP = "__fuzz_deep__";

  private final SplittableRandom random;
  private final List<String> types;

  /** {@code types}: the message types the protocol knows, used to rename one message into another. */
  public JsonFuzzer(long seed, List<String> types) {
    this.random = new SplittableRandom(seed);
    this.types = List.copyOf(types);
  }

  public int nextInt(int bound) {
    return random.nextInt(bound);
  }

  /** A mutated copy of {@code seed} as a frame. */
  public Frame mutate(JsonObject seed) {
    int roll = random.nextInt(100);
    if (roll < 2) {
      return new Frame(null, randomBytes(1 + random.nextInt(256)));
    }
    JsonObject copy = seed.copy();
    int edits = 1 + random.nextInt(3);
    for (int i = 0; i < edits; i++) {
      edit(copy);
    }
    String text = copy.encode();
    int deep = text.indexOf(DEEP);
    if (deep >= 0) { // nested as text: encoding it as JSON values would overflow this thread's stack
      int depth = 200 + random.nextInt(3000);
      text = text.substring(0, deep - 1) + "[".repeat(depth) + "]".repeat(depth) + text.substring(deep + DEEP.length() + 1);
    }
    if (roll < 14) {
      text = wellFormed(breakText(text));
    }
    return new Frame(text, null);
  }

  private void edit(JsonObject root) {
    List<Object[]> slots = new ArrayList<>(); // {container, key or index}
    collect(root, slots, 0);
    if (slots.isEmpty()) {
      root.put("type", types.get(random.nextInt(types.size())));
      return;
    }
    switch (random.nextInt(6)) {
      case 0, 1 -> {
        Object[] slot = slots.get(random.nextInt(slots.size()));
        set(slot, value(0));
      }
      case 2 -> {
        Object[] slot = slots.get(random.nextInt(slots.size()));
        if (slot[0] instanceof JsonObject o) {
          o.remove((String) slot[1]);
        } else if (slot[0] instanceof JsonArray a && (int) slot[1] < a.size()) {
          a.remove((int) slot[1]);
        }
      }
      case 3 -> {
        JsonObject target = root;
        for (Object[] slot : slots) {
          if (get(slot) instanceof JsonObject o && random.nextInt(3) == 0) {
            target = o;
          }
        }
        target.put(random.nextInt(4) == 0 ? "type" : "x_" + random.nextInt(1000), value(0));
      }
      case 4 -> root.put("type", random.nextInt(8) == 0 ? value(0) : types.get(random.nextInt(types.size())));
      default -> {
        Object[] slot = slots.get(random.nextInt(slots.size()));
        set(slot, random.nextInt(8) == 0 ? DEEP : nested(1 + random.nextInt(20)));
      }
    }
  }

  private static void collect(Object node, List<Object[]> slots, int depth) {
    if (depth > 16) {
      return;
    }
    if (node instanceof JsonObject o) {
      for (String key : List.copyOf(o.fieldNames())) {
        slots.add(new Object[] {o, key});
        collect(o.getValue(key), slots, depth + 1);
      }
    } else if (node instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        slots.add(new Object[] {a, i});
        collect(a.getValue(i), slots, depth + 1);
      }
    }
  }

  private static Object get(Object[] slot) {
    return slot[0] instanceof JsonObject o ? o.getValue((String) slot[1]) : ((JsonArray) slot[0]).getValue((int) slot[1]);
  }

  private static void set(Object[] slot, Object value) {
    if (slot[0] instanceof JsonObject o) {
      o.put((String) slot[1], value);
    } else {
      ((JsonArray) slot[0]).set((int) slot[1], value);
    }
  }

  /** A random JSON value: scalars of every kind and size, small arrays and objects. */
  private Object value(int depth) {
    return switch (random.nextInt(depth > 2 ? 9 : 12)) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> random.nextInt();
      case 3 -> switch (random.nextInt(6)) {
        case 0 -> Long.MAX_VALUE;
        case 1 -> Long.MIN_VALUE;
        case 2 -> -0.0;
        case 3 -> Double.MAX_VALUE;
        case 4 -> 1e-300;
        default -> random.nextDouble() * 1e6 - 5e5;
      };
      case 4, 5 -> ODD_STRINGS[random.nextInt(ODD_STRINGS.length)];
      case 6 -> randomString(1 + random.nextInt(40));
      case 7 -> "x".repeat(random.nextInt(10) == 0 ? 70_000 : 1 + random.nextInt(2000));
      case 8 -> types.get(random.nextInt(types.size()));
      case 9 -> {
        JsonArray a = new JsonArray();
        for (int i = random.nextInt(4); i > 0; i--) {
          a.add(value(depth + 1));
        }
        yield a;
      }
      default -> {
        JsonObject o = new JsonObject();
        for (int i = random.nextInt(4); i > 0; i--) {
          o.put(random.nextInt(3) == 0 ? "type" : "k" + random.nextInt(20), value(depth + 1));
        }
        yield o;
      }
    };
  }

  private Object nested(int depth) {
    Object v = random.nextBoolean() ? new JsonArray() : new JsonObject();
    for (int i = 0; i < depth; i++) {
      v = random.nextBoolean() ? new JsonArray().add(v) : new JsonObject().put("a", v);
    }
    return v;
  }

  private String randomString(int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      // Any character of the BMP but the surrogates (a lone one cannot be sent as UTF-8 text).
      int c = random.nextInt(4) == 0 ? random.nextInt(0x10000 - 0x800) : 0x20 + random.nextInt(0x5F);
      b.append((char) (c >= 0xD800 ? c + 0x800 : c));
    }
    return b.toString();
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /**
   * {@code text} with each half of a surrogate pair that a cut left alone replaced by U+FFFD: a text
   * frame is UTF-8, and a lone surrogate cannot be encoded (the client refuses to send it).
   */
  private static String wellFormed(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        b.append(c).append(text.charAt(++i));
      } else {
        b.append(Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return b.toString();
  }

  /** The text broken as JSON or as UTF-8: cut, a character replaced, garbage inserted, or doubled. */
  private String breakText(String text) {
    int at = text.isEmpty() ? 0 : random.nextInt(text.length());
    return switch (random.nextInt(5)) {
      case 0 -> text.substring(0, at);
      case 1 -> text.substring(0, at) + "{}[]\":,\\"
          .charAt(random.nextInt(8)) + text.substring(Math.min(text.length(), at + 1));
      case 2 -> text.substring(0, at) + randomString(1 + random.nextInt(8)) + text.substring(at);
      case 3 -> text + text;
      default -> new String(randomBytes(1 + random.nextInt(64)), StandardCharsets.ISO_8859_1) + text;
    };
  }
}
