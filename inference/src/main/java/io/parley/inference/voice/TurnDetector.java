package io.parley.inference.voice;

import io.parley.inference.vad.VadEvent;
import io.parley.inference.vad.VoiceActivityModel;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Turn detection on the segmenter's decisions: user speech becomes a conversation item
 * ({@link VoiceEvent.SpeechStarted}) and its end a committed user turn
 * ({@link VoiceEvent.SpeechStopped}, {@link VoiceEvent.TurnCommitted}). With it the barge-in
 * policy: user speech that starts during an answer and is still going {@code bargeIn} after its
 * onset cuts the answer (when {@code interruptResponse}). The wait counts from the onset the
 * segmenter reports, so the minimum speech (the server's or the client's {@code min_speech_ms})
 * moves when speech is confirmed but not when the answer is cut, unless it is the longer of the two:
 * then the cut comes at confirmation. On the session's context.
 */
final class TurnDetector {

  /** The session, as turn detection sees it. */
  interface Turns {
    /** Whether an answer is in progress. */
    boolean answering();

    /** User speech began; it shows as {@code item}. */
    void started(String item);

    /** User speech outlasted the barge-in wait: the answer in progress, if any, is cut. */
    void bargeIn();

    /** User turn {@code item} ended (its events are out); its timings count from now. */
    void ended(String item, TurnTimings timings);
  }

  private final VoiceClock clock;
  private final ItemIds items;
  private final Supplier<VoiceSettings> settings;
  private final Consumer<VoiceEvent> events;
  private final Turns turns;
  /** The item of the speech in progress, or null. */
  private String speechItem;
  private long bargeInTimer = -1;

  TurnDetector(VoiceClock clock, ItemIds items, Supplier<VoiceSettings> settings, Consumer<VoiceEvent> events,
               Turns turns) {
    this.clock = clock;
    this.items = items;
    this.settings = settings;
    this.events = events;
    this.turns = turns;
  }

  /** A segmenter decision on the frame that ends at {@code position} (samples segmented so far). */
  void accept(VadEvent e, long position) {
    switch (e) {
      case VadEvent.SpeechStarted s -> speechStarted(s, position);
      case VadEvent.SpeechStopped s -> speechStopped(s);
      case VadEvent.Paused p -> { } // the turn goes on until its end is decided
    }
  }

  private void speechStarted(VadEvent.SpeechStarted s, long position) {
    String item = items.newItem();
    speechItem = item;
    turns.started(item);
    events.accept(new VoiceEvent.SpeechStarted(item, ms(s.startSample())));
    VoiceSettings now = settings.get();
    if (!turns.answering() || !now.interruptResponse()) {
      return;
    }
    // speech_started comes once speech has lasted the minimum: the barge-in wait counts from the
    // onset, so only what is left of it after the speech already heard is waited for.
    long wait = Math.max(0, now.bargeIn().toMillis() - ms(position - s.onsetSample()));
    if (wait == 0) {
      turns.bargeIn();
      return;
    }
    bargeInTimer = clock.setTimer(wait, () -> {
      bargeInTimer = -1;
      if (item.equals(speechItem)) {
        turns.bargeIn();
      }
    });
  }

  private void speechStopped(VadEvent.SpeechStopped s) {
    cancelBargeIn();
    String item = speechItem == null ? items.newItem() : speechItem;
    speechItem = null;
    TurnTimings timings = new TurnTimings(clock.nanoTime());
    events.accept(new VoiceEvent.SpeechStopped(item, ms(s.endSample())));
    events.accept(items.committed(item));
    turns.ended(item, timings);
  }

  /** Stops a barge-in wait in progress. */
  void close() {
    cancelBargeIn();
  }

  private void cancelBargeIn() {
    if (bargeInTimer >= 0) {
      clock.cancelTimer(bargeInTimer);
      bargeInTimer = -1;
    }
  }

  private static long ms(long samples) {
    return samples * 1000 / VoiceActivityModel.SAMPLE_RATE;
  }
}
