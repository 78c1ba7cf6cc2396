package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The assistant's keys: the personal context's budget and the conversations' retention. */
class AssistantOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    AssistantOptions a = AssistantOptions.from(ConfigSource.of(Map.of()));
    assertThat(a.contextTokens()).isEqualTo(400);
    assertThat(a.retentionDays()).isZero();
    assertThat(a.retention()).as("0 days: kept forever").isEmpty();
  }

  @Test
  void valuesAreHonoured() {
    AssistantOptions a = AssistantOptions.from(ConfigSource.of(Map.of("PARLEY_ASSISTANT_CONTEXT_TOKENS", "0",
        "PARLEY_CONVERSATION_RETENTION_DAYS", "30")));
    assertThat(a.contextTokens()).isZero();
    assertThat(a.retention()).contains(Duration.ofDays(30));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_ASSISTANT_CONTEXT_TOKENS|-1",
      "PARLEY_ASSISTANT_CONTEXT_TOKENS|many",
      "PARLEY_CONVERSATION_RETENTION_DAYS|-3",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> AssistantOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
