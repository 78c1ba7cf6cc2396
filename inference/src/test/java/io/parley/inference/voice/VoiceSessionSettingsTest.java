package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.vad.VadSegmenter;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session's turn detection is one setting that every stage reads: a client's
 * {@code min_speech_ms} changes when speech is confirmed but not when a barge-in cancels the answer
 * (that counts from the onset of speech), and its {@code prefix_padding_ms} reaches the
 * transcriber's pre-roll as well as the segmenter's. On a virtual clock, to the millisecond.
 */
class VoiceSessionSettingsTest {

  private VoiceFixture fx;

  @AfterEach
  void stop() {
    if (fx != null) {
      fx.close();
    }
  }

  /** Starts an answer long enough to be playing for seconds; returns when its audio has begun. */
  private void answerPlaying() {
    fx.answer = java.util.List.of("This first sentence is eighty characters long, or close enough to it, I think. ",
        "So is this second sentence here, which goes on for about as long as the first. ",
        "And a third sentence follows them both, to make the answer last a few seconds. ",
        "The fourth and last sentence ends it all, some three seconds after it began.");
    fx.run(() -> fx.session.userText("item_user", "tell me a story", null));
    fx.silence(320);
    assertThat(fx.events("audio")).as("the answer is playing: %s", fx.events).isNotEmpty();
    assertThat(fx.events("response_done")).isEmpty();
  }

  /** The client's speech begins now; returns the virtual ms at which its answer was cancelled, after it. */
  private long cancelledAfterSpeechAt() {
    long onset = fx.clock.millis();
    fx.speech(1_000);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value)
        .containsExactly("cancelled:turn_detected");
    return fx.events("response_done").get(0).atMs() - onset;
  }

  private VadSegmenter.Settings minSpeech(long ms) {
    VadSegmenter.Settings d = VadSegmenter.Settings.DEFAULTS;
    return new VadSegmenter.Settings(d.startThreshold(), d.endThreshold(), Duration.ofMillis(ms), d.minSilence(),
        d.preRoll(), d.maxSegment());
  }

  @Test
  void theBargeInCountsFromTheOnsetWhateverTheServersMinimumSpeech() {
    fx = new VoiceFixture();
    fx.bargeIn = Duration.ofMillis(600);
    fx.open();
    answerPlaying();
    assertThat(cancelledAfterSpeechAt()).isEqualTo(600);
  }

  @Test
  void aClientsOwnMinimumSpeechDoesNotShiftTheBargeIn() {
    fx = new VoiceFixture();
    fx.bargeIn = Duration.ofMillis(600);
    fx.open();
    // Speech is confirmed after 512 ms (16 frames) instead of the server's 256: the barge-in still
    // cancels 600 ms after the onset, not 600 - 250 ms after the confirmation.
    fx.run(() -> fx.session.update(fx.session.settings().withTurnDetection(minSpeech(500))));
    answerPlaying();
    assertThat(cancelledAfterSpeechAt()).isEqualTo(600);
    assertThat(fx.events("speech_started")).hasSize(1);
  }

  @Test
  void aMinimumSpeechLongerThanTheBargeInCancelsAtConfirmation() {
    fx = new VoiceFixture();
    fx.bargeIn = Duration.ofMillis(250);
    fx.open();
    fx.run(() -> fx.session.update(fx.session.settings().withTurnDetection(minSpeech(700))));
    answerPlaying();
    long at = cancelledAfterSpeechAt();
    assertThat(at).as("confirmed after 704 ms of speech (22 frames), cancelled at once").isEqualTo(704);
    assertThat(fx.events("speech_started").get(0).atMs() - (fx.events("response_done").get(0).atMs() - at))
        .isEqualTo(704);
  }

  /**
   * A user turn that ends while an answer plays without its speech having cut it (it began before
   * the answer did, or stayed under the barge-in wait) supersedes the answer when
   * {@code interrupt_response} is on: the answer is cancelled as a barge-in cancels it and the new
   * turn is answered, where the automatic response used to fail with "a response is in progress".
   */
  @Test
  void aTurnThatEndsDuringAnAnswerSupersedesIt() {
    fx = new VoiceFixture();
    fx.bargeIn = Duration.ofSeconds(5);
    fx.open();
    answerPlaying();
    fx.speech(640);
    fx.silence(1_280);
    assertThat(fx.events("error")).as("%s", fx.events).isEmpty();
    assertThat(fx.events("transcript")).hasSize(1);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).first()
        .isEqualTo("cancelled:turn_detected");
    assertThat(fx.events("response_started")).as("the new turn is answered").hasSize(2);
  }

  /**
   * With {@code interrupt_response} off, a user turn that ends while an answer plays is committed,
   * transcribed and added, and answered once the answer has played out; a second turn meanwhile
   * joins the one waiting (one answer answers both), and nothing is an error.
   */
  @Test
  void withoutInterruptResponseATurnDuringAnAnswerIsAnsweredAfterIt() {
    fx = new VoiceFixture();
    fx.open();
    VoiceSettings s = fx.session.settings();
    fx.run(() -> fx.session.update(new VoiceSettings(s.serverVad(), true, false, s.bargeIn(), s.instructions(),
        s.language(), s.audioOut(), s.maxTokens(), s.temperature(), s.contextMessages(), s.turnDetection(), s.tools(),
        s.speech())));
    fx.answer = java.util.Collections.nCopies(12, "This sentence is eighty characters long, or close enough to it, "
        + "I think, so there. ");
    fx.run(() -> fx.session.userText("item_user", "tell me a long story", null));
    fx.silence(320);
    assertThat(fx.events("audio")).as("the answer is playing: %s", fx.events).isNotEmpty();
    fx.speech(640);
    fx.silence(960);
    fx.speech(640);
    fx.silence(960);
    assertThat(fx.events("transcript")).as("both turns transcribed: %s", fx.events).hasSize(2);
    assertThat(fx.events("response_done")).as("the answer plays on").isEmpty();
    assertThat(fx.events("response_started")).hasSize(1);
    fx.answer = java.util.List.of("Short.");
    // The story plays out, then the waiting answer: in steps, so that the waiting answer's model
    // and speech work (on other threads) is done before the clock moves on past its playout.
    for (int i = 0; i < 200; i++) {
      fx.idle(100);
    }
    assertThat(fx.events("error")).as("%s", fx.events).isEmpty();
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value)
        .containsExactly("completed", "completed");
    assertThat(fx.events("response_started")).as("one answer for both waiting turns").hasSize(2);
    assertThat(fx.events("response_started").get(1).atMs()).isGreaterThanOrEqualTo(
        fx.events("response_done").get(0).atMs());
  }

  @Test
  void aClientsPrefixPaddingReachesTheTranscribersPreRoll() {
    fx = new VoiceFixture();
    fx.interimEvery = Duration.ofMillis(96);
    fx.open(false);
    VadSegmenter.Settings d = VadSegmenter.Settings.DEFAULTS;
    fx.run(() -> fx.session.update(fx.session.settings().withTurnDetection(new VadSegmenter.Settings(
        d.startThreshold(), d.endThreshold(), d.minSpeech(), d.minSilence(), Duration.ofMillis(1_000),
        d.maxSegment()))));
    fx.silence(2_000);
    fx.speech(480);
    assertThat(fx.sttCalls).as("an interim ran during the speech").isNotEmpty();
    // The first interim covers the client's full second of pre-roll before the onset, and the speech
    // heard by then (at least the 256 ms that confirm it), not the server's 300 ms.
    assertThat(fx.sttCalls.get(0)).isGreaterThanOrEqualTo(VoiceFixture.RATE * (1_000 + 256) / 1_000);
  }
}
