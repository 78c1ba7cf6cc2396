package io.parley.api.assistant;

import static io.parley.core.config.ConfigKey.PARLEY_ASSISTANT_CONTEXT_TOKENS;
import static io.parley.core.config.ConfigKey.PARLEY_CONVERSATION_RETENTION_DAYS;
import static io.parley.core.config.ConfigKey.PARLEY_EMBEDDINGS_API_KEY;
import static io.parley.core.config.ConfigKey.PARLEY_EMBEDDINGS_BASE_URL;
import static io.parley.core.config.ConfigKey.PARLEY_EMBEDDINGS_MODEL;

import io.parley.api.assistant.memory.OpenAiEmbeddings;
import io.parley.core.config.ConfigSource;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the assistant knows and keeps, for the realtime sessions and the chat completions alike:
 * {@code PARLEY_ASSISTANT_CONTEXT_TOKENS}, {@code PARLEY_CONVERSATION_RETENTION_DAYS} and the
 * optional embeddings server ({@code PARLEY_EMBEDDINGS_*}).
 *
 * @param contextTokens most the personal context adds to a prompt (characters / 4); 0: none
 * @param retentionDays conversations idle this many days are deleted; 0: kept
 * @param embeddings the embeddings server; empty (the default): none, words only
 */
public record AssistantOptions(int contextTokens, int retentionDays, Optional<OpenAiEmbeddings.Settings> embeddings) {

  public AssistantOptions {
    if (contextTokens < 0 || retentionDays < 0) {
      throw new IllegalArgumentException("contextTokens and retentionDays must be >= 0");
    }
    Objects.requireNonNull(embeddings, "embeddings");
  }

  /** The assistant settings of {@code c}; fails naming the key of the first bad value. */
  public static AssistantOptions from(ConfigSource c) {
    return new AssistantOptions(c.integer(PARLEY_ASSISTANT_CONTEXT_TOKENS, 0, 8_000),
        c.integer(PARLEY_CONVERSATION_RETENTION_DAYS, 0, 36_500),
        c.url(PARLEY_EMBEDDINGS_BASE_URL).map(base -> new OpenAiEmbeddings.Settings(base,
            Optional.ofNullable(c.string(PARLEY_EMBEDDINGS_API_KEY)), c.string(PARLEY_EMBEDDINGS_MODEL))));
  }

  /** How long an idle conversation is kept, when it is not kept forever. */
  public Optional<Duration> retention() {
    return retentionDays == 0 ? Optional.empty() : Optional.of(Duration.ofDays(retentionDays));
  }
}
