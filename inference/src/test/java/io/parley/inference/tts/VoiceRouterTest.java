package io.parley.inference.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** FreeTTS for English and eSpeak NG for the rest, as one engine at 24 kHz (the default engine). */
class VoiceRouterTest {

  private static ExecutorService worker;
  private static VoiceRouter router;

  @BeforeAll
  static void start() {
    worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("tts-router").factory());
    router = new VoiceRouter(List.of(new FreeTts(FreeTts.VOICE, 1), EspeakTts.open(EspeakNative.LIBRARY, null)), null);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    worker.shutdown();
    worker.awaitTermination(30, TimeUnit.SECONDS);
    router.close();
  }

  private static short[] speak(String text, String voice) throws Exception {
    return worker.submit(() -> {
      SampleCollector out = new SampleCollector();
      router.synthesize(text, SpeechStyle.DEFAULT.withVoice(voice), out, () -> false);
      return out.samples();
    }).get(60, TimeUnit.SECONDS);
  }

  @Test
  void englishGoesToFreeTtsAndOtherLanguagesToEspeak() throws Exception {
    assertThat(router.voice()).isEqualTo(FreeTts.VOICE);
    assertThat(router.voiceFor("en").orElseThrow().name()).isEqualTo(FreeTts.VOICE);
    assertThat(router.voiceFor("en-US").orElseThrow().name()).isEqualTo(FreeTts.VOICE);
    assertThat(router.voiceFor("en-GB").orElseThrow().name()).as("eSpeak NG's British voice").isEqualTo("en-gb");
    assertThat(router.voiceFor("es").orElseThrow().name()).isEqualTo("es");
    assertThat(router.voiceNamed("nova").name()).isEqualTo(FreeTts.VOICE);
    assertThat(router.voices().getFirst().name()).isEqualTo(FreeTts.VOICE);
    assertThat(router.voices()).extracting(TtsVoice::name).contains("es", "ja", "en-us");
  }

  @Test
  void everyVoiceComesOutAt24Khz() throws Exception {
    assertThat(router.sampleRate()).isEqualTo(24_000);
    short[] english = speak("Good morning.", null);
    short[] spanish = speak("Buenos días.", "es");
    for (short[] samples : List.of(english, spanish)) {
      assertThat(Pcm.rms(samples)).isGreaterThan(0.01);
      assertThat(samples.length / 24_000.0).isBetween(0.4, 3.0);
    }
  }

  @Test
  void theDefaultVoiceMayBeALanguage() {
    try (VoiceRouter spanish = new VoiceRouter(List.of(EspeakTts.open(EspeakNative.LIBRARY, null)), "es-MX")) {
      assertThat(spanish.voice()).as("eSpeak NG lists es-mx under Latin American Spanish").isEqualTo("es-419");
    }
    assertThatThrownBy(() -> new VoiceRouter(List.of(EspeakTts.open(EspeakNative.LIBRARY, null)), "klingon"))
        .isInstanceOfSatisfying(ParleyException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.CONFIG);
          assertThat(e.getMessage()).contains("PARLEY_TTS_VOICE");
        });
  }
}
