package io.parley.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Argon2Cli;
import io.parley.core.config.ParleyConfig.Argon2;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Argon2id hashing in the PHC string format, checked against itself and against the reference
 * implementation's {@code argon2} command-line tool in both directions.
 */
class PasswordHasherTest {

  /** Small costs: these tests check the format and the algorithm, not the cost. */
  private static final Argon2 FAST = new Argon2(1024, 1, 1);
  private static final String PASSWORD = "correct horse battery staple";
  /** 16 zero bytes / 32 zero bytes, unpadded standard base64 as in PHC strings. */
  private static final String SALT16 = "AAAAAAAAAAAAAAAAAAAAAA";
  private static final String HASH32 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

  private final PasswordHasher hasher = new PasswordHasher(FAST, new SecureRandom());

  @Test
  void hashIsAPhcStringThatVerifiesOnlyItsOwnPassword() {
    String phc = hasher.hash(PASSWORD);

    assertThat(phc).matches("\\$argon2id\\$v=19\\$m=1024,t=1,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    assertThat(hasher.verify(PASSWORD, phc)).isTrue();
    assertThat(hasher.verify(PASSWORD + " ", phc)).isFalse();
    assertThat(hasher.verify("Correct horse battery staple", phc)).isFalse();
    assertThat(hasher.verify("", phc)).isFalse();
  }

  @Test
  void nonAsciiPasswordsRoundTripAsUtf8() {
    String password = "pässwörd ✓ 密码";
    String phc = hasher.hash(password);

    assertThat(hasher.verify(password, phc)).isTrue();
    assertThat(hasher.verify("passwort ✓ 密码", phc)).isFalse();
  }

  @Test
  void twoHashesOfOnePasswordDifferBySalt() {
    String a = hasher.hash(PASSWORD);
    String b = hasher.hash(PASSWORD);

    assertThat(a).isNotEqualTo(b);
    assertThat(a.split("\\$")[4]).as("salt").isNotEqualTo(b.split("\\$")[4]);
    assertThat(hasher.verify(PASSWORD, a)).isTrue();
    assertThat(hasher.verify(PASSWORD, b)).isTrue();
  }

  @Test
  void verifyUsesTheParametersStoredInTheHashNotTheConfiguredOnes() {
    String stored = new PasswordHasher(new Argon2(2048, 2, 2), new SecureRandom()).hash(PASSWORD);

    assertThat(hasher.verify(PASSWORD, stored)).isTrue();
    assertThat(hasher.verify("wrong", stored)).isFalse();
  }

  @Test
  void needsRehashExactlyWhenAnyParameterDiffers() {
    String current = hasher.hash(PASSWORD);
    assertThat(hasher.needsRehash(current)).isFalse();

    assertThat(new PasswordHasher(new Argon2(2048, 1, 1), new SecureRandom()).needsRehash(current)).as("memory").isTrue();
    assertThat(new PasswordHasher(new Argon2(1024, 2, 1), new SecureRandom()).needsRehash(current)).as("passes").isTrue();
    assertThat(new PasswordHasher(new Argon2(1024, 1, 2), new SecureRandom()).needsRehash(current)).as("lanes").isTrue();
    assertThat(new PasswordHasher(FAST, new SecureRandom()).needsRehash(current)).as("same params").isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "not a hash",
      "$",
      "$argon2id$",
      "$argon2id$v=19$m=1024,t=1,p=1",
      "$argon2id$v=19$m=1024,t=1,p=1$" + SALT16,
      "$argon2id$v=19$m=1024,t=1,p=1$" + SALT16 + "$",
      "$argon2id$v=19$m=1024,t=1,p=1$$" + HASH32,
      "$argon2id$v=19$m=1024,t=1,p=1$" + SALT16 + "$" + HASH32 + "$extra",
      "$argon2i$v=19$m=1024,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2d$v=19$m=1024,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=16$m=1024,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$m=1024,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=1024,t=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=1024,t=1,p=1,x=2$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=abc,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m1024,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=99999999999,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=-1024,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=4,t=1,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=1024,t=0,p=1$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=1024,t=1,p=0$" + SALT16 + "$" + HASH32,
      // less memory than the 8 KiB per lane Argon2 requires
      "$argon2id$v=19$m=8,t=1,p=4$" + SALT16 + "$" + HASH32,
      // more lanes than Argon2 allows (2^24 - 1)
      "$argon2id$v=19$m=1024,t=1,p=16777216$" + SALT16 + "$" + HASH32,
      "$argon2id$v=19$m=1024,t=1,p=1$!!not-base64!!$" + HASH32,
      "$argon2id$v=19$m=1024,t=1,p=1$" + SALT16 + "$!!not-base64!!",
      // a hash shorter than Argon2's minimum output of 4 bytes
      "$argon2id$v=19$m=1024,t=1,p=1$" + SALT16 + "$AAAA",
      "$argon2id$v=19$m=1024,t=1,p=1$" + SALT16 + "$AA",
  })
  void malformedPhcStringsAreRejectedWithoutThrowing(String phc) {
    assertThat(hasher.verify(PASSWORD, phc)).isFalse();
  }

  @Test
  void aTamperedHashOrSaltNoLongerVerifies() {
    String phc = hasher.hash(PASSWORD);
    String[] parts = phc.split("\\$");
    byte[] hash = Base64.getDecoder().decode(parts[5]);
    hash[0] ^= 1;
    String flippedHash = String.join("$", parts[0], parts[1], parts[2], parts[3], parts[4],
        Base64.getEncoder().withoutPadding().encodeToString(hash));
    byte[] salt = Base64.getDecoder().decode(parts[4]);
    salt[0] ^= 1;
    String flippedSalt = String.join("$", parts[0], parts[1], parts[2], parts[3],
        Base64.getEncoder().withoutPadding().encodeToString(salt), parts[5]);
    String otherPasses = phc.replace(",t=1,", ",t=2,");

    assertThat(hasher.verify(PASSWORD, flippedHash)).isFalse();
    assertThat(hasher.verify(PASSWORD, flippedSalt)).isFalse();
    assertThat(hasher.verify(PASSWORD, otherPasses)).isFalse();
  }

  /** Cost parameters for the interop table: passes, log2 of the memory in KiB, lanes. */
  static Stream<Arguments> cliParameters() {
    return Stream.of(
        Arguments.of(2, 10, 1),
        Arguments.of(1, 12, 2),
        Arguments.of(3, 8, 1),
        Arguments.of(1, 11, 4));
  }

  @ParameterizedTest(name = "t={0} m=2^{1} KiB p={2}")
  @MethodSource("cliParameters")
  void verifiesHashesMadeByTheReferenceCli(int passes, int log2MemoryKib, int lanes) {
    Argon2Cli cli = Argon2Cli.require();
    for (String password : new String[] {PASSWORD, "pässwörd ✓ 密码"}) {
      String encoded = cli.run("saltysaltsalt" + passes + lanes, password.getBytes(StandardCharsets.UTF_8), passes,
          log2MemoryKib, lanes, "-e");

      assertThat(encoded).startsWith("$argon2id$v=19$m=" + (1 << log2MemoryKib) + ",t=" + passes + ",p=" + lanes + "$");
      assertThat(hasher.verify(password, encoded)).as("verify %s", encoded).isTrue();
      assertThat(hasher.verify(password + "x", encoded)).isFalse();
      assertThat(hasher.verify("another password", encoded)).isFalse();
    }
  }

  @ParameterizedTest(name = "t={0} m=2^{1} KiB p={2}")
  @MethodSource("cliParameters")
  void ourHashesMatchTheReferenceCliByteForByte(int passes, int log2MemoryKib, int lanes) {
    Argon2Cli cli = Argon2Cli.require();
    // The CLI takes the salt as a command-line argument: give our hasher printable salt bytes.
    PasswordHasher ours = new PasswordHasher(new Argon2(1 << log2MemoryKib, passes, lanes), new PrintableRandom(7));
    for (String password : new String[] {PASSWORD, "pässwörd ✓ 密码"}) {
      String phc = ours.hash(password);
      String[] parts = phc.split("\\$");
      assertThat(parts[3]).isEqualTo("m=" + (1 << log2MemoryKib) + ",t=" + passes + ",p=" + lanes);
      String salt = new String(Base64.getDecoder().decode(parts[4]), StandardCharsets.US_ASCII);
      byte[] ourHash = Base64.getDecoder().decode(parts[5]);

      String cliHex = cli.run(salt, password.getBytes(StandardCharsets.UTF_8), passes, log2MemoryKib, lanes, "-r");

      assertThat(salt).hasSize(16);
      assertThat(cliHex).isEqualTo(HexFormat.of().formatHex(ourHash));
    }
  }

  /** Salt source whose bytes are letters and digits (a valid argv string), reproducible by seed. */
  private static final class PrintableRandom extends SecureRandom {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private final Random random;

    PrintableRandom(long seed) {
      this.random = new Random(seed);
    }

    @Override
    public void nextBytes(byte[] bytes) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) ALPHABET.charAt(random.nextInt(ALPHABET.length()));
      }
    }
  }
}
