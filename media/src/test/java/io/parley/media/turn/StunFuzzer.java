package io.parley.media.turn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.ChannelData;
import io.parley.media.turn.codec.Fingerprint;
import io.parley.media.turn.codec.MessageIntegrity;
import io.parley.media.turn.codec.StunAttribute;
import io.parley.media.turn.codec.StunAttributeType;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunDecoder;
import io.parley.media.turn.codec.StunEncoder;
import io.parley.media.turn.codec.StunException;
import io.parley.media.turn.codec.StunMessage;
import io.parley.media.turn.codec.StunMethod;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded generator of hostile STUN/TURN input: mutations of captured valid requests (bit flips,
 * byte overwrites, truncation, extension, header length lies, attribute length and type lies,
 * duplicated and removed attributes, splices), optionally re-signed with the right key and
 * re-fingerprinted so that mutations get past MESSAGE-INTEGRITY and FINGERPRINT into the request
 * handlers; random ChannelData headers; random bytes; random well-framed STUN messages; Allocate
 * requests with hostile USERNAME/REALM/NONCE values. The same seed gives the same sequence.
 */
final class StunFuzzer {

  /** A captured message and the key it was signed with (null when unsigned). */
  record Seed(byte[] bytes, byte[] key) {}

  private static final int[] INTERESTING_TYPES = {
      StunAttributeType.MAPPED_ADDRESS, StunAttributeType.USERNAME, StunAttributeType.MESSAGE_INTEGRITY,
      StunAttributeType.ERROR_CODE, StunAttributeType.UNKNOWN_ATTRIBUTES, StunAttributeType.CHANNEL_NUMBER,
      StunAttributeType.LIFETIME, StunAttributeType.XOR_PEER_ADDRESS, StunAttributeType.DATA, StunAttributeType.REALM,
      StunAttributeType.NONCE, StunAttributeType.XOR_RELAYED_ADDRESS, StunAttributeType.REQUESTED_ADDRESS_FAMILY,
      StunAttributeType.EVEN_PORT, StunAttributeType.REQUESTED_TRANSPORT, StunAttributeType.DONT_FRAGMENT,
      StunAttributeType.MESSAGE_INTEGRITY_SHA256, StunAttributeType.PASSWORD_ALGORITHM, StunAttributeType.USERHASH,
      StunAttributeType.XOR_MAPPED_ADDRESS, StunAttributeType.RESERVATION_TOKEN, StunAttributeType.PRIORITY,
      StunAttributeType.USE_CANDIDATE, StunAttributeType.SOFTWARE, StunAttributeType.FINGERPRINT,
      StunAttributeType.ICE_CONTROLLED, StunAttributeType.ICE_CONTROLLING, 0x0000, 0x7777, 0x7FFF, 0x8000, 0xFFFF};
  private static final int[] METHODS = {StunMethod.BINDING, StunMethod.ALLOCATE, StunMethod.REFRESH, StunMethod.SEND,
      StunMethod.DATA, StunMethod.CREATE_PERMISSION, StunMethod.CHANNEL_BIND, 0x000, 0x00A, 0xFFF};
  private static final int[] INTERESTING_LENGTHS = {0, 1, 2, 3, 4, 5, 7, 8, 12, 16, 19, 20, 21, 24, 32, 64, 255, 256,
      508, 509, 513, 763, 764, 1024, 4092, 4096, 4097, 0x7FFF, 0xFFFC, 0xFFFF};
  private static final long[] INTERESTING_EXPIRIES = {Long.MAX_VALUE, Long.MIN_VALUE, 0, -1, 1,
      31_556_889_864_403_199L, 31_556_889_864_403_200L, -31_557_014_167_219_200L, -31_557_014_167_219_201L,
      99_999_999_999_999_999L, 4_102_444_800L};

  private final SplittableRandom random;
  private final List<Seed> corpus;
  private final byte[] validKey;
  private final String validNonce;
  private final String realm;

  StunFuzzer(long seed, List<Seed> corpus, byte[] validKey, String validNonce, String realm) {
    this.random = new SplittableRandom(seed);
    this.corpus = List.copyOf(corpus);
    this.validKey = validKey;
    this.validNonce = validNonce;
    this.realm = realm;
  }

  /** The next input: mostly mutated captures, the rest generated. */
  byte[] next() {
    int dice = random.nextInt(100);
    if (dice < 62) {
      return mutated();
    } else if (dice < 72) {
      return channelData();
    } else if (dice < 80) {
      return randomBytes(random.nextInt(1, 300));
    } else if (dice < 90) {
      return randomStun();
    } else {
      return hostileCredentials();
    }
  }

  /**
   * An input that the server must count as malformed over UDP: neither STUN nor ChannelData by its
   * first bits, or STUN by header whose framing does not decode. Checked with the codec.
   */
  byte[] invalid() {
    while (true) {
      byte[] p = random.nextBoolean() ? notStunNorChannelData() : mutated();
      if (malformed(p)) {
        return p;
      }
    }
  }

  static boolean malformed(byte[] p) {
    ByteBuf buf = Unpooled.wrappedBuffer(p);
    if (ChannelData.isChannelData(buf)) {
      return false;
    }
    if (!StunDecoder.isStun(buf)) {
      return true;
    }
    try {
      StunDecoder.decode(buf);
      return false;
    } catch (StunException e) {
      return true;
    }
  }

  private byte[] notStunNorChannelData() {
    byte[] p = randomBytes(random.nextInt(1, 200));
    if (p.length >= 4) {
      p[0] = (byte) (0x80 | random.nextInt(0x80)); // first bits 10 or 11
    }
    return p;
  }

  // --- mutations ---------------------------------------------------------------------------------

  byte[] mutated() {
    Seed seed = corpus.get(random.nextInt(corpus.size()));
    byte[] p = seed.bytes().clone();
    int rounds = 1 + (random.nextInt(4) == 0 ? random.nextInt(3) : 0);
    for (int i = 0; i < rounds; i++) {
      p = mutate(p);
    }
    if (seed.key() != null && random.nextInt(3) != 0) {
      resign(p, seed.key());
    }
    if (random.nextInt(3) != 0) {
      refingerprint(p);
    }
    return p;
  }

  private byte[] mutate(byte[] p) {
    switch (random.nextInt(11)) {
      case 0 -> {
        for (int n = random.nextInt(1, 9); n > 0 && p.length > 0; n--) {
          int i = random.nextInt(p.length);
          p[i] ^= (byte) (1 << random.nextInt(8));
        }
        return p;
      }
      case 1 -> {
        for (int n = random.nextInt(1, 5); n > 0 && p.length > 0; n--) {
          p[random.nextInt(p.length)] = (byte) new int[] {0x00, 0xFF, 0x7F, 0x80, 0x40, 0x01}[random.nextInt(6)];
        }
        return p;
      }
      case 2 -> {
        return Arrays.copyOf(p, random.nextInt(p.length + 1));
      }
      case 3 -> {
        byte[] tail = randomBytes(random.nextInt(1, 65));
        byte[] out = Arrays.copyOf(p, p.length + tail.length);
        System.arraycopy(tail, 0, out, p.length, tail.length);
        return out;
      }
      case 4 -> {
        if (p.length >= 4) {
          int length = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(0x10000);
            case 1 -> INTERESTING_LENGTHS[random.nextInt(INTERESTING_LENGTHS.length)];
            case 2 -> Math.max(0, p.length - 20 + 4 * random.nextInt(-3, 4));
            default -> Math.max(0, p.length - 20 + random.nextInt(-3, 4));
          };
          setU16(p, 2, length);
        }
        return p;
      }
      case 5 -> {
        List<int[]> attrs = attributes(p);
        if (!attrs.isEmpty()) {
          int[] a = attrs.get(random.nextInt(attrs.size()));
          int length = random.nextBoolean() ? INTERESTING_LENGTHS[random.nextInt(INTERESTING_LENGTHS.length)]
              : Math.max(0, u16(p, a[0] + 2) + random.nextInt(-8, 9));
          setU16(p, a[0] + 2, length);
        }
        return p;
      }
      case 6 -> {
        List<int[]> attrs = attributes(p);
        if (!attrs.isEmpty()) {
          int[] a = attrs.get(random.nextInt(attrs.size()));
          setU16(p, a[0], random.nextInt(4) == 0 ? random.nextInt(0x10000)
              : INTERESTING_TYPES[random.nextInt(INTERESTING_TYPES.length)]);
        }
        return p;
      }
      case 7 -> {
        // Duplicate an attribute, at its place or at another attribute boundary.
        List<int[]> attrs = attributes(p);
        if (attrs.isEmpty()) {
          return p;
        }
        int[] a = attrs.get(random.nextInt(attrs.size()));
        int at = random.nextBoolean() ? a[0] + a[1] : attrs.get(random.nextInt(attrs.size()))[0];
        byte[] out = new byte[p.length + a[1]];
        System.arraycopy(p, 0, out, 0, at);
        System.arraycopy(p, a[0], out, at, a[1]);
        System.arraycopy(p, at, out, at + a[1], p.length - at);
        if (random.nextInt(5) != 0) {
          setU16(out, 2, out.length - StunMessage.HEADER_SIZE);
        }
        return out;
      }
      case 8 -> {
        List<int[]> attrs = attributes(p);
        if (attrs.isEmpty()) {
          return p;
        }
        int[] a = attrs.get(random.nextInt(attrs.size()));
        byte[] out = new byte[p.length - a[1]];
        System.arraycopy(p, 0, out, 0, a[0]);
        System.arraycopy(p, a[0] + a[1], out, a[0], p.length - a[0] - a[1]);
        if (random.nextInt(5) != 0 && out.length >= 4) {
          setU16(out, 2, out.length - StunMessage.HEADER_SIZE);
        }
        return out;
      }
      case 9 -> {
        byte[] other = corpus.get(random.nextInt(corpus.size())).bytes();
        int cut = random.nextInt(p.length + 1);
        int from = random.nextInt(other.length + 1);
        byte[] out = Arrays.copyOf(p, cut + other.length - from);
        System.arraycopy(other, from, out, cut, other.length - from);
        return out;
      }
      default -> {
        // Change method or class, keeping the rest.
        if (p.length >= 2) {
          int method = METHODS[random.nextInt(METHODS.length)];
          StunClass cls = StunClass.ofBits(random.nextInt(4));
          setU16(p, 0, StunMessage.messageType(method, cls));
        }
        return p;
      }
    }
  }

  /** {offset, size with padding} of each attribute header that fits in the bytes, leniently. */
  private static List<int[]> attributes(byte[] p) {
    List<int[]> out = new ArrayList<>();
    int pos = StunMessage.HEADER_SIZE;
    while (pos + 4 <= p.length) {
      int size = 4 + ((u16(p, pos + 2) + 3) & ~3);
      if (pos + size > p.length) {
        break;
      }
      out.add(new int[] {pos, size});
      pos += size;
    }
    return out;
  }

  /** Recomputes MESSAGE-INTEGRITY, wherever a well-sized one sits, with the right key. */
  private static void resign(byte[] p, byte[] key) {
    for (int[] a : attributes(p)) {
      if (u16(p, a[0]) == StunAttributeType.MESSAGE_INTEGRITY && u16(p, a[0] + 2) == MessageIntegrity.SIZE) {
        byte[] mac = MessageIntegrity.compute(key, p, a[0]);
        System.arraycopy(mac, 0, p, a[0] + 4, MessageIntegrity.SIZE);
        return;
      }
    }
  }

  /** Recomputes a FINGERPRINT, wherever a well-sized one sits. */
  private static void refingerprint(byte[] p) {
    for (int[] a : attributes(p)) {
      if (u16(p, a[0]) == StunAttributeType.FINGERPRINT && u16(p, a[0] + 2) == Fingerprint.SIZE) {
        int crc = Fingerprint.compute(p, a[0]);
        p[a[0] + 4] = (byte) (crc >>> 24);
        p[a[0] + 5] = (byte) (crc >>> 16);
        p[a[0] + 6] = (byte) (crc >>> 8);
        p[a[0] + 7] = (byte) crc;
        return;
      }
    }
  }

  // --- generated inputs --------------------------------------------------------------------------

  /** A ChannelData header with a random channel and a length that may lie, and random data. */
  byte[] channelData() {
    int dataLength = random.nextInt(0, 200);
    byte[] p = new byte[4 + dataLength + (random.nextBoolean() ? (4 - dataLength % 4) % 4 : 0)];
    random.nextBytes(p);
    int channel = random.nextBoolean() ? 0x4000 + random.nextInt(4) : 0x4000 + random.nextInt(0x4000);
    setU16(p, 0, channel);
    int length = switch (random.nextInt(3)) {
      case 0 -> dataLength;
      case 1 -> INTERESTING_LENGTHS[random.nextInt(INTERESTING_LENGTHS.length)];
      default -> Math.max(0, dataLength + random.nextInt(-4, 5));
    };
    setU16(p, 2, length);
    return p;
  }

  byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** A STUN message with a valid header and random attributes, usually well framed. */
  byte[] randomStun() {
    int count = random.nextInt(0, 8);
    List<StunAttribute> attrs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int type = INTERESTING_TYPES[random.nextInt(INTERESTING_TYPES.length)];
      if (type == StunAttributeType.MESSAGE_INTEGRITY || type == StunAttributeType.MESSAGE_INTEGRITY_SHA256
          || type == StunAttributeType.FINGERPRINT) {
        type = 0x7000 | random.nextInt(0x100);
      }
      int length = random.nextInt(3) == 0 ? INTERESTING_LENGTHS[random.nextInt(12)] : random.nextInt(0, 48);
      attrs.add(new StunAttribute(type, randomBytes(length)));
    }
    StunMessage m = new StunMessage(METHODS[random.nextInt(METHODS.length)], StunClass.ofBits(random.nextInt(4)),
        randomBytes(StunMessage.TRANSACTION_ID_SIZE), attrs);
    byte[] key = random.nextInt(4) == 0 ? validKey : null;
    return StunEncoder.encodeToBytes(m, key, random.nextBoolean());
  }

  /** An Allocate (or Refresh) with hostile credentials: expiries beyond time, long or broken text. */
  byte[] hostileCredentials() {
    byte[] username = switch (random.nextInt(6)) {
      case 0 -> (INTERESTING_EXPIRIES[random.nextInt(INTERESTING_EXPIRIES.length)] + ":u" + random.nextInt(5)
          + (random.nextBoolean() ? ":call-" + random.nextInt(5) : "")).getBytes(StandardCharsets.UTF_8);
      case 1 -> (random.nextLong() + ":" + "x".repeat(random.nextInt(0, 3))).getBytes(StandardCharsets.UTF_8);
      case 2 -> "a".repeat(random.nextInt(500, 520)).getBytes(StandardCharsets.UTF_8);
      case 3 -> randomBytes(random.nextInt(0, 40)); // mostly not UTF-8
      case 4 -> ":".repeat(random.nextInt(0, 5)).getBytes(StandardCharsets.UTF_8);
      default -> TurnTestServer.USER.getBytes(StandardCharsets.UTF_8);
    };
    List<StunAttribute> attrs = new ArrayList<>();
    attrs.add(new StunAttribute(StunAttributeType.USERNAME, username));
    attrs.add(random.nextInt(5) == 0 ? new StunAttribute(StunAttributeType.REALM, randomBytes(random.nextInt(0, 800)))
        : Attributes.string(StunAttributeType.REALM, realm));
    attrs.add(switch (random.nextInt(4)) {
      case 0 -> new StunAttribute(StunAttributeType.NONCE, randomBytes(random.nextInt(0, 64)));
      case 1 -> Attributes.string(StunAttributeType.NONCE, "AAAAAAAAAAAAAAAAAAAAAAAAAAA");
      default -> Attributes.string(StunAttributeType.NONCE, validNonce);
    });
    attrs.add(Attributes.requestedTransport(17));
    if (random.nextBoolean()) {
      attrs.add(new StunAttribute(StunAttributeType.LIFETIME, randomBytes(random.nextInt(3, 6))));
    }
    int method = random.nextInt(4) == 0 ? StunMethod.REFRESH : StunMethod.ALLOCATE;
    byte[] key = random.nextBoolean() ? validKey : randomBytes(16);
    return StunEncoder.encodeToBytes(StunMessage.request(method, randomBytes(StunMessage.TRANSACTION_ID_SIZE), attrs), key,
        random.nextBoolean());
  }

  private static int u16(byte[] p, int i) {
    return ((p[i] & 0xFF) << 8) | (p[i + 1] & 0xFF);
  }

  private static void setU16(byte[] p, int i, int v) {
    p[i] = (byte) (v >>> 8);
    p[i + 1] = (byte) v;
  }
}
