package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The assistant's keys: the personal context's budget, the conversations' retention, the embeddings server. */
class AssistantOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    AssistantOptions a = AssistantOptions.from(ConfigSource.of(Map.of()));
    assertThat(a.contextTokens()).isEqualTo(400);
    assertThat(a.retentionDays()).isZero();
    assertThat(a.retention()).as("0 days: kept forever").isEmpty();
    assertThat(a.embeddings()).as("no embeddings server unless one is set").isEmpty();
  }

  @Test
  void anEmbeddingsServerIsReadWithItsModelAndAKeyThatIsNeverShown() {
    AssistantOptions a = AssistantOptions.from(ConfigSource.of(Map.of("PARLEY_EMBEDDINGS_BASE_URL",
        "http://127.0.0.1:8000/v1", "PARLEY_EMBEDDINGS_MODEL", "nomic-embed-text", "PARLEY_EMBEDDINGS_API_KEY",
        "sk-secret-1234")));
    assertThat(a.embeddings()).hasValueSatisfying(e -> {
      assertThat(e.model()).isEqualTo("nomic-embed-text");
      assertThat(e.apiKey()).contains("sk-secret-1234");
      assertThat(e.toString()).doesNotContain("sk-secret-1234").contains("127.0.0.1:8000/v1");
    });
    assertThat(AssistantOptions.from(ConfigSource.of(Map.of("PARLEY_EMBEDDINGS_BASE_URL", "http://h/v1")))
        .embeddings().orElseThrow().model()).isEqualTo("default");
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
      "PARLEY_EMBEDDINGS_BASE_URL|not a url",
      "PARLEY_EMBEDDINGS_BASE_URL|ftp://host/v1",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> AssistantOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
