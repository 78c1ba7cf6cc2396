package io.parley.inference.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FreeTtsTest {

  private static final String SHORT = "Hello, how are you today?";
  private static final String LONG = "This is the first sentence of a long answer. Here comes a second one, which is "
      + "rather longer than the first. And a third sentence follows it. Then a fourth, and a fifth, and a sixth. "
      + "Finally the seventh sentence ends the paragraph.";
  private static final String LONG_OTHER = "Drink a glass of water when you wake up. Walk for twenty minutes after "
      + "lunch, and stretch before you go to bed. Sleep at least seven hours every night of the week.";
  private static final double SILENCE_RMS = 0.01;

  private static ExecutorService workers;
  private static FreeTts tts;

  @BeforeAll
  static void start() {
    workers = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("tts-", 0).factory());
    tts = new FreeTts("kevin16", 2);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    workers.shutdown();
    workers.awaitTermination(30, TimeUnit.SECONDS);
    tts.close();
  }

  private static <T> T onWorker(Callable<T> task) throws Exception {
    return workers.submit(task).get(60, TimeUnit.SECONDS);
  }

  private static short[] synthesize(String text) {
    SampleCollector out = new SampleCollector();
    tts.synthesize(text, out, () -> false);
    return out.samples();
  }

  @Test
  void aShortSentenceBecomesAudibleSpeechOfPlausibleLength() throws Exception {
    SampleCollector out = new SampleCollector();
    onWorker(() -> {
      tts.synthesize(SHORT, out, () -> false);
      return null;
    });
    short[] samples = out.samples();
    double seconds = samples.length / (double) tts.sampleRate();
    assertThat(tts.sampleRate()).isEqualTo(16_000);
    assertThat(tts.voice()).isEqualTo("kevin16");
    assertThat(seconds).isBetween(0.5, 3.0);
    assertThat(Pcm.rms(samples)).isGreaterThan(SILENCE_RMS);
    assertThat(out.chunks()).isGreaterThan(1); // delivered as produced, not in one piece
  }

  @Test
  void twoThreadsAtOnceProduceTheSingleThreadedSamples() throws Exception {
    short[] longReference = onWorker(() -> synthesize(LONG));
    short[] otherReference = onWorker(() -> synthesize(LONG_OTHER));
    assertThat(longReference).isNotEqualTo(otherReference);
    for (int round = 0; round < 5; round++) {
      CyclicBarrier together = new CyclicBarrier(2);
      Future<short[]> a = workers.submit(() -> {
        together.await(10, TimeUnit.SECONDS);
        return synthesize(LONG);
      });
      Future<short[]> b = workers.submit(() -> {
        together.await(10, TimeUnit.SECONDS);
        return synthesize(LONG_OTHER);
      });
      assertThat(a.get(60, TimeUnit.SECONDS)).as("round %d, thread a", round).isEqualTo(longReference);
      assertThat(b.get(60, TimeUnit.SECONDS)).as("round %d, thread b", round).isEqualTo(otherReference);
    }
  }

  @Test
  void speedChangesTheDuration() throws Exception {
    int normal = onWorker(() -> synthesize(SHORT)).length;
    int fast = onWorker(() -> {
      SampleCollector out = new SampleCollector();
      tts.synthesize(SHORT, SpeechStyle.DEFAULT.withSpeed(2.0), out, () -> false);
      return out.samples();
    }).length;
    assertThat(fast / (double) normal).isBetween(0.4, 0.65);
    assertThat(onWorker(() -> synthesize(SHORT)).length).as("the next call at the normal pace").isEqualTo(normal);
    assertThat(tts.voiceFor("en-GB").orElseThrow().name()).isEqualTo(FreeTts.VOICE);
    assertThat(tts.voiceFor("es")).isEmpty();
  }

  @Test
  void cancellationStopsEarly() throws Exception {
    short[] full = onWorker(() -> synthesize(LONG));
    AtomicBoolean cancelled = new AtomicBoolean();
    SampleCollector out = new SampleCollector() {
      @Override
      public void audio(short[] samples) {
        super.audio(samples);
        cancelled.set(true); // cancel as soon as the first audio arrives
      }
    };
    onWorker(() -> {
      tts.synthesize(LONG, out, cancelled::get);
      return null;
    });
    assertThat(out.chunks()).isEqualTo(1);
    assertThat(out.samples().length).isLessThan(full.length / 4);
    // the voice is fine afterwards
    assertThat(onWorker(() -> synthesize(LONG))).isEqualTo(full); // isEqualTo: containsExactly is quadratic
  }

  @Test
  void alreadyCancelledOrBlankTextGivesNoAudio() throws Exception {
    SampleCollector out = new SampleCollector();
    onWorker(() -> {
      tts.synthesize(SHORT, out, () -> true);
      tts.synthesize(" \n ", out, () -> false);
      return null;
    });
    assertThat(out.chunks()).isZero();
  }

  @Test
  void aFailingSinkFailsTheSynthesis() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Future<?> f = workers.submit(() -> tts.synthesize(LONG, samples -> {
      calls.incrementAndGet();
      throw new IllegalStateException("client gone");
    }, () -> false));
    assertThatThrownBy(() -> f.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("client gone");
    assertThat(calls).hasValue(1);
  }

  @Test
  void onlyKevin16() {
    assertThatThrownBy(() -> new FreeTts("alloy", 1))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFIG))
        .hasMessageContaining("PARLEY_TTS_VOICE").hasMessageContaining("kevin16").hasMessageContaining("'alloy'");
  }

  @Test
  void textOverTheLimitIsRefused() {
    assertThatThrownBy(() -> tts.synthesize("a".repeat(FreeTts.MAX_TEXT_CHARS + 1), s -> { }, () -> false))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LIMITED));
  }

  @Test
  void virtualThreadsAndThreadsBeyondTheWorkerCountGetNoVoice() throws Exception {
    try (FreeTts one = new FreeTts("kevin16", 1)) {
      one.synthesize("One.", s -> { }, () -> false); // this thread takes the only voice
      Thread other = Thread.ofPlatform().unstarted(() -> one.synthesize("Two.", s -> { }, () -> false));
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      other.setUncaughtExceptionHandler((t, e) -> failures.add(e));
      other.start();
      other.join();
      assertThat(failures).singleElement().isInstanceOf(ParleyException.class).extracting(Throwable::getMessage)
          .asString().contains("1 threads already hold a voice");

      Thread virtual = Thread.ofVirtual().unstarted(() -> one.synthesize("Three.", s -> { }, () -> false));
      failures.clear();
      virtual.setUncaughtExceptionHandler((t, e) -> failures.add(e));
      virtual.start();
      virtual.join();
      assertThat(failures).singleElement().extracting(Throwable::getMessage).asString().contains("virtual thread");
    }
  }
}
