package io.parley.api.support;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Waits for a condition by probing it until a deadline. The pause between probes only paces the
 * loop; what a test asserts is always the probed value, and a timeout fails with the last one seen.
 */
public final class Poll {

  private static final long PAUSE_MS = 100;

  private Poll() {}

  /** Probes until {@code done} accepts the value; returns it. A probe that throws counts as "not yet". */
  public static <T> T until(Duration timeout, String what, Callable<T> probe, Predicate<? super T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    Exception lastError = null;
    while (true) {
      try {
        last = probe.call();
        lastError = null;
        if (done.test(last)) {
          return last;
        }
      } catch (Exception e) {
        lastError = e;
      }
      if (System.nanoTime() - deadline > 0) {
        AssertionError failure = new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for "
            + what + "; last value: " + last + (lastError == null ? "" : "; last error: " + lastError));
        if (lastError != null) {
          failure.initCause(lastError);
        }
        throw failure;
      }
      pause();
    }
  }

  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    until(timeout, what, condition::getAsBoolean, Boolean::booleanValue);
  }

  private static void pause() {
    try {
      Thread.sleep(PAUSE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting", e);
    }
  }
}
