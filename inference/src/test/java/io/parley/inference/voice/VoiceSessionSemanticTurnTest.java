package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.vad.Eagerness;
import io.parley.inference.vad.SmartTurn;
import io.parley.inference.vad.TinySmartTurn;
import io.parley.inference.vad.VadSegmenter;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Semantic turn detection ({@code semantic_vad}) in a session on a virtual clock, with Smart Turn's
 * real feature extraction and ONNX Runtime on generated models that find every turn complete or
 * none: a complete turn ends at the first pause (200 ms), an incomplete one waits through pauses as
 * one turn until the eagerness's silence fallback (2 s for {@code high}) ends it.
 */
class VoiceSessionSemanticTurnTest {

  @TempDir
  Path dir;
  private VoiceFixture fx;
  private SmartTurn model;

  private void open(float bias) throws Exception {
    model = SmartTurn.openFile(TinySmartTurn.write(dir.resolve("turn.onnx"), 0f, bias), 1);
    fx = new VoiceFixture();
    fx.segmenting = VadSegmenter.Settings.DEFAULTS.withEagerness(Eagerness.HIGH);
    fx.endOfTurn = Optional.of(model::complete);
    fx.open();
  }

  @AfterEach
  void stop() {
    if (fx != null) {
      fx.close();
    }
    if (model != null) {
      model.close();
    }
  }

  @Test
  void aTurnTheModelFindsCompleteEndsAtTheFirstPause() throws Exception {
    open(10f); // sigmoid(10): complete
    fx.silence(320);
    fx.speech(960);
    long silenceFrom = fx.clock.millis();
    fx.silence(480);
    assertThat(fx.events("speech_stopped")).as("%s", fx.types()).hasSize(1);
    // Asked after 200 ms of silence (7 frames: 224 ms), answered before the next frame.
    assertThat(fx.events("speech_stopped").getFirst().atMs()).isEqualTo(silenceFrom + 224);
    assertThat(Long.parseLong(fx.events("speech_stopped").getFirst().value())).isEqualTo(silenceFrom);
    assertThat(fx.events("transcript")).hasSize(1);
  }

  @Test
  void anIncompleteTurnGoesOnThroughPausesAndTheFallbackEndsIt() throws Exception {
    open(-10f); // sigmoid(-10): not complete
    fx.silence(320);
    fx.speech(960);
    fx.silence(800); // a pause the model finds incomplete: no end
    assertThat(fx.events("speech_stopped")).as("%s", fx.types()).isEmpty();
    fx.speech(640); // the user goes on: the same turn
    long silenceFrom = fx.clock.millis();
    fx.silence(2_400);
    assertThat(fx.events("speech_started")).as("%s", fx.types()).hasSize(1);
    assertThat(fx.events("speech_stopped")).hasSize(1);
    assertThat(Long.parseLong(fx.events("speech_stopped").getFirst().value())).isEqualTo(silenceFrom);
    // The 2 s fallback (63 frames from the silence's first) ended it.
    assertThat(fx.events("speech_stopped").getFirst().atMs()).isEqualTo(silenceFrom + 63 * 32);
    assertThat(fx.events("transcript")).hasSize(1);
  }
}
