package io.parley.inference.stt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** How a language is named, checked against Whisper's list and a model, and called in a prompt. */
class LanguagesTest {

  @Test
  void codesAreWhispersInLanguageIdOrder() {
    assertThat(Languages.CODES).hasSize(100).startsWith("en", "zh", "de", "es").endsWith("jw", "su", "yue")
        .doesNotHaveDuplicates();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "auto", "AUTO", " Auto "})
  void absentBlankOrAutoMeanDetection(String value) {
    assertThat(Languages.parse(value, "language")).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({"es,es", "ES,es", " fr ,fr", "yue,yue", "haw,haw"})
  void knownCodesAreTakenInLowerCase(String value, String code) {
    assertThat(Languages.parse(value, "language")).contains(code);
  }

  @ParameterizedTest
  @ValueSource(strings = {"xx", "spanish", "es-ES", "eng"})
  void unknownCodesAreRefusedNamingTheCodeAndTheParameter(String value) {
    assertThatThrownBy(() -> Languages.parse(value, "session.audio.input.transcription.language"))
        .isInstanceOf(ParleyException.class)
        .hasMessageStartingWith("session.audio.input.transcription.language: unknown language '" + value + "'")
        .extracting(e -> ((ParleyException) e).reason()).isEqualTo(Reason.INVALID);
  }

  @Test
  void anEnglishOnlyModelTakesEnglishOrDetectionOnly() {
    Languages.requireSupported(Optional.empty(), false, "whisper-base.en");
    Languages.requireSupported(Optional.of("en"), false, "whisper-base.en");
    Languages.requireSupported(Optional.of("es"), true, "whisper-base");

    assertThatThrownBy(() -> Languages.requireSupported(Optional.of("es"), false, "whisper-base.en"))
        .isInstanceOf(ParleyException.class)
        .hasMessageContaining("'es'").hasMessageContaining("whisper-base.en is English-only")
        .hasMessageContaining("PARLEY_WHISPER_MODEL")
        .extracting(e -> ((ParleyException) e).reason()).isEqualTo(Reason.INVALID);
  }

  @ParameterizedTest
  @CsvSource({"en,English", "es,Spanish", "hi,Hindi", "ar,Arabic", "zh,Chinese", "ja,Japanese", "ko,Korean",
      "jw,Javanese", "haw,Hawaiian", "yue,Cantonese"})
  void promptsNameALanguageInEnglish(String code, String name) {
    assertThat(Languages.englishName(code)).isEqualTo(name);
  }
}
