package io.parley.inference.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The segmenter on scripted probability timelines. Frames are 512 samples (32 ms); each frame's
 * samples hold its index, so a segment's audio shows exactly which frames it spans.
 */
class VadSegmenterTest {

  private static final int F = VoiceActivityModel.FRAME_SAMPLES;
  /** Defaults: start 0.5, end 0.35, min speech 250 ms (8 frames), min silence 600 ms (19 frames), pre-roll 300 ms. */
  private static final VadSegmenter.Settings DEFAULTS = VadSegmenter.Settings.DEFAULTS;
  private static final long PRE_ROLL = VadSegmenter.samples(DEFAULTS.preRoll()); // 4,800 samples

  /** Feeds one probability per frame from a script; records each event with the frame that caused it. */
  private static final class Timeline {
    final VadSegmenter segmenter;
    final List<VadEvent> events = new ArrayList<>();
    final List<Integer> at = new ArrayList<>();
    int frame;

    Timeline(VadSegmenter.Settings settings) {
      segmenter = new VadSegmenter(settings);
    }

    Timeline feed(int frames, double probability) {
      for (int i = 0; i < frames; i++) {
        float[] samples = new float[F];
        Arrays.fill(samples, frame);
        for (VadEvent e : segmenter.accept(samples, (float) probability)) {
          events.add(e);
          at.add(frame);
        }
        frame++;
      }
      return this;
    }

    Timeline flush() {
      for (VadEvent e : segmenter.flush()) {
        events.add(e);
        at.add(frame);
      }
      return this;
    }

    List<VadEvent.SpeechStopped> segments() {
      return events.stream().filter(VadEvent.SpeechStopped.class::isInstance).map(VadEvent.SpeechStopped.class::cast)
          .toList();
    }
  }

  @Test
  void speechStartsWithPreRollOnceMinSpeechHasPassedAndStopsAfterMinSilence() {
    Timeline t = new Timeline(DEFAULTS).feed(20, 0.1).feed(30, 0.9).feed(25, 0.1);
    long onset = 20L * F;
    assertThat(t.events).hasSize(2);
    // Confirmed at the 8th speech frame (8 x 32 ms = 256 ms >= 250 ms), dated back to the onset minus pre-roll.
    assertThat(t.events.get(0)).isEqualTo(new VadEvent.SpeechStarted(onset - PRE_ROLL, onset));
    assertThat(t.at.get(0)).isEqualTo(27);
    // Silence began at frame 50; 19 frames (608 ms) reach 600 ms at frame 68.
    VadEvent.SpeechStopped stop = t.segments().get(0);
    assertThat(t.at.get(1)).isEqualTo(68);
    assertThat(stop.startSample()).isEqualTo(onset - PRE_ROLL);
    assertThat(stop.endSample()).isEqualTo(50L * F);
    assertThat(stop.audio()).hasSize((int) (stop.endSample() - stop.startSample()));
    assertThat(stop.audio()[0]).isEqualTo(frameOf(onset - PRE_ROLL));
    assertThat(stop.audio()[stop.audio().length - 1]).isEqualTo(49f);
    assertThat(t.segmenter.speaking()).isFalse();
  }

  @Test
  void settingsChangedMidStreamApplyToWhatFollows() {
    Timeline t = new Timeline(DEFAULTS).feed(10, 0.1);
    // A client's session.update: a longer end-of-turn silence (1 s = 32 frames) and a 640 ms pre-roll.
    t.segmenter.update(new VadSegmenter.Settings(0.5, 0.35, Duration.ofMillis(250), Duration.ofMillis(1000),
        Duration.ofMillis(640), VadSegmenter.Settings.DEFAULT_MAX_SEGMENT));
    t.feed(10, 0.1).feed(30, 0.9).feed(25, 0.1);
    assertThat(t.segments()).as("600 ms of silence no longer ends the turn").isEmpty();
    t.feed(10, 0.1);
    assertThat(t.segments()).hasSize(1);
    assertThat(t.at.get(1)).as("silence from frame 50, 32 frames reach 1 s").isEqualTo(81);
    VadEvent.SpeechStopped stop = t.segments().get(0);
    // The pre-roll kept the 4,800 samples it had, then grew with the 10 frames fed since (5,120).
    assertThat(stop.startSample()).isEqualTo(20L * F - 9_920);
    assertThat(stop.audio()[0]).isEqualTo(frameOf(20L * F - 9_920));
  }

  @Test
  void hysteresisBandNeitherStartsNorEndsSpeech() {
    // The band (0.35 <= p < 0.5) does not start speech ...
    Timeline idle = new Timeline(DEFAULTS).feed(100, 0.45);
    assertThat(idle.events).isEmpty();

    // ... keeps speech going (no silence timer) ...
    Timeline t = new Timeline(DEFAULTS).feed(10, 0.1).feed(10, 0.9).feed(60, 0.4);
    assertThat(t.events).hasSize(1);
    assertThat(t.segmenter.speaking()).isTrue();

    // ... and once silence has begun, does not stop its timer: only p >= start does.
    Timeline s = new Timeline(DEFAULTS).feed(10, 0.1).feed(10, 0.9).feed(10, 0.2).feed(9, 0.45);
    assertThat(s.segments()).hasSize(1);
    assertThat(s.segments().get(0).endSample()).isEqualTo(20L * F);
    assertThat(s.at.get(1)).isEqualTo(38);
  }

  @Test
  void aDipBelowTheEndThresholdShorterThanMinSilenceDoesNotSplitTheSegment() {
    Timeline t = new Timeline(DEFAULTS).feed(10, 0.1).feed(20, 0.9).feed(18, 0.1).feed(20, 0.9).feed(19, 0.1);
    assertThat(t.segments()).hasSize(1);
    assertThat(t.segments().get(0).endSample()).isEqualTo(68L * F);
  }

  @Test
  void burstsShorterThanMinSpeechAreDroppedWithoutEvents() {
    // 7 frames = 224 ms < 250 ms, separated by more than min silence.
    Timeline t = new Timeline(DEFAULTS).feed(10, 0.1).feed(7, 0.9).feed(25, 0.1).feed(7, 0.8).feed(40, 0.0);
    assertThat(t.events).isEmpty();
    assertThat(t.segmenter.speaking()).isFalse();
    // Band frames after the burst count as speech (not yet silence): 7 + 1 frames pass 250 ms.
    Timeline u = new Timeline(DEFAULTS).feed(10, 0.1).feed(7, 0.9).feed(1, 0.4).feed(25, 0.1);
    assertThat(u.segments()).hasSize(1);
  }

  @Test
  void preRollIsClippedAtTheStartOfTheStreamAndAtThePreviousSegment() {
    VadSegmenter.Settings longPreRoll = DEFAULTS.withPreRoll(Duration.ofMillis(1_000));
    // Speech from frame 3: only 3 frames exist before it.
    Timeline t = new Timeline(longPreRoll).feed(3, 0.1).feed(10, 0.9).feed(20, 0.1).feed(10, 0.9).feed(20, 0.1);
    List<VadEvent.SpeechStopped> s = t.segments();
    assertThat(s).hasSize(2);
    assertThat(s.get(0).startSample()).isZero();
    assertThat(s.get(0).endSample()).isEqualTo(13L * F);
    // The second onset (frame 33) is 20 frames after the first end: a 1 s pre-roll (31.25 frames)
    // would reach into the first segment; it stops at that segment's end instead.
    assertThat(s.get(1).startSample()).isEqualTo(13L * F);
    assertThat(s.get(1).audio()[0]).isEqualTo(13f);
  }

  @Test
  void aSegmentReachingMaxLengthIsCutAndContinuesWithoutLosingOrRepeatingAudio() {
    VadSegmenter.Settings settings = DEFAULTS.withMaxSegment(Duration.ofSeconds(2)); // 62.5 frames
    Timeline t = new Timeline(settings).feed(20, 0.1).feed(150, 0.9).feed(25, 0.1);
    List<VadEvent.SpeechStopped> s = t.segments();
    assertThat(s).hasSizeGreaterThanOrEqualTo(3);
    assertThat(t.events.stream().filter(VadEvent.SpeechStarted.class::isInstance).count()).isEqualTo(s.size());
    long max = VadSegmenter.samples(settings.maxSegment());
    assertThat(s.get(0).startSample()).isEqualTo(20L * F - PRE_ROLL);
    for (int i = 0; i < s.size(); i++) {
      assertThat(s.get(i).endSample() - s.get(i).startSample()).isLessThanOrEqualTo(max);
      assertThat(s.get(i).audio()).hasSize((int) (s.get(i).endSample() - s.get(i).startSample()));
      if (i > 0) {
        // Contiguous: the next segment starts exactly where the previous one ended.
        assertThat(s.get(i).startSample()).isEqualTo(s.get(i - 1).endSample());
        assertThat(s.get(i).audio()[0]).isEqualTo(frameOf(s.get(i).startSample()));
      }
    }
    assertThat(s.get(s.size() - 1).endSample()).isEqualTo(170L * F);
  }

  @Test
  void aCutDuringSilenceEndsTheSegmentWhereTheSilenceBegan() {
    VadSegmenter.Settings settings = DEFAULTS.withMaxSegment(Duration.ofMillis(1_500)); // 46.9 frames
    // Pre-roll 9.4 frames + 30 speech frames; silence from frame 40; the cut falls inside it.
    Timeline t = new Timeline(settings).feed(10, 0.1).feed(30, 0.9).feed(10, 0.1).feed(10, 0.9).feed(25, 0.1);
    List<VadEvent.SpeechStopped> s = t.segments();
    assertThat(s.get(0).endSample()).isEqualTo(40L * F);
    assertThat(s).hasSize(2);
    assertThat(s.get(1).startSample()).isGreaterThanOrEqualTo(40L * F);
  }

  @Test
  void flushEndsSpeechInProgressAndDropsAnUnconfirmedCandidate() {
    Timeline speaking = new Timeline(DEFAULTS).feed(10, 0.1).feed(20, 0.9).feed(5, 0.1).flush();
    assertThat(speaking.segments()).hasSize(1);
    assertThat(speaking.segments().get(0).endSample()).isEqualTo(30L * F); // where the silence began
    Timeline still = new Timeline(DEFAULTS).feed(10, 0.1).feed(20, 0.9).flush();
    assertThat(still.segments().get(0).endSample()).isEqualTo(30L * F);
    Timeline candidate = new Timeline(DEFAULTS).feed(10, 0.1).feed(3, 0.9).flush();
    assertThat(candidate.events).isEmpty();
    // The clock keeps running after a flush.
    assertThat(candidate.feed(5, 0.1).segmenter.position()).isEqualTo(18L * F);
  }

  @Test
  void settingsAreValidated() {
    assertThatThrownBy(() -> new VadSegmenter.Settings(0.3, 0.5, Duration.ZERO, Duration.ofMillis(100), Duration.ZERO,
        Duration.ofSeconds(30))).hasMessageContaining("endThreshold");
    assertThatThrownBy(() -> DEFAULTS.withMaxSegment(Duration.ofMillis(1_000))).hasMessageContaining("maxSegment");
    assertThatThrownBy(() -> DEFAULTS.withMaxSegment(Duration.ofMinutes(6))).hasMessageContaining("maxSegment");
  }

  @Test
  void semanticDetectionReportsEachPauseOnceAndEndsTheTurnThereOnlyWhileThePauseLasts() {
    VadSegmenter.Settings semantic = DEFAULTS.withEagerness(Eagerness.HIGH); // fallback 2 s: 63 frames
    // Speech from frame 10, silence from frame 30: the pause (200 ms) is heard at the end of frame 36.
    Timeline t = new Timeline(semantic).feed(10, 0.1).feed(20, 0.9).feed(10, 0.1);
    List<VadEvent.Paused> pauses = t.events.stream().filter(VadEvent.Paused.class::isInstance)
        .map(VadEvent.Paused.class::cast).toList();
    assertThat(pauses).hasSize(1);
    assertThat(t.at.get(t.events.indexOf(pauses.getFirst()))).isEqualTo(36);
    VadEvent.Paused pause = pauses.getFirst();
    assertThat(pause.endSample()).isEqualTo(30L * F);
    assertThat(pause.audio()).hasSize((int) (pause.endSample() - pause.startSample()));
    assertThat(pause.audio()[pause.audio().length - 1]).isEqualTo(29f); // the last spoken frame
    assertThat(t.segments()).isEmpty(); // the turn goes on meanwhile

    // The model found it complete: the turn ends where the pause began, once.
    List<VadEvent> ended = t.segmenter.endPause(pause);
    assertThat(ended).singleElement().isInstanceOfSatisfying(VadEvent.SpeechStopped.class,
        s -> assertThat(s.endSample()).isEqualTo(30L * F));
    assertThat(t.segmenter.endPause(pause)).isEmpty();
    assertThat(t.segmenter.speaking()).isFalse();
  }

  @Test
  void aPauseTheUserSpeaksAfterIsNotAnEndAndTheFallbackEndsTheTurnAnyway() {
    VadSegmenter.Settings semantic = DEFAULTS.withEagerness(Eagerness.HIGH);
    Timeline t = new Timeline(semantic).feed(10, 0.1).feed(20, 0.9).feed(10, 0.1).feed(10, 0.9);
    VadEvent.Paused first = (VadEvent.Paused) t.events.stream().filter(VadEvent.Paused.class::isInstance)
        .findFirst().orElseThrow();
    assertThat(t.segmenter.endPause(first)).isEmpty(); // the user spoke again: one turn, still going
    assertThat(t.segmenter.speaking()).isTrue();
    // A second pause is reported again; with no decision, 2 s of silence end the turn.
    t.feed(70, 0.1);
    assertThat(t.events.stream().filter(VadEvent.Paused.class::isInstance)).hasSize(2);
    assertThat(t.segments()).singleElement().satisfies(s -> {
      assertThat(s.endSample()).isEqualTo(50L * F);
      assertThat(frameOf(s.startSample() + s.audio().length - 1)).isEqualTo(49f);
    });
    assertThat(t.at.getLast()).isEqualTo(50 + 63 - 1);
  }

  @Test
  void plainServerVadReportsNoPauses() {
    Timeline t = new Timeline(DEFAULTS).feed(10, 0.1).feed(20, 0.9).feed(30, 0.1);
    assertThat(t.events).noneMatch(VadEvent.Paused.class::isInstance);
    assertThat(t.segments()).hasSize(1);
    assertThat(DEFAULTS.withEagerness(Eagerness.LOW).endSilence()).isEqualTo(Duration.ofSeconds(8));
    assertThat(DEFAULTS.withEagerness(Eagerness.LOW).withoutEagerness()).isEqualTo(DEFAULTS);
  }

  /** The value the timeline writes into the sample at this stream offset. */
  private static float frameOf(long sample) {
    return sample / F;
  }
}
