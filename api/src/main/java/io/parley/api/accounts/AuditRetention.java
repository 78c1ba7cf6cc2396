package io.parley.api.accounts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PARLEY_AUDIT_RETENTION_DAYS}: audit entries older than the retention are deleted, every
 * {@link #EVERY}, on a worker thread (never the event loop) and in batches of {@link #BATCH} rows, so
 * that a first purge of a long-kept log neither holds one huge transaction nor a connection for long.
 * Each node runs it; two nodes purging at once delete nothing twice.
 */
public final class AuditRetention implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AuditRetention.class);

  /** How often the purge runs. */
  static final Duration EVERY = Duration.ofHours(1);
  /** Rows deleted per statement. */
  static final int BATCH = 5_000;
  /** Longest one statement may take before the purge gives up until its next run. */
  private static final long STATEMENT_SECONDS = 60;

  private final Vertx vertx;
  private final Pool pool;
  private final Duration retention;
  private final Clock clock;
  private final WorkerExecutor worker;
  private final long timer;

  /** Starts purging: now, then every {@link #EVERY}. */
  public AuditRetention(Vertx vertx, Pool pool, Duration retention, Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.retention = retention;
    this.clock = clock;
    this.worker = vertx.createSharedWorkerExecutor("parley-audit-retention", 1);
    vertx.runOnContext(v -> purge());
    this.timer = vertx.setPeriodic(EVERY.toMillis(), id -> purge());
  }

  /** Deletes the entries older than the retention now, on the worker; how many. */
  public Future<Integer> purge() {
    OffsetDateTime cutoff = OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC).minus(retention);
    return worker.<Integer>executeBlocking(() -> deleteOlderThan(cutoff), false)
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("audit: {} entries older than {} days deleted", n, retention.toDays());
          }
        })
        .onFailure(e -> LOG.warn("audit: retention purge failed: {}", e.toString()));
  }

  private int deleteOlderThan(OffsetDateTime cutoff) throws Exception {
    int total = 0;
    while (true) {
      int n = pool.preparedQuery("DELETE FROM audit_log WHERE id IN "
              + "(SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2)")
          .execute(Tuple.of(cutoff, BATCH)).map(r -> r.rowCount())
          // Future.await is refused on worker threads; the answer comes back on the event loop.
          .toCompletionStage().toCompletableFuture().get(STATEMENT_SECONDS, TimeUnit.SECONDS);
      total += n;
      if (n < BATCH) {
        return total;
      }
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
    worker.close();
  }
}
