package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.voice.ConversationLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Without server VAD the client decides where its turn ends (input_audio_buffer.commit): the audio
 * buffered since the last commit is transcribed whole, and the turn is answered like a spoken one.
 */
class VoiceSessionCommitTest {

  private VoiceFixture fx;

  @BeforeEach
  void start() {
    fx = new VoiceFixture().open();
    fx.run(() -> {
      VoiceSettings s = fx.session.settings();
      fx.session.update(new VoiceSettings(false, s.createResponse(), s.interruptResponse(), s.bargeIn(),
          s.instructions(), s.language(), s.audioOut(), s.maxTokens(), s.temperature(), s.contextMessages(),
          s.turnDetection()));
    });
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  @Test
  void aCommitWithNothingBufferedIsAnError() {
    fx.run(fx.session::commit);
    assertThat(fx.events("error")).extracting(VoiceFixture.Event::value)
        .containsExactly(VoiceEvent.Code.COMMIT_EMPTY.name());
    assertThat(fx.sttCalls).isEmpty();
  }

  @Test
  void theBufferedAudioIsTranscribedWholeAndAnswered() {
    fx.speech(640);
    assertThat(fx.events("speech_started")).as("no server VAD").isEmpty();
    fx.run(fx.session::commit);
    fx.settle();
    assertThat(fx.sttCalls).containsExactly(VoiceFixture.RATE * 640 / 1_000);
    assertThat(fx.events("transcript")).extracting(VoiceFixture.Event::value).containsExactly("hello there");
    assertThat(fx.events("response_started")).hasSize(1);
    synchronized (fx.stored) {
      assertThat(fx.stored).first().extracting(ConversationLog.Message::content).isEqualTo("hello there");
    }
    fx.run(fx.session::commit);
    assertThat(fx.events("error")).as("the buffer was taken").extracting(VoiceFixture.Event::value)
        .containsExactly(VoiceEvent.Code.COMMIT_EMPTY.name());
  }
}
