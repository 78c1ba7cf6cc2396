package io.parley.media.turn.codec;

import static io.parley.media.turn.codec.StunAttributeType.*;
import static io.parley.media.turn.codec.StunCodecTest.decode;
import static io.parley.media.turn.codec.StunCodecTest.encode;
import static io.parley.media.turn.codec.StunCodecTest.refingerprint;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * MESSAGE-INTEGRITY (RFC 8489 §14.5): placement rules, keys, and the per-thread {@code Mac} reuse.
 * The RFC 5769 vectors are checked in {@link StunCodecTest}.
 */
class MessageIntegrityTest {

  private static final byte[] TX = Rfc5769.hex("0102030405060708090a0b0c");
  private static final byte[] KEY = MessageIntegrity.shortTermKey(Rfc5769.SHORT_TERM_PASSWORD);

  @Test
  void attributesAfterIntegrityAreDroppedExceptSha256AndFingerprint() {
    byte[] signed =
        encode(
            StunMessage.request(StunMethod.ALLOCATE, TX, List.of(Attributes.lifetime(600))),
            KEY,
            false);
    // Append DATA, MESSAGE-INTEGRITY-SHA256, SOFTWARE, then FINGERPRINT; fix the length and CRC.
    byte[] tampered =
        StunCodecTest.Malformed.concatBody(
            signed,
            "00130004 01020304 001c0020"
                + "ab".repeat(32)
                + " 80220001 78000000 80280004 00000000");
    tampered = refingerprint(tampered);

    StunMessage m = decode(tampered);
    assertThat(m.attributes())
        .extracting(StunAttribute::type)
        .containsExactly(LIFETIME, MESSAGE_INTEGRITY, MESSAGE_INTEGRITY_SHA256, FINGERPRINT);
    assertThat(m.has(DATA)).isFalse();
    assertThat(m.has(SOFTWARE)).isFalse();
    assertThat(m.hasFingerprint()).isTrue();
    assertThat(m.integrityOffset()).isEqualTo(signed.length - MessageIntegrity.ATTRIBUTE_SIZE);
    assertThat(MessageIntegrity.verify(m, KEY))
        .as("the HMAC still covers exactly what precedes MESSAGE-INTEGRITY")
        .isTrue();
    assertThat(m.raw()).isEqualTo(tampered);
  }

  @Test
  void onlyTheFirstIntegrityCounts() {
    byte[] signed = encode(StunMessage.request(StunMethod.BINDING, TX, List.of()), KEY, false);
    // A second MESSAGE-INTEGRITY of the wrong size after the first is ignored, not rejected.
    byte[] twice = StunCodecTest.Malformed.concatBody(signed, "00080004 00000000");
    StunMessage m = decode(twice);
    assertThat(m.attributes()).extracting(StunAttribute::type).containsExactly(MESSAGE_INTEGRITY);
    assertThat(MessageIntegrity.verify(m, KEY)).isTrue();
  }

  @Test
  void verifyIsFalseWithoutIntegrityOrRawBytesOrKey() {
    StunMessage built = StunMessage.request(StunMethod.BINDING, TX, List.of());
    assertThat(MessageIntegrity.verify(built, KEY)).isFalse();
    StunMessage unsigned = decode(encode(built, null, true));
    assertThat(unsigned.integrityOffset()).isEqualTo(-1);
    assertThat(MessageIntegrity.verify(unsigned, KEY)).isFalse();
    StunMessage signed = decode(encode(built, KEY, true));
    assertThat(MessageIntegrity.verify(signed, KEY)).isTrue();
    assertThat(MessageIntegrity.verify(signed, new byte[0])).isFalse();
    assertThat(MessageIntegrity.verify(signed, null)).isFalse();
  }

  @Test
  void longTermKeyIsMd5OfUsernameRealmPassword() throws Exception {
    byte[] expected =
        MessageDigest.getInstance("MD5").digest("user:realm:pass".getBytes(StandardCharsets.UTF_8));
    assertThat(MessageIntegrity.longTermKey("user", "realm", "pass")).isEqualTo(expected);
    byte[] utf8 =
        MessageDigest.getInstance("MD5")
            .digest(
                (Rfc5769.LONG_TERM_USERNAME + ":example.org:TheMatrIX")
                    .getBytes(StandardCharsets.UTF_8));
    assertThat(MessageIntegrity.longTermKey(Rfc5769.LONG_TERM_USERNAME, "example.org", "TheMatrIX"))
        .isEqualTo(utf8);
    assertThat(MessageIntegrity.shortTermKey("pw\u00e9"))
        .isEqualTo("pw\u00e9".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void computeMatchesWhatTheEncoderWrites() {
    StunMessage m =
        StunMessage.request(
            StunMethod.REFRESH,
            TX,
            List.of(Attributes.lifetime(0), Attributes.string(NONCE, "abc")));
    byte[] bytes = encode(m, KEY, true);
    int offset = decode(bytes).integrityOffset();
    byte[] hmac = MessageIntegrity.compute(KEY, bytes, offset);
    assertThat(java.util.Arrays.copyOfRange(bytes, offset + 4, offset + 24)).isEqualTo(hmac);
    // compute() must not have touched the length field of its input.
    assertThat(((bytes[2] & 0xFF) << 8) | (bytes[3] & 0xFF)).isEqualTo(bytes.length - 20);
  }

  @Test
  void concurrentVerificationWithPerThreadMacs() throws Exception {
    // Different keys on different threads at once: a shared Mac would mix them up.
    int threads = 4;
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> messages = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      byte[] key = MessageIntegrity.longTermKey("user" + t, "parley", "pw" + t);
      keys.add(key);
      messages.add(
          encode(
              StunMessage.request(StunMethod.ALLOCATE, TX, List.of(Attributes.lifetime(t))),
              key,
              true));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        Callable<Integer> job =
            () -> {
              int ok = 0;
              for (int i = 0; i < 2000; i++) {
                StunMessage m = decode(messages.get(me));
                if (MessageIntegrity.verify(m, keys.get(me))
                    && !MessageIntegrity.verify(m, keys.get((me + 1) % threads))) {
                  ok++;
                }
              }
              return ok;
            };
        results.add(pool.submit(job));
      }
      for (Future<Integer> r : results) {
        assertThat(r.get()).isEqualTo(2000);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
