package io.parley.api.accounts;

import static io.parley.core.config.ConfigKey.PARLEY_AUDIT_RETENTION_DAYS;

import io.parley.core.config.ConfigSource;
import java.time.Duration;
import java.util.Optional;

/**
 * How long the audit log keeps its entries: {@code PARLEY_AUDIT_RETENTION_DAYS}.
 *
 * @param retentionDays entries older than this many days are deleted; 0: kept forever
 */
public record AuditOptions(int retentionDays) {

  public AuditOptions {
    if (retentionDays < 0) {
      throw new IllegalArgumentException("retentionDays must be >= 0");
    }
  }

  /** The audit settings of {@code c}; fails naming the key of a bad value. */
  public static AuditOptions from(ConfigSource c) {
    return new AuditOptions(c.integer(PARLEY_AUDIT_RETENTION_DAYS, 0, 36_500));
  }

  /** How long an entry is kept, when it is not kept forever. */
  public Optional<Duration> retention() {
    return retentionDays == 0 ? Optional.empty() : Optional.of(Duration.ofDays(retentionDays));
  }
}
