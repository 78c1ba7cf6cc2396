package io.parley.api.calls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PARLEY_CALL_* and PARLEY_SIGNAL_* keys: defaults, values honoured, and every bad value named by its key. */
class CallOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    CallOptions c = CallOptions.from(ConfigSource.of(Map.of()));
    assertThat(c.limit()).isEqualTo(Duration.ofMinutes(20));
    assertThat(c.warnings()).containsExactly(Duration.ofSeconds(120), Duration.ofSeconds(30));
    assertThat(c.joinEarly()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.grace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.freePerMonth()).isEqualTo(2);
    assertThat(c.maxMessageBytes()).isEqualTo(65_536);
    assertThat(c.messagesPerSecond()).isEqualTo(50);
    assertThat(c.authTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.pingInterval()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void valuesAreHonoured() {
    CallOptions c = CallOptions.from(ConfigSource.of(Map.of("PARLEY_CALL_LIMIT", "600",
        "PARLEY_CALL_WARNINGS", " 60, 10 ,", "PARLEY_CALL_FREE_PER_MONTH", "0", "PARLEY_SIGNAL_RATE", "5")));
    assertThat(c.limit()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.warnings()).containsExactly(Duration.ofSeconds(60), Duration.ofSeconds(10));
    assertThat(c.freePerMonth()).isZero();
    assertThat(c.messagesPerSecond()).isEqualTo(5);
  }

  @Test
  void theRecordRefusesWhatCannotWork() {
    assertThatThrownBy(() -> new CallOptions(Duration.ZERO, List.of(), Duration.ZERO, Duration.ofSeconds(1), 0,
        65_536, 1, Duration.ofSeconds(1), Duration.ofSeconds(1), List.of()))
        .hasMessage("PARLEY_CALL_LIMIT: must be positive");
    assertThatThrownBy(() -> new CallOptions(Duration.ofSeconds(1), List.of(), Duration.ZERO, Duration.ofSeconds(1), 0,
        1000, 1, Duration.ofSeconds(1), Duration.ofSeconds(1), List.of()))
        .hasMessage("PARLEY_SIGNAL_MAX_MESSAGE_BYTES: must be at least 1024");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_CALL_LIMIT|0",
      "PARLEY_CALL_LIMIT|86401",
      "PARLEY_CALL_WARNINGS|120,-1",
      "PARLEY_CALL_WARNINGS|soon",
      "PARLEY_CALL_JOIN_EARLY|-1",
      "PARLEY_CALL_GRACE|0",
      "PARLEY_CALL_FREE_PER_MONTH|two",
      "PARLEY_SIGNAL_MAX_MESSAGE_BYTES|100",
      "PARLEY_SIGNAL_RATE|0",
      "PARLEY_SIGNAL_AUTH_TIMEOUT|301",
      "PARLEY_SIGNAL_PING_INTERVAL|0",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> CallOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
