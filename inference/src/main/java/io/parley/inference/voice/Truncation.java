package io.parley.inference.voice;

import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * What is kept of a cancelled answer: as much as the client says it played (its
 * {@code conversation.item.truncate}), or, when that does not come within {@link #WAIT_MS}, as much
 * as the server's playout clock says was heard. One cut waits at a time: a newer cut stores the one
 * before it at once, as the server heard it. On the session's context.
 */
final class Truncation {

  /** How long a cancelled answer waits for the client's truncate before it is stored. */
  static final long WAIT_MS = 1_000;

  /** A cancelled answer, how much of it the server's playout clock says was heard, and its heard text by time. */
  private record Cut(String itemId, long playedMs, LongFunction<String> heardText) {}

  private final VoiceClock clock;
  private final Consumer<String> store;
  private Cut pending;

  /** {@code store}: keeps the text heard of a cut answer. */
  Truncation(VoiceClock clock, Consumer<String> store) {
    this.clock = clock;
    this.store = store;
  }

  /**
   * Answer {@code itemId} was cancelled when the server had played {@code playedMs} of it;
   * {@code heardText} tells its text heard by a moment of playout.
   */
  void cut(String itemId, long playedMs, LongFunction<String> heardText) {
    Cut cut = new Cut(itemId, playedMs, heardText);
    if (pending != null) {
      store(pending.playedMs()); // an earlier cut whose truncate did not come: kept as heard
    }
    pending = cut;
    clock.setTimer(WAIT_MS, () -> {
      if (pending == cut) {
        store(cut.playedMs());
      }
    });
  }

  /** conversation.item.truncate: the client says how much of answer {@code itemId} it played. */
  void truncate(String itemId, long audioEndMs) {
    if (pending != null && pending.itemId().equals(itemId)) {
      store(audioEndMs);
    }
  }

  private void store(long playedMs) {
    Cut cut = pending;
    pending = null;
    store.accept(cut.heardText().apply(playedMs));
  }
}
