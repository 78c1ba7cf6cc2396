package io.parley.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** UUIDv7 ids sort in the order they were made, within a millisecond and when the clock steps back. */
class IdsTest {

  /** A clock the test moves by hand. */
  private static final class HandClock extends Clock {
    final AtomicLong millis = new AtomicLong(1_780_000_000_000L);

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  @Test
  void idsOfOneMillisecondAndAfterAStepBackIncrease() {
    HandClock clock = new HandClock();
    Ids ids = new Ids(clock, new SecureRandom());
    List<UUID> made = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) { // more than the 12-bit counter holds: it spills into the next millisecond
      made.add(ids.uuid7());
    }
    clock.millis.addAndGet(-5_000); // NTP stepped the clock back
    for (int i = 0; i < 100; i++) {
      made.add(ids.uuid7());
    }
    for (int i = 1; i < made.size(); i++) {
      assertThat(made.get(i)).as("id %d", i).isGreaterThan(made.get(i - 1));
    }
    assertThat(made).allSatisfy(u -> {
      assertThat(u.version()).isEqualTo(7);
      assertThat(u.variant()).isEqualTo(2);
    });
    // The timestamp stays the clock's while the clock moves on normally.
    clock.millis.addAndGet(60_000);
    UUID later = ids.uuid7();
    assertThat(later.getMostSignificantBits() >>> 16).isEqualTo(clock.millis.get());
  }
}
