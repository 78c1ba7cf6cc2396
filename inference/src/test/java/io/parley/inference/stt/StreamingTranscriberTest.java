package io.parley.inference.stt;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.vad.VadEvent.SpeechStarted;
import io.parley.inference.vad.VadEvent.SpeechStopped;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scripted timelines against a fake engine and an executor the test steps by hand, so "in flight"
 * and "arrives late" are exact. Frames are 512 samples (32 ms); the interim cadence is 1 s.
 */
class StreamingTranscriberTest {

  static final int FRAME = 512;
  static final float SILENCE = 0.5f; // marks audio the VAD did not call speech
  static final float SPEECH = 0.1f;

  /** Records every call; answers "len=N" or throws what the test queued. */
  static final class ScriptedEngine implements SpeechToText {
    final List<float[]> calls = Collections.synchronizedList(new ArrayList<>());
    final List<Optional<String>> languages = Collections.synchronizedList(new ArrayList<>());
    final Deque<RuntimeException> failures = new ArrayDeque<>();
    final List<String> prompts = Collections.synchronizedList(new ArrayList<>());

    @Override
    public Transcript transcribe(float[] samples, Optional<String> language, String prompt) {
      prompts.add(prompt == null ? "(none)" : prompt);
      return transcribe(samples, language);
    }

    @Override
    public Transcript transcribe(float[] samples, Optional<String> language) {
      calls.add(samples.clone());
      languages.add(language);
      RuntimeException f = failures.pollFirst();
      if (f != null) {
        throw f;
      }
      return new Transcript("len=" + samples.length, language.orElse("und"), Duration.ofMillis(1));
    }

    @Override
    public String model() {
      return "scripted";
    }

    @Override
    public void close() {}
  }

  /** Runs nothing until the test says so, on the test's own (platform) thread. */
  static final class SteppedExecutor implements Executor {
    final Deque<Runnable> queued = new ArrayDeque<>();
    boolean reject;

    @Override
    public void execute(Runnable r) {
      if (reject) {
        throw new RejectedExecutionException("full");
      }
      queued.addLast(r);
    }

    void runNext() {
      queued.removeFirst().run();
    }

    void runAll() {
      while (!queued.isEmpty()) {
        runNext();
      }
    }
  }

  static final class Recorder implements StreamingTranscriber.Listener {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void interim(long segmentId, String text) {
      events.add("interim " + segmentId + " " + text);
    }

    @Override
    public void completed(long segmentId, Transcript transcript) {
      events.add("final " + segmentId + " " + transcript.text());
    }

    @Override
    public void failed(long segmentId, ParleyException error) {
      events.add("failed " + segmentId + " " + error.reason());
    }
  }

  ScriptedEngine engine;
  SteppedExecutor executor;
  Recorder listener;
  StreamingTranscriber stream;
  long fed;

  @BeforeEach
  void setUp() {
    engine = new ScriptedEngine();
    executor = new SteppedExecutor();
    listener = new Recorder();
    stream = new StreamingTranscriber(engine, executor, Optional.of("en"), Duration.ofMillis(1000),
        Duration.ofMillis(200), listener);
  }

  void feed(int frames, float value, boolean runEach) {
    for (int i = 0; i < frames; i++) {
      float[] f = new float[FRAME];
      Arrays.fill(f, value);
      stream.audio(f);
      fed += FRAME;
      if (runEach) {
        executor.runAll();
      }
    }
  }

  float[] segment(long from, long to) {
    float[] a = new float[(int) (to - from)];
    Arrays.fill(a, SPEECH);
    return a;
  }

  @Test
  void silenceCostsNothing() {
    feed(500, SILENCE, true); // 16 s
    assertThat(engine.calls).isEmpty();
    assertThat(executor.queued).isEmpty();
    assertThat(listener.events).isEmpty();
  }

  @Test
  void interimsEverySecondWhileSpeakingThenOneFinal() {
    feed(20, SILENCE, true);
    long start = fed - 4 * FRAME; // the VAD's pre-roll: 4 frames before it decided
    stream.event(new SpeechStarted(start));
    feed(100, SPEECH, true);   // 3.2 s of speech: interims at 1, 2 and 3 s
    stream.event(new SpeechStopped(start, fed, segment(start, fed)));
    executor.runAll();

    // each interim: the pre-roll plus the speech up to the first frame ending >= n s after the start
    assertThat(listener.events).containsExactly(
        "interim 1 len=" + (4 * FRAME + 16_384),
        "interim 1 len=" + (4 * FRAME + 32_256),
        "interim 1 len=" + (4 * FRAME + 48_128),
        "final 1 len=" + (fed - start));
    assertThat(engine.calls).hasSize(4);
  }

  @Test
  void aNewLanguageAppliesFromTheNextCallOnAndAQueuedOneKeepsItsOwn() {
    stream.event(new SpeechStarted(0));
    feed(10, SPEECH, true);
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));   // queued, not run yet: asked in "en"
    stream.language(Optional.of("es"));
    executor.runAll();
    long start = fed;
    stream.event(new SpeechStarted(start));
    feed(10, SPEECH, true);
    stream.event(new SpeechStopped(start, fed, segment(start, fed)));
    executor.runAll();
    stream.language(Optional.empty()); // detect
    start = fed;
    stream.event(new SpeechStarted(start));
    feed(10, SPEECH, true);
    stream.event(new SpeechStopped(start, fed, segment(start, fed)));
    executor.runAll();

    assertThat(engine.languages).containsExactly(Optional.of("en"), Optional.of("es"), Optional.empty());
  }

  @Test
  void aPromptAppliesFromTheNextCallOnAndAQueuedCallKeepsItsOwn() {
    stream.event(new SpeechStarted(0));
    feed(10, SPEECH, true);
    stream.event(new SpeechStopped(0, fed, segment(0, fed))); // queued before the prompt
    stream.prompt("Bananas, calories.");
    executor.runAll();
    long start = fed;
    stream.event(new SpeechStarted(start));
    feed(10, SPEECH, true);
    stream.event(new SpeechStopped(start, fed, segment(start, fed)));
    executor.runAll();

    assertThat(engine.prompts).containsExactly("(none)", "Bananas, calories.");
  }

  @Test
  void audioTheVadRejectedIsNeverTranscribed() {
    feed(50, SILENCE, true);
    long start = fed - 2 * FRAME;
    stream.event(new SpeechStarted(start));
    // the pre-roll frames are "silence" valued: only they may appear, nothing older
    feed(40, SPEECH, true);
    float[] interim = engine.calls.getFirst();
    assertThat(interim.length).isEqualTo(2 * FRAME + 16_384); // pre-roll + speech up to the frame due at 1 s
    long silenceInInterim = countOf(interim, SILENCE);
    assertThat(silenceInInterim).isEqualTo(2 * FRAME);
    assertThat(interim[0]).isEqualTo(SILENCE);
    assertThat(interim[2 * FRAME]).isEqualTo(SPEECH);
  }

  @Test
  void noInterimStartsInTheSilenceThatEndsATurn() {
    stream.event(new SpeechStarted(0));
    feed(30, SPEECH, true);                 // 0.96 s: no interim yet
    for (int i = 0; i < 20; i++) {          // 0.64 s of trailing silence, still "speaking" for the VAD
      float[] f = new float[FRAME];
      stream.audio(f, false);
      fed += FRAME;
      executor.runAll();
    }
    assertThat(engine.calls).as("the interim due at 1 s falls in silence: not started").isEmpty();
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    assertThat(executor.queued).as("the final runs at once, nothing to wait for").hasSize(1);
    executor.runAll();
    assertThat(listener.events).containsExactly("final 1 len=" + fed);
  }

  @Test
  void anInterimThatHasAllTheSpeechBecomesTheFinal() {
    stream.event(new SpeechStarted(0));
    feed(32, SPEECH, false);                // 1.02 s: the interim due at 1 s starts (queued, not run)
    assertThat(executor.queued).hasSize(1);
    for (int i = 0; i < 19; i++) {          // then only silence until the VAD calls the end
      stream.audio(new float[FRAME], false);
      fed += FRAME;
    }
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    assertThat(executor.queued).as("no second pass queued").hasSize(1);
    executor.runAll();
    assertThat(listener.events).containsExactly("final 1 len=" + 32 * FRAME);
    assertThat(engine.calls).hasSize(1);
    assertThat(stream.promotions()).isEqualTo(1);
  }

  @Test
  void speechAfterTheInterimStartedStillGetsItsOwnFinal() {
    stream.event(new SpeechStarted(0));
    feed(32, SPEECH, false);                // the interim starts at 1.02 s
    feed(5, SPEECH, false);                 // more words while it runs
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    executor.runAll();
    assertThat(listener.events).as("the interim is stale (speech stopped); the final has all")
        .containsExactly("final 1 len=" + fed);
    assertThat(engine.calls).hasSize(2);
    assertThat(stream.promotions()).isZero();
  }

  @Test
  void aPauseDelaysTheInterimUntilSpeechResumes() {
    stream.event(new SpeechStarted(0));
    feed(30, SPEECH, true);
    for (int i = 0; i < 10; i++) {
      stream.audio(new float[FRAME], false);
      fed += FRAME;
    }
    assertThat(engine.calls).isEmpty();
    feed(1, SPEECH, true);                  // voiced again: the overdue interim starts now
    assertThat(listener.events).containsExactly("interim 1 len=" + fed);
  }

  @Test
  void interimIsSkippedWhileTheLastOneRuns() {
    stream.event(new SpeechStarted(0));
    feed(100, SPEECH, false);  // three interims fall due, the first is still queued
    assertThat(executor.queued).hasSize(1);
    assertThat(stream.interimsStarted()).isEqualTo(1);
    assertThat(stream.interimsSkipped()).isEqualTo(2);

    executor.runNext();
    assertThat(listener.events).containsExactly("interim 1 len=16384");
    feed(40, SPEECH, false);   // the 4 s interim is due and nothing runs: it starts
    assertThat(executor.queued).hasSize(1);
    executor.runNext();
    assertThat(listener.events).last().isEqualTo("interim 1 len=64000");
  }

  @Test
  void lateInterimOfAStoppedSegmentIsDiscardedAndTheFinalWaitsForIt() {
    stream.event(new SpeechStarted(0));
    feed(40, SPEECH, false);                     // interim due at 1 s, queued, not run
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    assertThat(executor.queued).as("the final waits for the running interim").hasSize(1);

    executor.runNext();                          // the interim completes after the stop
    assertThat(listener.events).isEmpty();       // ... and is dropped
    assertThat(executor.queued).hasSize(1);      // the final started once it finished
    executor.runNext();
    assertThat(listener.events).containsExactly("final 1 len=" + fed);
  }

  @Test
  void finalOfAnOlderSegmentIsStillDeliveredButItsInterimsAreNot() {
    stream.event(new SpeechStarted(0));
    feed(40, SPEECH, false);                     // segment 1 interim queued
    long stop1 = fed;
    stream.event(new SpeechStopped(0, stop1, segment(0, stop1)));
    feed(10, SILENCE, false);
    long start2 = fed;
    stream.event(new SpeechStarted(start2));     // segment 2 begins before anything of 1 returned
    feed(40, SPEECH, false);                     // its interim is skipped: 1's work is in flight
    executor.runAll();

    assertThat(listener.events).containsExactly("final 1 len=" + stop1);
    assertThat(stream.segmentId()).isEqualTo(2);
    feed(32, SPEECH, true);                      // 2's next interim is delivered normally
    assertThat(listener.events).last().asString().startsWith("interim 2 ");
    stream.event(new SpeechStopped(start2, fed, segment(start2, fed)));
    executor.runAll();
    assertThat(listener.events).last().isEqualTo("final 2 len=" + (fed - start2));
  }

  @Test
  void finalsRunInSegmentOrderOneAtATime() {
    for (int seg = 0; seg < 3; seg++) {
      long start = fed;
      stream.event(new SpeechStarted(start));
      feed(10, SPEECH, false);
      stream.event(new SpeechStopped(start, fed, segment(start, fed)));
    }
    assertThat(executor.queued).hasSize(1);
    executor.runAll();
    assertThat(listener.events).containsExactly("final 1 len=5120", "final 2 len=5120", "final 3 len=5120");
  }

  /**
   * Bursts of speech faster than the engine: finals queue (none is dropped), and at
   * BACKLOG_HIGH waiting the stream says it is backlogged, until the queue is down to BACKLOG_LOW.
   */
  @Test
  void finalsQueuedBehindTheEngineMakeTheStreamBacklogged() {
    java.util.concurrent.atomic.AtomicInteger hooks = new java.util.concurrent.atomic.AtomicInteger();
    List<Boolean> seen = new ArrayList<>();
    StreamingTranscriber[] self = new StreamingTranscriber[1];
    stream = new StreamingTranscriber(engine, executor, Optional.of("en"), Duration.ofMillis(1000),
        Duration.ofMillis(200), listener, () -> {
          hooks.incrementAndGet();
          seen.add(self[0].backlogged());
        });
    self[0] = stream;
    int segments = 1 + StreamingTranscriber.BACKLOG_HIGH + 2; // one running, then the queue
    for (int seg = 1; seg <= segments; seg++) {
      long start = fed;
      stream.event(new SpeechStarted(start));
      feed(10, SPEECH, false);
      stream.event(new SpeechStopped(start, fed, segment(start, fed)));
      assertThat(stream.queuedFinals()).isEqualTo(seg - 1);
      assertThat(stream.backlogged()).as("after segment %d", seg).isEqualTo(seg - 1 >= StreamingTranscriber.BACKLOG_HIGH);
    }
    assertThat(seen).containsExactly(true);

    // The engine catches up one final at a time; the stream reads again at BACKLOG_LOW waiting.
    while (stream.queuedFinals() > StreamingTranscriber.BACKLOG_LOW + 1) {
      executor.runNext();
      assertThat(stream.backlogged()).isTrue();
    }
    executor.runNext();
    assertThat(stream.queuedFinals()).isEqualTo(StreamingTranscriber.BACKLOG_LOW);
    assertThat(stream.backlogged()).isFalse();
    assertThat(seen).containsExactly(true, false);
    executor.runAll();
    assertThat(hooks.get()).isEqualTo(2);
    assertThat(listener.events).hasSize(segments).allMatch(e -> e.startsWith("final "));
    assertThat(listener.events.get(segments - 1)).isEqualTo("final " + segments + " len=5120");
  }

  @Test
  void resetDiscardsWorkInFlight() {
    stream.event(new SpeechStarted(0));
    feed(10, SPEECH, false);
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    stream.reset();
    executor.runAll();
    assertThat(listener.events).isEmpty();

    fed = 0;
    stream.event(new SpeechStarted(0));
    feed(10, SPEECH, true);
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    executor.runAll();
    assertThat(listener.events).containsExactly("final 2 len=5120");
  }

  @Test
  void closeDiscardsWorkInFlightAndIgnoresLaterInput() {
    stream.event(new SpeechStarted(0));
    feed(10, SPEECH, false);
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    stream.close();
    executor.runAll();
    stream.event(new SpeechStarted(fed));
    feed(100, SPEECH, true);
    assertThat(listener.events).isEmpty();
    assertThat(engine.calls).hasSize(1);
  }

  @Test
  void failedFinalIsReportedFailedInterimIsNot() {
    engine.failures.add(new ParleyException(Reason.INTERNAL, "boom"));   // the interim
    engine.failures.add(new IllegalStateException("bang"));              // the final
    stream.event(new SpeechStarted(0));
    feed(40, SPEECH, true);
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    executor.runAll();
    assertThat(listener.events).containsExactly("failed 1 INTERNAL");

    long start = fed;
    stream.event(new SpeechStarted(start));      // and the stream goes on
    feed(5, SPEECH, true);
    stream.event(new SpeechStopped(start, fed, segment(start, fed)));
    executor.runAll();
    assertThat(listener.events).last().isEqualTo("final 2 len=2560");
  }

  @Test
  void rejectedWorkIsAFailedFinal() {
    executor.reject = true;
    stream.event(new SpeechStarted(0));
    feed(10, SPEECH, false);
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    assertThat(listener.events).containsExactly("failed 1 UNAVAILABLE");
    executor.reject = false;
    stream.event(new SpeechStarted(fed));
    feed(10, SPEECH, false);
    stream.event(new SpeechStopped(fed - 5120, fed, segment(fed - 5120, fed)));
    executor.runAll();
    assertThat(listener.events).last().isEqualTo("final 2 len=5120");
  }

  @Test
  void finalsOnlyWhenInterimsAreOff() {
    stream = new StreamingTranscriber(engine, executor, Optional.empty(), Duration.ZERO, Duration.ZERO, listener);
    stream.event(new SpeechStarted(0));
    feed(200, SPEECH, true);
    stream.event(new SpeechStopped(0, fed, segment(0, fed)));
    executor.runAll();
    assertThat(listener.events).containsExactly("final 1 len=" + fed);
  }

  @Test
  void longSpeechInterimsCoverTheLast30Seconds() {
    stream.event(new SpeechStarted(0));
    feed(1100, SPEECH, true); // 35.2 s
    float[] last = engine.calls.getLast();
    assertThat(last.length).isEqualTo(StreamingTranscriber.MAX_INTERIM_SAMPLES);
  }

  private static long countOf(float[] a, float v) {
    long n = 0;
    for (float x : a) {
      if (x == v) {
        n++;
      }
    }
    return n;
  }
}
