package io.parley.inference.stt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real whisper.cpp (through whisper-jni) on a tiny random-weight model and espeak-ng speech. */
class WhisperSttTest {

  @TempDir static Path dir;
  static Path model;
  static float[] speech;
  static WhisperStt stt;

  @BeforeAll
  static void setUp() {
    model = TinyWhisperModel.builder().write(dir.resolve("ggml-tiny-random.bin"));
    speech = EspeakSpeech.speak("Please book a call with my nutritionist for tomorrow morning.", 3.0, dir);
    stt = new WhisperStt(model, 1, 2);
  }

  @AfterAll
  static void tearDown() {
    if (stt != null) {
      stt.close();
    }
  }

  @Test
  void transcribesSpeechWithTheTinyModel() {
    Transcript t = stt.transcribe(speech, Optional.of("en"));

    assertThat(t.text()).isNotNull();
    assertThat(t.text()).isNotBlank(); // random weights: nonsense words, but words
    assertThat(t.language()).isEqualTo("en");
    assertThat(t.compute()).isPositive();
    assertThat(stt.model()).isEqualTo("whisper-tiny-random");
    assertThat(stt.multilingual()).isFalse();
  }

  @Test
  void timedSegmentsLieInOrderWithinTheirAudio() {
    float[] twoWindows = new float[34 * WhisperStt.SAMPLE_RATE];
    System.arraycopy(speech, 0, twoWindows, 0, speech.length);
    System.arraycopy(speech, 0, twoWindows, 31 * WhisperStt.SAMPLE_RATE, speech.length);
    Transcript t = stt.transcribeTimed(twoWindows, Optional.of("en"));

    assertThat(t.segments()).isNotEmpty();
    double previous = 0;
    for (Transcript.Segment s : t.segments()) {
      assertThat(s.text()).isNotBlank();
      assertThat(s.start()).isGreaterThanOrEqualTo(previous);
      assertThat(s.end()).isGreaterThanOrEqualTo(s.start()).isLessThanOrEqualTo(34.0);
      previous = s.end();
    }
    // the second window's segments are placed after its 30 s start
    assertThat(t.segments().getLast().start()).isGreaterThanOrEqualTo(30.0);
    assertThat(String.join(" ", t.segments().stream().map(Transcript.Segment::text).toList()))
        .isEqualToIgnoringWhitespace(t.text());
    // the untimed path gives no segments
    assertThat(stt.transcribe(speech, Optional.of("en")).segments()).isEmpty();
  }

  @Test
  void sameAudioSameText() {
    assertThat(stt.transcribe(speech, Optional.of("en")).text())
        .isEqualTo(stt.transcribe(speech, Optional.of("en")).text());
  }

  /** The prompt reaches whisper.cpp as its initial prompt: the decoder, conditioned on it, writes other words. */
  @Test
  void aPromptGuidesTheTranscription() {
    String plain = stt.transcribe(speech, Optional.of("en")).text();
    String prompted = stt.transcribe(speech, Optional.of("en"), "Bananas, apples and calories in the meal.").text();
    assertThat(prompted).isNotBlank().isNotEqualTo(plain);
    assertThat(stt.transcribe(speech, Optional.of("en"), "Bananas, apples and calories in the meal.").text())
        .as("the same prompt, the same text").isEqualTo(prompted);
    assertThat(stt.transcribe(speech, Optional.of("en"), null).text()).as("no prompt").isEqualTo(plain);
  }

  @Test
  void shortAndLongInputAreBounded() {
    // 0.3 s is padded to whisper.cpp's 1 s minimum; 31 s is two 30 s windows
    assertThat(stt.transcribe(java.util.Arrays.copyOf(speech, 4_800), Optional.empty()).text()).isNotNull();
    assertThat(stt.transcribe(new float[0], Optional.empty()).text()).isNotNull();
    float[] longer = new float[31 * WhisperStt.SAMPLE_RATE];
    System.arraycopy(speech, 0, longer, 0, speech.length);
    System.arraycopy(speech, 0, longer, 30 * WhisperStt.SAMPLE_RATE, WhisperStt.SAMPLE_RATE);
    assertThat(stt.transcribe(longer, Optional.of("en")).text()).isNotNull();
  }

  @Test
  void repeatedTranscriptionsKeepMemoryFlat() throws IOException {
    for (int i = 0; i < 3; i++) {
      stt.transcribe(speech, Optional.of("en"));
    }
    long before = rssKb();
    for (int i = 0; i < 20; i++) {
      assertThat(stt.transcribe(speech, Optional.of("en")).text()).isNotNull();
    }
    long after = rssKb();

    // A leak of the input array or a state per call would be >= 0.2 MB or ~95 MB per run.
    assertThat(after - before).as("RSS growth over 20 runs, KiB").isLessThan(24 * 1024);
    assertThat(stt.states()).isLessThanOrEqualTo(2);
  }

  @Test
  void twoThreadsTranscribeAtOnceWithTheirOwnStates() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CyclicBarrier start = new CyclicBarrier(2);
      List<Future<Transcript>> results = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        results.add(pool.submit(() -> {
          start.await();
          Transcript last = null;
          for (int r = 0; r < 3; r++) {
            last = stt.transcribe(speech, Optional.of("en"));
          }
          return last;
        }));
      }
      String a = results.get(0).get(60, TimeUnit.SECONDS).text();
      String b = results.get(1).get(60, TimeUnit.SECONDS).text();

      assertThat(a).isEqualTo(b).isEqualTo(stt.transcribe(speech, Optional.of("en")).text());
      assertThat(stt.states()).isEqualTo(2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void moreCallersThanWorkersWaitForAState() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Transcript>> results = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        results.add(pool.submit(() -> stt.transcribe(speech, Optional.of("en"))));
      }
      for (Future<Transcript> f : results) {
        assertThat(f.get(60, TimeUnit.SECONDS).text()).isNotNull();
      }
      assertThat(stt.states()).isLessThanOrEqualTo(2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void refusesVirtualThreads() throws Exception {
    Thread t = Thread.ofVirtual().unstarted(() -> stt.transcribe(speech, Optional.of("en")));
    Throwable[] failure = new Throwable[1];
    t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
    t.start();
    t.join();
    assertThat(failure[0]).isInstanceOf(ParleyException.class)
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.INTERNAL))
        .hasMessageContaining("virtual thread");
  }

  @Test
  void anEnglishOnlyModelTranscribesEnglishAndRefusesOtherLanguages() {
    assertThat(stt.transcribe(speech, Optional.empty()).language()).isEqualTo("en");
    assertThat(stt.transcribe(speech, Optional.of("EN")).language()).isEqualTo("en");
    // "de" on a *.en model would be English words for German speech: an error naming the fix instead
    assertThatThrownBy(() -> stt.transcribe(speech, Optional.of("de")))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("'de'").hasMessageContaining("English-only")
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.INVALID));
    assertThatThrownBy(() -> stt.transcribe(speech, Optional.of("xx")))
        .isInstanceOf(ParleyException.class).hasMessageContaining("unknown language 'xx'")
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.INVALID));
  }

  /**
   * The default model (base-q5_1) has 5-bit weights: the whisper.cpp this binding ships loads such a
   * file and transcribes with it, multilingual, detecting the language.
   */
  @Test
  void aModelQuantizedLikeTheDefaultLoadsAndTranscribes() throws IOException {
    Path q51 = TinyWhisperModel.builder().ftype(TinyWhisperModel.FTYPE_Q5_1)
        .nVocab(TinyWhisperModel.N_VOCAB_MULTILINGUAL).write(dir.resolve("ggml-tiny-random-q5_1.bin"));
    assertThat(WhisperModelFile.validate(q51).weightType()).isEqualTo(WhisperModelFile.GgmlType.Q5_1);
    assertThat(Files.size(q51)).isLessThan(Files.size(model) / 2);
    try (WhisperStt quantized = new WhisperStt(q51, 1, 1)) {
      Transcript t = quantized.transcribe(speech, Optional.empty());
      assertThat(quantized.multilingual()).isTrue();
      assertThat(t.text()).isNotBlank();
      assertThat(t.language()).isNotBlank();
      assertThat(quantized.transcribe(speech, Optional.of("es")).language()).isEqualTo("es");
    }
  }

  @Test
  void closedEngineFailsClearly() {
    WhisperStt other = new WhisperStt(model, 1, 1);
    assertThat(other.transcribe(speech, Optional.empty()).text()).isNotNull();
    other.close();
    other.close(); // idempotent
    assertThatThrownBy(() -> other.transcribe(speech, Optional.empty()))
        .isInstanceOf(ParleyException.class)
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.UNAVAILABLE));
  }

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D+", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
