package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.tts.VoiceLookup;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session in the user's language: the session's language reaches speech to text from the next
 * turn on, the language a turn was heard in is reported with its transcript, and the answer is
 * asked for in that language and spoken by a voice for it (at that voice's rate).
 */
class VoiceSessionLanguageTest {

  private VoiceFixture fx;

  @AfterEach
  void stop() {
    if (fx != null) {
      fx.close();
    }
  }

  /** A second voice, for Spanish, at another rate than the default one; counts what it speaks. */
  static final class SpanishVoice implements TextToSpeech {
    final AtomicInteger sentences = new AtomicInteger();

    @Override
    public int sampleRate() {
      return 22_050;
    }

    @Override
    public void synthesize(String text, io.parley.inference.tts.SpeechStyle style, AudioSink sink,
                           BooleanSupplier cancelled) {
      sentences.incrementAndGet();
      sink.audio(new short[text.length() * 100]);
    }

    @Override
    public String voice() {
      return "es-test";
    }

    @Override
    public List<io.parley.inference.tts.TtsVoice> voices() {
      return List.of(new io.parley.inference.tts.TtsVoice("es-test", List.of("es"), "test"));
    }

    @Override
    public void close() {}
  }

  private void turn() {
    fx.speech(640);
    fx.silence(1_600);
  }

  private String systemPrompt(int request) {
    ChatMessage system = fx.requests.get(request).messages().get(0);
    assertThat(system.role()).isEqualTo("system");
    return system.content();
  }

  /** A session whose node has a Spanish voice, after one turn Whisper hears in {@code heard}. */
  private SpanishVoice oneTurnHeardIn(String heard) {
    fx = new VoiceFixture();
    SpanishVoice spanish = new SpanishVoice();
    fx.voices = VoiceLookup.speaking(spanish, Set.of("es"));
    fx.heard = heard;
    fx.answer = List.of("Claro que sí.");
    fx.open();
    turn();
    return spanish;
  }

  @Test
  void aTurnHeardInSpanishIsAnsweredInSpanishByTheSpanishVoice() {
    SpanishVoice spanish = oneTurnHeardIn("es");

    assertThat(fx.sttLanguages).as("no session language: Whisper detects it").containsOnly(Optional.empty());
    assertThat(fx.transcriptLanguages).containsExactly("es");
    assertThat(fx.on(() -> fx.session.answerLanguage())).contains("es");
    assertThat(systemPrompt(0)).isEqualTo("be brief\n\nThe user speaks Spanish: answer in Spanish.");
    assertThat(spanish.sentences).hasValue(1);
    assertThat(fx.voiceRates).containsExactly(22_050);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
  }

  /** One engine with voices for several languages (the default eSpeak NG / FreeTTS pair): the answer's language picks the voice. */
  @Test
  void anAnswerInSpanishIsSpokenWithTheEnginesSpanishVoiceUnlessTheClientChoseOne() {
    fx = new VoiceFixture();
    fx.heard = "es";
    fx.answer = List.of("Claro que sí.");
    fx.open();
    turn();
    assertThat(fx.spokenVoices).containsExactly("fake-es");

    fx.close();
    fx = new VoiceFixture();
    fx.heard = "es";
    fx.answer = List.of("Claro que sí.");
    fx.speech = new io.parley.inference.tts.SpeechStyle("fake-tts", 1.0); // session.audio.output.voice
    fx.open();
    turn();
    assertThat(fx.spokenVoices).containsExactly("fake-tts");
  }

  @Test
  void aLanguageWithoutAVoiceIsSpokenByTheDefaultVoice() {
    SpanishVoice spanish = oneTurnHeardIn("hi");

    assertThat(systemPrompt(0)).endsWith("The user speaks Hindi: answer in Hindi.");
    assertThat(spanish.sentences).hasValue(0);
    assertThat(fx.voiceRates).containsExactly(VoiceFixture.RATE);
    assertThat(fx.audioSent()).isPositive();
  }

  @Test
  void theSessionsLanguageReachesSpeechToTextFromTheNextTurnOnAndRulesTheAnswer() {
    fx = new VoiceFixture();
    fx.language = Optional.of("fr");
    fx.open();
    turn();
    fx.language = Optional.of("de");
    fx.run(() -> fx.session.update(fx.settings(true)));
    turn();

    assertThat(fx.sttLanguages).contains(Optional.of("fr")).endsWith(Optional.of("de"))
        .doesNotContain(Optional.empty());
    assertThat(fx.transcriptLanguages).containsExactly("fr", "de");
    assertThat(systemPrompt(0)).endsWith("answer in French.");
    assertThat(systemPrompt(1)).endsWith("answer in German.");
  }

  @Test
  void anUndeterminedLanguageLeavesTheAnswersLanguageAsItWas() {
    fx = new VoiceFixture();
    fx.heard = "es";
    fx.open();
    turn();
    fx.heard = "und";
    turn();

    assertThat(fx.transcriptLanguages).containsExactly("es", "und");
    assertThat(systemPrompt(1)).endsWith("answer in Spanish.");
  }

  @Test
  void typedTextBeforeAnySpeechHasNoLanguageRule() {
    fx = new VoiceFixture();
    fx.open(false);
    fx.run(() -> fx.session.userText("item_user", "hola", null));
    fx.run(() -> fx.session.createResponse(null));
    fx.settle();

    assertThat(systemPrompt(0)).isEqualTo("be brief");
  }

  @Test
  void anEnglishOnlyModelRefusesAnotherLanguageBeforeTheSessionTakesIt() {
    fx = new VoiceFixture();
    fx.multilingual = false;
    fx.open();

    assertThatThrownBy(() -> fx.session.checkLanguage(Optional.of("es")))
        .isInstanceOf(ParleyException.class).hasMessageContaining("English-only");
    assertThatNoException().isThrownBy(() -> fx.session.checkLanguage(Optional.of("en")));
    assertThatNoException().isThrownBy(() -> fx.session.checkLanguage(Optional.empty()));
  }
}
