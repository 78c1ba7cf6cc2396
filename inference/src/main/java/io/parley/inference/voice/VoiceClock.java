package io.parley.inference.voice;

import io.vertx.core.Vertx;

/**
 * The time a {@link VoiceSession} lives by: its timestamps (turn timings, the playout clock) and its
 * timers (audio pacing, the barge-in wait, the truncate wait). Production uses {@link #of(Vertx)};
 * tests drive a session on a virtual clock and script a conversation to the millisecond.
 */
public interface VoiceClock {

  /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
  long nanoTime();

  /**
   * Runs {@code action} once, {@code delayMs} from now, on the calling session's context (call from
   * that context); returns an id for {@link #cancelTimer}.
   */
  long setTimer(long delayMs, Runnable action);

  /** Cancels a timer that has not run yet; a no-op otherwise. */
  void cancelTimer(long id);

  /** Real time, with Vert.x timers (which run on the context that set them). */
  static VoiceClock of(Vertx vertx) {
    return new VoiceClock() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public long setTimer(long delayMs, Runnable action) {
        return vertx.setTimer(Math.max(1, delayMs), id -> action.run());
      }

      @Override
      public void cancelTimer(long id) {
        vertx.cancelTimer(id);
      }
    };
  }
}
