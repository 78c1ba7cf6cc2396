package io.parley.media.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.Cidr;
import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PARLEY_TURN_* keys: defaults, values honoured, and every bad value named by its key. */
class TurnOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    TurnOptions t = TurnOptions.from(ConfigSource.of(Map.of()));
    assertThat(t.enabled()).isTrue();
    assertThat(t.port()).isEqualTo(3478);
    assertThat(t.secret()).isEmpty();
    assertThat(t.nonceLifetime()).isEqualTo(Duration.ofSeconds(600));
  }

  @Test
  void valuesAreHonoured() {
    TurnOptions t = TurnOptions.from(ConfigSource.of(Map.of(
        "PARLEY_TURN_PORT", "3479",
        "PARLEY_TURN_SECRET", "0123456789abcdef0123",
        "PARLEY_TURN_OLD_SECRETS", "fedcba9876543210abcd",
        "PARLEY_TURN_RELAY_PORTS", "50000-50100",
        "PARLEY_TURN_USERS", "alice:pw:with:colons",
        "PARLEY_TURN_ALLOW_PEERS", "127.0.0.0/8, ::1/128")));
    assertThat(t.port()).isEqualTo(3479);
    assertThat(t.secrets()).containsExactly("0123456789abcdef0123", "fedcba9876543210abcd");
    assertThat(t.relayPortLow()).isEqualTo(50000);
    assertThat(t.relayPortHigh()).isEqualTo(50100);
    assertThat(t.users()).containsEntry("alice", "pw:with:colons");
    assertThat(t.allowPeers()).extracting(Cidr::toString).containsExactly("127.0.0.0/8", "0:0:0:0:0:0:0:1/128");
    assertThat(t.withSecret("another-secret-0123").secrets()).containsExactly("another-secret-0123",
        "fedcba9876543210abcd");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_TURN_PORT|70000",
      "PARLEY_TURN_RELAY_PORTS|50000-40000",
      "PARLEY_TURN_RELAY_PORTS|80-90",
      "PARLEY_TURN_USERS|nocolon",
      "PARLEY_TURN_EXTERNAL_IP|turn.example.com",
      "PARLEY_TURN_NONCE_LIFETIME|1",
      "PARLEY_TURN_ALLOW_PEERS|10.0.0.0/33",
      "PARLEY_TURN_ALLOW_PEERS|example.com",
      "PARLEY_TURN_SECRET|short",
      "PARLEY_TURN_ENABLED|maybe",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> TurnOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
