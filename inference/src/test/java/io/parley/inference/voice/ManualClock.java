package io.parley.inference.voice;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * A virtual {@link VoiceClock}: time stands still until {@link #advance} moves it, and each timer
 * runs at exactly its due time, in order. Starts at one second (zero means "not yet" to a session).
 */
final class ManualClock implements VoiceClock {

  private record Timer(long due, long id, Runnable action) {}

  private final PriorityQueue<Timer> timers =
      new PriorityQueue<>(Comparator.comparingLong(Timer::due).thenComparingLong(Timer::id));
  private long now = 1_000_000_000L;
  private long ids;

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  /** Milliseconds since the clock started. */
  synchronized long millis() {
    return (now - 1_000_000_000L) / 1_000_000;
  }

  @Override
  public synchronized long setTimer(long delayMs, Runnable action) {
    long id = ++ids;
    timers.add(new Timer(now + Math.max(0, delayMs) * 1_000_000, id, action));
    return id;
  }

  @Override
  public synchronized void cancelTimer(long id) {
    timers.removeIf(t -> t.id() == id);
  }

  /**
   * Moves time {@code ms} forward; each timer falling due meanwhile runs through {@code run} (which
   * runs it on the session's context and waits) with the clock at its due time.
   */
  void advance(long ms, Consumer<Runnable> run) {
    long target;
    synchronized (this) {
      target = now + ms * 1_000_000;
    }
    while (true) {
      Timer next;
      synchronized (this) {
        next = timers.peek();
        if (next == null || next.due() > target) {
          now = target;
          return;
        }
        timers.poll();
        now = next.due();
      }
      run.accept(next.action());
    }
  }
}
