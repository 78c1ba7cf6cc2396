package io.parley.inference.vision;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.parley.inference.support.Tools;
import io.parley.inference.vad.OrtEnvironments;
import io.parley.inference.vad.SileroVad;
import io.parley.inference.vad.VoiceActivityModel;
import java.util.List;

/**
 * A child JVM's main for {@code OrtStartupTest}: starts the engines in the order its arguments name
 * ({@code onnx}: Silero VAD through
 * {@link OrtEnvironments}, one frame scored; {@code torch}: libtorch through DJL, one convolution)
 * and prints {@code STARTED <engines>} when all ran.
 */
public final class OrtStartupProbe {

  private OrtStartupProbe() {}

  public static void main(String[] args) {
    for (String engine : args) {
      switch (engine) {
        case "onnx" -> {
          try (SileroVad vad = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS)) {
            float[] frame = new float[VoiceActivityModel.FRAME_SAMPLES];
            float p = vad.probabilities(List.of(vad.newState()), List.of(frame))[0];
            if (!(p >= 0 && p <= 1)) {
              throw new IllegalStateException("Silero VAD scored silence " + p);
            }
          }
        }
        case "torch" -> {
          GraphDetector.pytorch(1);
          try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            var out = ai.djl.nn.convolutional.Conv2d.conv2d(m.ones(new Shape(1, 1, 4, 4)), m.ones(new Shape(1, 1, 3, 3)));
            float v = out.singletonOrThrow().toFloatArray()[0];
            if (v != 9f) {
              throw new IllegalStateException("a 3x3 convolution of ones gave " + v);
            }
          }
        }
        default -> throw new IllegalArgumentException("no engine " + engine);
      }
    }
    System.out.println("STARTED " + String.join(" ", args));
  }
}
