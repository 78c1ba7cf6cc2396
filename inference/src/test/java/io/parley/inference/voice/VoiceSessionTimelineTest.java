package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.voice.ConversationLog;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scripted barge-in timelines on fake engines and a virtual clock: the client streams audio in real
 * time while the answer plays; the test speaks at a chosen moment and checks when the answer is
 * cancelled and that what is stored is exactly what the user heard (the fake TTS speaks 10 ms per
 * character, so heard text follows from the played time). Server VAD defaults: speech is confirmed
 * after 256 ms (8 frames), a turn ends after 600 ms of silence; barge-in after 400 ms of speech.
 */
class VoiceSessionTimelineTest {

  /** 390 ms of audio. */
  private static final String S1 = "Bananas are a good source of potassium.";
  /** 600 ms. */
  private static final String S2 = "They also hold vitamin B6, fibre and some vitamin C as well.";
  /** 510 ms. */
  private static final String S3 = "Apples are crisp and sweet when they are in season.";
  /** 520 ms: the answer plays for 2,020 ms, and is sent (500 ms ahead) by about 1,520 ms. */
  private static final String S4 = "Pears ripen best at room temperature on the counter.";

  private VoiceFixture fx;

  @BeforeEach
  void start() {
    fx = new VoiceFixture();
    fx.bargeIn = Duration.ofMillis(400);
    fx.answer = List.of(S1 + " ", S2 + " ", S3 + " ", S4);
    fx.open();
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  /** Asks a question by text; returns the virtual ms at which the answer's first audio left. */
  private long askAndHearTheAnswerStart() {
    fx.run(() -> fx.session.userText("item_user", "what is in a banana?", null));
    fx.settle();
    assertThat(fx.events("audio")).as("the answer's audio started").isNotEmpty();
    return fx.events("audio").get(0).atMs();
  }

  private org.assertj.core.api.ListAssert<ConversationLog.Message> assertThatAssistantMessages() {
    synchronized (fx.stored) {
      return assertThat(fx.stored.stream().filter(m -> m.role().equals("assistant")).toList())
          .as("stored %s after %s", fx.stored, fx.events);
    }
  }

  private long cancelledAt() {
    List<VoiceFixture.Event> done = fx.events("response_done");
    assertThat(done).isNotEmpty();
    assertThat(done.get(0).value()).as("%s", fx.events).isEqualTo("cancelled:turn_detected");
    return done.get(0).atMs();
  }

  @Test
  void speakingOverTheAnswerCancelsItOnTimeAndStoresExactlyWhatWasHeard() {
    long t0 = askAndHearTheAnswerStart();
    fx.silence(704); // 22 frames of listening
    long onset = fx.clock.millis();
    fx.speech(640);
    assertThat(fx.events("speech_started")).hasSize(1);
    assertThat(fx.events("speech_started").get(0).atMs()).as("confirmed after 256 ms").isEqualTo(onset + 256);
    assertThat(cancelledAt()).as("400 ms after the onset").isEqualTo(onset + 400);
    long played = onset + 400 - t0; // 1104 ms: S1 and S2 whole (990 ms), 114 ms of S3's 510
    assertThat(played).isEqualTo(1_104);
    fx.silence(1_280); // the turn ends; the server waits 1 s for the client's truncate, then stores
    List<String> types;
    synchronized (fx.events) {
      types = fx.events.stream().map(VoiceFixture.Event::type).toList();
    }
    int cut = types.indexOf("response_done");
    int next = types.lastIndexOf("response_started");
    assertThat(next).as("the new turn was answered").isGreaterThan(cut);
    assertThat(types.subList(cut, next)).as("no audio of the cancelled answer after the cut").doesNotContain("audio");
    // 114 ms of S3's 510: 11 of its 51 characters, "Apples are " cut back to a word.
    assertThatAssistantMessages().first().satisfies(m -> {
      assertThat(m.truncated()).isTrue();
      assertThat(m.content()).isEqualTo(S1 + " " + S2 + " Apples are");
    });
    // The new turn was heard and answered.
    assertThat(fx.events("transcript")).extracting(VoiceFixture.Event::value).containsExactly("hello there");
    assertThat(fx.events("response_started")).hasSize(2);
  }

  @Test
  void aCutInsideTheFirstSentenceKeepsTheWordsHeardBeforeIt() {
    long t0 = askAndHearTheAnswerStart();
    fx.silence(0);
    long onset = fx.clock.millis();
    fx.speech(640);
    assertThat(cancelledAt()).isEqualTo(onset + 400);
    // 400 ms: S1's 390 whole and 10 ms of S2, not one word of it.
    assertThat(onset + 400 - t0).isEqualTo(400);
    fx.silence(1_280);
    assertThatAssistantMessages().first().satisfies(m -> {
      assertThat(m.truncated()).isTrue();
      assertThat(m.content()).isEqualTo(S1);
    });
  }

  @Test
  void aCutInsideASentenceStoresItUpToTheLastWholeWordHeard() {
    long t0 = askAndHearTheAnswerStart();
    fx.silence(352);
    long onset = fx.clock.millis();
    fx.speech(640);
    long played = cancelledAt() - t0;
    assertThat(played).isEqualTo(752); // S1 (390 ms) and 362 ms of S2's 600: 36 of its 60 characters
    assertThat(onset - t0).isEqualTo(352);
    fx.silence(1_280);
    String heardOfS2 = S2.substring(0, S2.lastIndexOf(' ', 60 * (752 - 390) / 600));
    assertThat(heardOfS2).isEqualTo("They also hold vitamin B6, fibre and");
    assertThatAssistantMessages().first()
        .satisfies(m -> assertThat(m.content()).isEqualTo(S1 + " " + heardOfS2));
  }

  @Test
  void theClientsTruncateDecidesWhatWasHeard() {
    askAndHearTheAnswerStart();
    fx.silence(704);
    fx.speech(640);
    cancelledAt();
    String item = fx.events("response_started").get(0).value();
    // The client's player says it had played 500 ms when it stopped (it buffers less than the server thinks).
    fx.run(() -> fx.session.truncate(item, 500));
    fx.silence(1_280);
    String heardOfS2 = S2.substring(0, S2.lastIndexOf(' ', 60 * (500 - 390) / 600));
    assertThatAssistantMessages().first().satisfies(m -> {
      assertThat(m.truncated()).isTrue();
      assertThat(m.content()).isEqualTo(S1 + " " + heardOfS2);
    });
  }

  @Test
  void aFalseStartShorterThanTheMinimumSpeechDoesNotInterrupt() {
    askAndHearTheAnswerStart();
    fx.silence(320);
    fx.speech(224); // 7 frames: under the 250 ms minimum
    fx.silence(3_200);
    assertThat(fx.events("speech_started")).isEmpty();
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
    assertThat(fx.audioSent()).as("the whole answer played")
        .isEqualTo((long) (S1.length() + S2.length() + S3.length() + S4.length()) * VoiceFixture.TTS_SAMPLES_PER_CHAR);
    assertThatAssistantMessages().singleElement().satisfies(m -> {
      assertThat(m.truncated()).isFalse();
      assertThat(m.content()).isEqualTo(S1 + " " + S2 + " " + S3 + " " + S4);
    });
  }

  @Test
  void aClientThatLeavesMidAnswerStoresWhatItHeardAndStopsTheEngines() {
    long t0 = askAndHearTheAnswerStart();
    fx.silence(704);
    assertThat(fx.clock.millis() - t0).isEqualTo(704);
    fx.run(fx.session::close);
    fx.settle();
    // 704 ms: S1 (390 ms) and 314 ms of S2's 600: 31 of its 60 characters, cut back to a word.
    String heardOfS2 = S2.substring(0, S2.lastIndexOf(' ', 60 * (704 - 390) / 600));
    assertThatAssistantMessages().singleElement().satisfies(m -> {
      assertThat(m.truncated()).isTrue();
      assertThat(m.content()).isEqualTo(S1 + " " + heardOfS2);
    });
    long sent = fx.audioSent();
    fx.idle(5_000);
    assertThat(fx.audioSent()).as("nothing sent after the client left").isEqualTo(sent);
    assertThat(fx.events("response_done")).as("no response.done to a client that left").isEmpty();
    assertThat(fx.llmActive.get()).isZero();
  }

  @Test
  void twoCutsWithinTheTruncateWaitAreBothStoredAsHeard() {
    askAndHearTheAnswerStart();
    fx.silence(480);
    fx.run(() -> fx.session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED));
    fx.run(() -> fx.session.createResponse(null));
    fx.settle();
    fx.silence(320); // the second answer is cut before the first one's truncate wait (1 s) is over
    fx.run(() -> fx.session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED));
    fx.silence(1_280);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value)
        .containsExactly("cancelled:client_cancelled", "cancelled:client_cancelled");
    // 480 ms: S1 (390 ms) and 90 ms of S2: 9 of its characters, "They also"; then 320 ms of S1: up to "of".
    assertThatAssistantMessages().extracting(ConversationLog.Message::content)
        .containsExactly(S1 + " They also", "Bananas are a good source of");
    assertThatAssistantMessages().allSatisfy(m -> assertThat(m.truncated()).isTrue());
  }
}
