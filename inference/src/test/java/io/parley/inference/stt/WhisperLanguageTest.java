package io.parley.inference.stt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Languages through the real whisper.cpp, on a tiny random-weight multilingual model (n_vocab
 * 51865): the language a call asks for is the one whisper.cpp used (read back from its state), and
 * detection reports one of Whisper's languages. Random weights detect an arbitrary language; what
 * is checked is the path, not the guess.
 */
class WhisperLanguageTest {

  @TempDir static Path dir;
  static Path model;
  static float[] spanish;
  static WhisperStt stt;

  @BeforeAll
  static void setUp() {
    model = TinyWhisperModel.builder().nVocab(TinyWhisperModel.N_VOCAB_MULTILINGUAL)
        .write(dir.resolve("ggml-tiny-multilingual.bin"));
    spanish = EspeakSpeech.speak("es", "Quiero reservar una llamada con mi nutricionista para mañana.", 4.0, dir);
    stt = new WhisperStt(model, 1, 1);
  }

  @AfterAll
  static void tearDown() {
    if (stt != null) {
      stt.close();
    }
  }

  @Test
  void theModelIsMultilingual() {
    assertThat(stt.multilingual()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"es", "de", "hi", "ar", "zh", "ja", "ko", "fr", "en"})
  void theLanguageAskedForIsTheOneWhisperUsed(String code) {
    Transcript t = stt.transcribe(spanish, Optional.of(code));
    assertThat(t.language()).isEqualTo(code);
    assertThat(t.text()).isNotBlank();
  }

  @Test
  void theLanguageChangesWhatWhisperWrites() {
    // The language token starts the decoder's prompt: a different one, different text.
    assertThat(stt.transcribe(spanish, Optional.of("es")).text())
        .isNotEqualTo(stt.transcribe(spanish, Optional.of("ja")).text());
  }

  @Test
  void withoutALanguageWhisperDetectsOneAndSaysWhich() {
    Transcript t = stt.transcribe(spanish, Optional.empty());

    assertThat(t.language()).isIn(Languages.CODES).isNotEqualTo(Languages.UNDETERMINED);
    // Detection is whisper.cpp's own choice, repeatable for the same audio...
    assertThat(stt.transcribe(spanish, Optional.empty()).language()).isEqualTo(t.language());
    // ...and transcribing in the detected language gives the same text as detecting it.
    assertThat(stt.transcribe(spanish, Optional.of(t.language())).text()).isEqualTo(t.text());
  }

  @Test
  void anUnknownCodeIsRefusedByName() {
    assertThatThrownBy(() -> stt.transcribe(spanish, Optional.of("klingon")))
        .isInstanceOf(ParleyException.class).hasMessageContaining("unknown language 'klingon'")
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.INVALID));
  }

  @Test
  void aNodeLanguageAnEnglishOnlyModelCannotTakeIsAConfigurationError(@TempDir Path own) {
    Path english = TinyWhisperModel.builder().write(own.resolve("ggml-tiny.en.bin"));
    SttOptions spanishNode = SttOptions.from(ConfigSource.of(Map.of("PARLEY_WHISPER_MODEL", english.toString(),
        "PARLEY_STT_LANGUAGE", "es")));

    assertThatThrownBy(() -> WhisperStt.open(spanishNode))
        .isInstanceOf(ParleyException.class)
        .hasMessageStartingWith("PARLEY_STT_LANGUAGE:").hasMessageContaining("English-only")
        .satisfies(e -> assertThat(((ParleyException) e).reason()).isEqualTo(Reason.CONFIG));
    try (WhisperStt multilingual = WhisperStt.open(new SttOptions(Optional.of(model), 1, 1, Duration.ZERO,
        Optional.of("es")))) {
      assertThat(multilingual.transcribe(spanish, Optional.of("es")).language()).isEqualTo("es");
    }
  }
}
