package io.parley.inference.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** eSpeak NG through the foreign function API, on Debian's real library (libespeak-ng1). */
class EspeakTtsTest {

  private static final String SENTENCE = "Good morning. Drink a glass of water and take a short walk after lunch.";
  private static final double SILENCE_RMS = 0.01;
  private static final double SAME_LENGTH_TOLERANCE = 0.03;

  private static ExecutorService workers;
  private static EspeakTts tts;

  @BeforeAll
  static void start() {
    workers = Executors.newFixedThreadPool(4, Thread.ofPlatform().name("tts-", 0).factory());
    tts = EspeakTts.open(EspeakNative.LIBRARY, null);
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

  private static short[] synthesize(EspeakTts engine, String text, SpeechStyle style) {
    SampleCollector out = new SampleCollector();
    engine.synthesize(text, style, out, () -> false);
    return out.samples();
  }

  private static double seconds(short[] samples) {
    return samples.length / (double) tts.sampleRate();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "en-us | Good morning. How did you sleep last night?",
      "es    | Buenos días. ¿Cómo has dormido esta noche?",
      "fr    | Bonjour. Comment avez-vous dormi cette nuit ?",
      "de    | Guten Morgen. Wie haben Sie heute Nacht geschlafen?",
      "hi    | सुप्रभात। आज रात आप कैसे सोए?",
      "ar    | صباح الخير. كيف نمت الليلة الماضية؟",
      "cmn   | 早上好。你昨晚睡得怎么样？",
      "ja    | おはようございます。昨夜はよく眠れましたか。",
      "ko    | 좋은 아침입니다. 어젯밤에 잘 주무셨어요?",
  })
  void eachLanguageIsSpokenAudiblyForAPlausibleTime(String language, String text) throws Exception {
    TtsVoice voice = tts.voiceFor(language).orElseThrow();
    short[] samples = onWorker(() -> synthesize(tts, text, SpeechStyle.DEFAULT.withVoice(voice.name())));
    assertThat(tts.sampleRate()).isEqualTo(22_050);
    assertThat(Pcm.rms(samples)).as("audible").isGreaterThan(SILENCE_RMS);
    // two short sentences at about 175 words a minute: one to six seconds
    assertThat(seconds(samples)).isBetween(1.0, 6.0);
  }

  @Test
  void speedChangesTheDuration() throws Exception {
    double normal = seconds(onWorker(() -> synthesize(tts, SENTENCE, SpeechStyle.DEFAULT)));
    double fast = seconds(onWorker(() -> synthesize(tts, SENTENCE, SpeechStyle.DEFAULT.withSpeed(2.0))));
    double slow = seconds(onWorker(() -> synthesize(tts, SENTENCE, SpeechStyle.DEFAULT.withSpeed(0.6))));
    assertThat(fast / normal).as("twice as fast").isBetween(0.4, 0.65);
    assertThat(slow / normal).as("0.6 times as fast").isBetween(1.4, 1.9);
  }

  @Test
  void concurrentRequestsGiveWhatEachGivesAlone() throws Exception {
    // durations apart by more than the tolerance: a swapped voice or speed shows
    List<SpeechStyle> styles = List.of(SpeechStyle.DEFAULT, SpeechStyle.DEFAULT.withVoice("es").withSpeed(1.3),
        SpeechStyle.DEFAULT.withVoice("de").withSpeed(2.0), SpeechStyle.DEFAULT.withVoice("cmn").withSpeed(0.7));
    List<short[]> alone = new ArrayList<>();
    for (SpeechStyle s : styles) {
      alone.add(onWorker(() -> synthesize(tts, SENTENCE, s)));
    }
    for (int round = 0; round < 3; round++) {
      CyclicBarrier together = new CyclicBarrier(styles.size());
      List<Future<short[]>> runs = new ArrayList<>();
      for (SpeechStyle s : styles) {
        runs.add(workers.submit(() -> {
          together.await();
          return synthesize(tts, SENTENCE, s);
        }));
      }
      for (int i = 0; i < styles.size(); i++) {
        assertSameSpeech(runs.get(i).get(60, TimeUnit.SECONDS), alone.get(i));
      }
    }
  }

  @Test
  void cancellationStopsEarlyAndTheEngineGoesOn() throws Exception {
    String paragraph = (SENTENCE + " ").repeat(8);
    short[] full = onWorker(() -> synthesize(tts, paragraph, SpeechStyle.DEFAULT));
    AtomicBoolean cancelled = new AtomicBoolean();
    SampleCollector out = new SampleCollector() {
      @Override
      public void audio(short[] samples) {
        super.audio(samples);
        cancelled.set(true);
      }
    };
    onWorker(() -> {
      tts.synthesize(paragraph, SpeechStyle.DEFAULT, out, cancelled::get);
      return null;
    });
    assertThat(out.chunks()).isEqualTo(1);
    assertThat(out.samples().length).isLessThan(full.length / 4);
    assertSameSpeech(onWorker(() -> synthesize(tts, paragraph, SpeechStyle.DEFAULT)), full);
  }

  /**
   * The same text, voice and speed. eSpeak NG is not sample-exact from one call to the next (its
   * output varies with what it said before, by well under 1% in length), so: the same length within
   * {@value #SAME_LENGTH_TOLERANCE}, and as loud.
   */
  private static void assertSameSpeech(short[] actual, short[] expected) {
    assertThat((double) actual.length).isCloseTo(expected.length, withinPercentage(SAME_LENGTH_TOLERANCE * 100));
    assertThat(Pcm.rms(actual)).isCloseTo(Pcm.rms(expected), withinPercentage(10));
  }

  @Test
  void aFailingSinkFailsTheSynthesis() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Future<?> f = workers.submit(() -> tts.synthesize(SENTENCE, SpeechStyle.DEFAULT, samples -> {
      calls.incrementAndGet();
      throw new IllegalStateException("sink broke");
    }, () -> false));
    assertThatThrownBy(() -> f.get(60, TimeUnit.SECONDS)).hasRootCauseMessage("sink broke");
    assertThat(calls).hasValue(1);
  }

  @Test
  void aClosedEngineRefusesAndOthersGoOn() throws Exception {
    EspeakTts other = EspeakTts.open(EspeakNative.LIBRARY, "fr");
    assertThat(other.voice()).isEqualTo("fr-fr");
    assertThat(Pcm.rms(onWorker(() -> synthesize(other, "Bonjour.", SpeechStyle.DEFAULT)))).isGreaterThan(SILENCE_RMS);
    other.close();
    assertThatThrownBy(() -> onWorker(() -> synthesize(other, "Bonjour.", SpeechStyle.DEFAULT)))
        .rootCause().isInstanceOfSatisfying(ParleyException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
          assertThat(e.getMessage()).contains("closed");
        });
    assertThat(Pcm.rms(onWorker(() -> synthesize(tts, "Hello.", SpeechStyle.DEFAULT)))).isGreaterThan(SILENCE_RMS);
  }

  @Test
  void aMissingLibraryNamesItsPackage() {
    assertThatThrownBy(() -> EspeakTts.open("libespeak-ng-missing.so.9", null))
        .isInstanceOfSatisfying(ParleyException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
          assertThat(e.getMessage()).contains("libespeak-ng-missing.so.9").contains("libespeak-ng1");
        });
  }

  @Test
  void voicesCoverTheProductsLanguagesAndResolveNamesAndCodes() {
    assertThat(tts.voices().size()).isGreaterThan(100);
    assertThat(tts.voices()).extracting(TtsVoice::name)
        .contains("en-us", "es", "fr-fr", "de", "hi", "ar", "cmn", "ja", "ko");
    assertThat(tts.voice()).isEqualTo(EspeakTts.DEFAULT_VOICE);
    assertThat(tts.voiceFor("zh").orElseThrow().name()).isEqualTo("cmn");
    assertThat(tts.voiceFor("es-MX").orElseThrow().language()).startsWith("es");
    assertThat(tts.voiceFor("pt_BR").orElseThrow().name()).isEqualTo("pt-br");
    assertThat(tts.voiceFor("en").orElseThrow().name()).isEqualTo("en-gb"); // eSpeak NG's own first choice
    assertThat(tts.voiceFor("tlh")).isEmpty();
    assertThat(tts.voiceNamed("alloy").name()).isEqualTo("en-us");
    assertThat(tts.voiceNamed("FR").name()).isEqualTo("fr-fr");
    assertThat(tts.voiceNamed("ES").name()).isEqualTo("es");
    assertThatThrownBy(() -> tts.voiceNamed("klingon"))
        .isInstanceOfSatisfying(ParleyException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.INVALID);
          assertThat(e.getMessage()).contains("unknown voice 'klingon'").contains("en-us, ").contains(", cmn, ");
        });
    assertThatThrownBy(() -> tts.synthesize("Hi.", SpeechStyle.DEFAULT.withVoice("klingon"), s -> { }, () -> false))
        .isInstanceOf(ParleyException.class);
  }

  @Test
  void textOverTheLimitIsRefused() {
    assertThatThrownBy(() -> tts.synthesize("a".repeat(EspeakTts.MAX_TEXT_CHARS + 1), s -> { }, () -> false))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.LIMITED));
  }
}
