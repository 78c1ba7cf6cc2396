package io.parley.api.assistant;

import static io.parley.core.config.ConfigKey.PARLEY_ASSISTANT_CONTEXT_TOKENS;
import static io.parley.core.config.ConfigKey.PARLEY_CONVERSATION_RETENTION_DAYS;

import io.parley.core.config.ConfigSource;
import java.time.Duration;
import java.util.Optional;

/**
 * What the assistant knows and keeps, for the realtime sessions and the chat completions alike:
 * {@code PARLEY_ASSISTANT_CONTEXT_TOKENS} and {@code PARLEY_CONVERSATION_RETENTION_DAYS}.
 *
 * @param contextTokens most the personal context adds to a prompt (characters / 4); 0: none
 * @param retentionDays conversations idle this many days are deleted; 0: kept
 */
public record AssistantOptions(int contextTokens, int retentionDays) {

  public AssistantOptions {
    if (contextTokens < 0 || retentionDays < 0) {
      throw new IllegalArgumentException("contextTokens and retentionDays must be >= 0");
    }
  }

  /** The assistant settings of {@code c}; fails naming the key of the first bad value. */
  public static AssistantOptions from(ConfigSource c) {
    return new AssistantOptions(c.integer(PARLEY_ASSISTANT_CONTEXT_TOKENS, 0, 8_000),
        c.integer(PARLEY_CONVERSATION_RETENTION_DAYS, 0, 36_500));
  }

  /** How long an idle conversation is kept, when it is not kept forever. */
  public Optional<Duration> retention() {
    return retentionDays == 0 ? Optional.empty() : Optional.of(Duration.ofDays(retentionDays));
  }
}
