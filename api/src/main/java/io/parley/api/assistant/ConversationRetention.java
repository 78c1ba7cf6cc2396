package io.parley.api.assistant;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PARLEY_CONVERSATION_RETENTION_DAYS}: conversations with no new message for longer than the
 * retention are deleted with their messages, every {@link #EVERY} on a timer (one DELETE in
 * PostgreSQL; nothing waits for it). Each node runs it; running it twice deletes nothing twice.
 */
public final class ConversationRetention implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConversationRetention.class);

  /** How often the purge runs. */
  static final Duration EVERY = Duration.ofHours(1);

  private final Vertx vertx;
  private final ConversationStore conversations;
  private final Duration retention;
  private final Clock clock;
  private final long timer;

  /** Starts purging: now, then every {@link #EVERY}. */
  public ConversationRetention(Vertx vertx, ConversationStore conversations, Duration retention, Clock clock) {
    this.vertx = vertx;
    this.conversations = conversations;
    this.retention = retention;
    this.clock = clock;
    vertx.runOnContext(v -> purge());
    this.timer = vertx.setPeriodic(EVERY.toMillis(), id -> purge());
  }

  /** Deletes the conversations idle longer than the retention now; how many. */
  public Future<Integer> purge() {
    return conversations.purgeInactiveSince(OffsetDateTime.now(clock).minus(retention))
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("assistant: {} conversations idle for more than {} days deleted", n, retention.toDays());
          }
        })
        .onFailure(e -> LOG.warn("assistant: conversation retention purge failed: {}", e.toString()));
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}
