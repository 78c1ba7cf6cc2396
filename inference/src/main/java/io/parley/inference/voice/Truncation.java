package io.parley.inference.voice;

import java.util.Optional;

/**
 * What is kept of a cancelled answer: as much as the client says it played (its
 * {@code conversation.item.truncate}), or, when that does not come within {@link #WAIT_MS}, as much
 * as the server's playout clock says was heard. One cut waits at a time: a newer cut stores the one
 * before it at once, as the server heard it. On the session's context.
 */
final class Truncation {

  /** How long a cancelled answer waits for the client's truncate before it is stored. */
  static final long WAIT_MS = 1_000;

  /** Keeps the text heard of cut answer {@code itemId} ({@code spoken}: how its text was spoken). */
  interface Store {
    void store(String itemId, String heard, SpokenText spoken);
  }

  /** A cancelled answer, how much of it the server's playout clock says was heard, and how it was spoken. */
  private record Cut(String itemId, long playedMs, SpokenText spoken) {}

  private final VoiceClock clock;
  private final Store store;
  private Cut pending;

  Truncation(VoiceClock clock, Store store) {
    this.clock = clock;
    this.store = store;
  }

  /** Answer {@code itemId} was cancelled when the server had played {@code playedMs} of it. */
  void cut(String itemId, long playedMs, SpokenText spoken) {
    Cut cut = new Cut(itemId, playedMs, spoken);
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

  /**
   * conversation.item.truncate: the client says how much of answer {@code itemId} it played.
   *
   * @return the text kept, or empty when {@code itemId} is not the cut waiting for it
   */
  Optional<String> truncate(String itemId, long audioEndMs) {
    if (pending != null && pending.itemId().equals(itemId)) {
      return Optional.of(store(audioEndMs));
    }
    return Optional.empty();
  }

  private String store(long playedMs) {
    Cut cut = pending;
    pending = null;
    String heard = cut.spoken().heardBy(playedMs);
    store.store(cut.itemId(), heard, cut.spoken());
    return heard;
  }
}
