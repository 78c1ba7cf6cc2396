package io.parley.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** One key per address, whatever case or Unicode form it was typed in. */
class EmailAddressTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "admin@probe.test",
      "Admin@Probe.Test",
      "ADMIN@PROBE.TEST",
      "  admin@probe.test\t",
      "\uFF41dmin@probe.test",          // full-width a
      "\uFF21\uFF24\uFF2D\uFF29\uFF2E@\uFF30\uFF32\uFF2F\uFF22\uFF25.test", // full-width ADMIN@PROBE
      "adm\u0131n@probe.test",          // dotless i (upper-cases to I)
      "admin\uFF20probe.test",         // full-width commercial at
  })
  void variantsOfOneAddressShareItsKey(String variant) {
    assertThat(EmailAddress.key(variant)).isEqualTo("admin@probe.test");
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
      "stra\u00DFe@example.org, STRASSE@example.org",     // sharp s folds to ss
      "\uFB01nn@example.org, FINN@example.org",           // fi ligature
      "\u212Aelvin@example.org, kelvin@example.org",      // Kelvin sign
      "caf\u00E9@example.org, CAFE\u0301@example.org",    // precomposed and combining accent
  })
  void unicodeFormsMeet(String a, String b) {
    assertThat(EmailAddress.key(a)).isEqualTo(EmailAddress.key(b));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"admin@probe.test", "Stra\u00DFe@Example.org", "\uFF41@b.c", "x.y+tag@sub.example.org"})
  void theKeyIsItsOwnKey(String address) {
    String key = EmailAddress.key(address);
    assertThat(EmailAddress.key(key)).isEqualTo(key);
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"", "   ", "no-at-sign", "@probe.test", "admin@", "a@b@c", "ad min@probe.test",
      "admin\u200B@probe.test", "admin@probe.test\u0000", "admin\u202E@probe.test"})
  void nonAddressesAreRefused(String raw) {
    assertThatThrownBy(() -> EmailAddress.key(raw)).isInstanceOf(ParleyException.class)
        .extracting(e -> ((ParleyException) e).reason()).isEqualTo(ParleyException.Reason.INVALID);
  }

  @org.junit.jupiter.api.Test
  void theDisplayFormKeepsWhatWasTyped() {
    assertThat(EmailAddress.display("  Ada.Lovelace@Example.org ")).isEqualTo("Ada.Lovelace@Example.org");
    assertThatThrownBy(() -> EmailAddress.display(null)).isInstanceOf(ParleyException.class);
    assertThatThrownBy(() -> EmailAddress.key("a".repeat(250) + "@b.cd")).isInstanceOf(ParleyException.class);
  }
}
