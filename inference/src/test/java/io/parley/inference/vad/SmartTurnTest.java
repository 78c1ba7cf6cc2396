package io.parley.inference.vad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smart Turn on ONNX Runtime with a generated model of its interface ({@link TinySmartTurn}): the
 * real features go in, a batch of turns comes out in order, and files that are not Smart Turn are
 * refused naming the setting.
 */
class SmartTurnTest {

  private static final int RATE = VoiceActivityModel.SAMPLE_RATE;

  @Test
  void aBatchOfTurnsIsScoredInOrderFromTheirFeatures(@TempDir Path dir) throws Exception {
    Path file = TinySmartTurn.write(dir.resolve("turn.onnx"), 3f, 1f);
    List<float[]> turns = List.of(new float[RATE], tone(300, 2 * RATE), tone(3000, 9 * RATE), new float[0]);
    try (SmartTurn model = SmartTurn.openFile(file, 1)) {
      float[] p = model.complete(turns);
      assertThat(p).hasSize(4);
      for (int i = 0; i < turns.size(); i++) {
        assertThat(p[i]).as("turn " + i).isCloseTo(TinySmartTurn.expected(turns.get(i), 3f, 1f),
            org.assertj.core.data.Offset.offset(1e-4f));
      }
      // Silence: mean -1.5, sigmoid(3 * -1.5 + 1) = sigmoid(-3.5).
      assertThat(p[0]).isCloseTo((float) (1 / (1 + Math.exp(3.5))), org.assertj.core.data.Offset.offset(1e-5f));
      assertThat(p[1]).isNotEqualTo(p[2]);
      assertThat(model.complete(List.of())).isEmpty();
    }
  }

  @Test
  void aFileThatIsNotSmartTurnIsRefusedNamingTheSetting(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.onnx");
    assertThatThrownBy(() -> SmartTurn.openFile(missing, 1)).isInstanceOf(ParleyException.class)
        .hasMessageContaining("is missing").hasMessageContaining("PARLEY_SEMANTIC_VAD_MODEL")
        .hasMessageContaining("./parley models --turn smart-turn-v3");
    Path garbage = Files.write(dir.resolve("garbage.onnx"), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> SmartTurn.openFile(garbage, 1)).hasMessageContaining("not a valid ONNX model");
    Path other = TinySmartTurn.writeWrongInput(dir.resolve("other.onnx"));
    assertThatThrownBy(() -> SmartTurn.openFile(other, 1)).hasMessageContaining("does not have Smart Turn v3's");
  }

  private static float[] tone(double hz, int samples) {
    float[] x = new float[samples];
    for (int i = 0; i < samples; i++) {
      x[i] = (float) (0.4 * Math.sin(2 * Math.PI * hz * i / RATE));
    }
    return x;
  }
}
