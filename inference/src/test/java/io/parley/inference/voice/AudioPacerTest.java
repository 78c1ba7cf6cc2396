package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Audio pacing on a virtual clock at 16 kHz (a 40 ms slice is 640 samples, the 500 ms lead 8,000):
 * audio leaves in slices, no more than the lead ahead of playback, one slice per pacing step after
 * that; the playout clock runs in real time from the first sample and never past what was sent.
 */
class AudioPacerTest {

  private static final int RATE = 16_000;
  private static final int SLICE = RATE * 40 / 1000;

  private final ManualClock clock = new ManualClock();
  private final List<short[]> sent = new ArrayList<>();
  private final List<Long> startedAt = new ArrayList<>();
  private final List<Long> drainedAt = new ArrayList<>();
  private final AudioPacer pacer = new AudioPacer(clock, RATE, new AudioPacer.Sink() {
    @Override
    public void started(long nanos) {
      startedAt.add(nanos);
    }

    @Override
    public void send(short[] pcm) {
      sent.add(pcm);
    }

    @Override
    public void drained() {
      drainedAt.add(clock.millis());
    }
  });

  private long samplesSent() {
    return sent.stream().mapToLong(pcm -> pcm.length).sum();
  }

  private void advance(long ms) {
    clock.advance(ms, Runnable::run);
  }

  @Test
  void audioLeavesInSlicesAtMostTheLeadAheadOfPlayback() {
    long t0 = clock.millis();
    pacer.add(new short[2 * RATE]); // two seconds at once, as an engine may hand over a sentence
    assertThat(startedAt).containsExactly(clock.nanoTime());
    // The lead at once: slices until 8,000 samples are out (the last one crosses it).
    assertThat(samplesSent()).isEqualTo(13L * SLICE);
    for (long ms = 40; ms <= 1_480; ms += 40) {
      advance(40);
      long elapsed = clock.millis() - t0;
      assertThat(samplesSent()).as("at %d ms", elapsed)
          .isEqualTo(Math.min(2L * RATE, 13L * SLICE + elapsed / 40 * SLICE))
          .isLessThanOrEqualTo((elapsed + AudioPacer.LEAD_MS + 40) * RATE / 1000);
    }
    assertThat(sent).allSatisfy(pcm -> assertThat(pcm).hasSize(SLICE));
    assertThat(drainedAt).as("drained once, when the last slice left").containsExactly(t0 + 1_480);
    assertThat(pacer.empty()).isTrue();
    advance(1_000);
    assertThat(sent).hasSize(2 * RATE / SLICE);
    assertThat(pacer.playedMs()).as("played no more than was sent").isEqualTo(2_000);
  }

  @Test
  void thePlayoutClockRunsInRealTimeFromTheFirstSample() {
    assertThat(pacer.playedMs()).isZero();
    pacer.add(new short[2 * RATE]);
    advance(750);
    assertThat(pacer.playedMs()).isEqualTo(750);
  }

  @Test
  void aPieceNoLongerThanASliceLeavesAsItIs() {
    short[] piece = new short[SLICE / 2];
    pacer.add(piece);
    assertThat(sent).containsExactly(piece);
    assertThat(drainedAt).hasSize(1);
  }

  @Test
  void moreThanTheMaximumAheadWaitingIsFullUntilItDrains() {
    pacer.add(new short[10 * RATE]);
    assertThat(pacer.full()).as("9.48 s waiting").isFalse();
    pacer.add(new short[RATE]);
    assertThat(pacer.full()).as("10.48 s waiting").isTrue();
    advance(1_000);
    assertThat(pacer.full()).as("a second later").isFalse();
  }

  @Test
  void stoppedNothingMoreLeavesAndThePlayoutClockKeepsItsCount() {
    pacer.add(new short[2 * RATE]);
    advance(200);
    long out = samplesSent();
    assertThat(out).isEqualTo(18L * SLICE);
    pacer.stop();
    assertThat(pacer.empty()).isTrue();
    advance(2_000);
    assertThat(samplesSent()).isEqualTo(out);
    assertThat(drainedAt).as("a stopped answer is not drained").isEmpty();
    assertThat(pacer.playedMs()).isEqualTo(out * 1000 / RATE);
    pacer.add(new short[RATE]);
    assertThat(samplesSent()).isEqualTo(out);
  }

  @Test
  void nothingToSendStartsNothing() {
    pacer.add(new short[0]);
    assertThat(sent).isEmpty();
    assertThat(startedAt).isEmpty();
    assertThat(drainedAt).as("no audio is not the end of the audio").isEmpty();
    assertThat(pacer.playedMs()).isZero();
  }
}
