package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.vad.VadEvent;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.vad.VoiceActivityModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Turn detection and the barge-in policy on a real segmenter and a virtual clock, no engines: frames
 * arrive one per 32 ms of virtual time, as from a client streaming in real time, and the table says
 * when (from the onset of speech) speech is confirmed and the answer is cut. Server defaults
 * otherwise: 600 ms of silence end a turn, 300 ms of pre-roll.
 */
class TurnDetectorTest {

  private static final int FRAME = VoiceActivityModel.FRAME_SAMPLES;
  private static final long FRAME_MS = FRAME * 1000L / VoiceActivityModel.SAMPLE_RATE;

  private final ManualClock clock = new ManualClock();
  private final ItemIds items = new ItemIds();
  private final List<VoiceEvent> events = new ArrayList<>();
  private final List<String> started = new ArrayList<>();
  private final List<Long> confirmedAt = new ArrayList<>();
  private final List<String> ended = new ArrayList<>();
  private final List<Long> bargeIns = new ArrayList<>();
  private final VadSegmenter segmenter = new VadSegmenter(VadSegmenter.Settings.DEFAULTS);
  private VoiceSettings settings;
  private boolean answering;
  private TurnDetector detector;

  private void open(long bargeInMs, long minSpeechMs, boolean interruptResponse) {
    VadSegmenter.Settings d = VadSegmenter.Settings.DEFAULTS;
    VadSegmenter.Settings turnDetection = new VadSegmenter.Settings(d.startThreshold(), d.endThreshold(),
        Duration.ofMillis(minSpeechMs), d.minSilence(), d.preRoll(), d.maxSegment());
    settings = new VoiceSettings(true, true, interruptResponse, Duration.ofMillis(bargeInMs), "be brief",
        Optional.empty(), true, 64, 0.7, 20, turnDetection);
    segmenter.update(turnDetection); // as a client's session.update reaches the segmenter
    detector = new TurnDetector(clock, items, () -> settings, events::add, new TurnDetector.Turns() {
      @Override
      public boolean answering() {
        return answering;
      }

      @Override
      public void started(String item) {
        started.add(item);
        confirmedAt.add(clock.millis());
      }

      @Override
      public void bargeIn() {
        bargeIns.add(clock.millis());
      }

      @Override
      public void ended(String item, TurnTimings timings) {
        ended.add(item);
      }
    });
  }

  /** {@code ms} of frames of speech probability {@code p}, each arriving once its 32 ms have passed. */
  private void frames(float p, long ms) {
    for (long at = 0; at + FRAME_MS <= ms; at += FRAME_MS) {
      clock.advance(FRAME_MS, Runnable::run);
      for (VadEvent e : segmenter.accept(new float[FRAME], p)) {
        detector.accept(e, segmenter.position());
      }
    }
  }

  /**
   * wait: the barge-in time, min: the minimum speech, speech: how long the user speaks (then is
   * silent); confirmed and cut: when speech_started comes and the answer is cut, in ms from the
   * onset (-1: never). All in ms.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      # case                                                     | wait | min | speech | answering | interrupt | confirmed | cut
      speech shorter than the minimum is no speech, cuts nothing |  250 | 250 |    224 | true      | true      |        -1 |  -1
      speech longer than the wait cuts, counted from the onset   |  400 | 250 |    640 | true      | true      |       256 | 400
      a client's longer minimum confirms later, cuts the same    |  600 | 500 |   1000 | true      | true      |       512 | 600
      a client's shorter minimum confirms sooner, cuts the same  |  600 | 100 |   1000 | true      | true      |       128 | 600
      a minimum longer than the wait cuts at confirmation        |  250 | 700 |   1000 | true      | true      |       704 | 704
      no wait cuts at confirmation                               |    0 | 250 |    640 | true      | true      |       256 | 256
      a turn that ends before the wait cuts nothing              | 1500 | 250 |    320 | true      | true      |       256 |  -1
      a pause within the minimum silence still cuts at the wait  |  600 | 250 |    320 | true      | true      |       256 | 600
      speech with no answer in progress cuts nothing             |  400 | 250 |    640 | false     | true      |       256 |  -1
      interrupt_response off cuts nothing                        |  400 | 250 |    640 | true      | false     |       256 |  -1
      """)
  void bargeIn(String name, long bargeInMs, long minSpeechMs, long speechMs, boolean answering,
               boolean interruptResponse, long confirmedMs, long cutMs) {
    open(bargeInMs, minSpeechMs, interruptResponse);
    this.answering = answering;
    frames(0f, 320);
    long onset = clock.millis();
    frames(0.9f, speechMs);
    frames(0f, 2_000);
    assertThat(confirmedAt).as("confirmed at").isEqualTo(confirmedMs < 0 ? List.of() : List.of(onset + confirmedMs));
    assertThat(bargeIns).as("cut at").isEqualTo(cutMs < 0 ? List.of() : List.of(onset + cutMs));
    assertThat(ended).as("the turn ended").hasSize(confirmedMs < 0 ? 0 : 1);
  }

  @Test
  void eachTurnIsAnItemCommittedAfterTheOneBefore() {
    open(400, 250, true);
    frames(0f, 320);
    frames(0.9f, 640);
    frames(0f, 960);
    items.answered("item_answer");
    frames(0.9f, 640);
    frames(0f, 960);
    assertThat(started).hasSize(2).doesNotHaveDuplicates().isEqualTo(ended);
    String first = started.get(0);
    String second = started.get(1);
    // Onset at 320 ms with 300 ms of pre-roll: the segment starts at 20 ms; the silence that ends
    // it begins at 960 ms. The second onset is at 1,920 ms, its segment starts at 1,620.
    assertThat(events).containsExactly(
        new VoiceEvent.SpeechStarted(first, 20),
        new VoiceEvent.SpeechStopped(first, 960),
        new VoiceEvent.TurnCommitted(first, null),
        new VoiceEvent.SpeechStarted(second, 1_620),
        new VoiceEvent.SpeechStopped(second, 2_560),
        new VoiceEvent.TurnCommitted(second, "item_answer"));
    assertThat(first).startsWith("item_");
  }

  @Test
  void closingStopsABargeInWait() {
    open(600, 250, true);
    answering = true;
    frames(0.9f, 320);
    assertThat(confirmedAt).hasSize(1);
    detector.close();
    frames(0.9f, 640);
    assertThat(bargeIns).isEmpty();
  }
}
