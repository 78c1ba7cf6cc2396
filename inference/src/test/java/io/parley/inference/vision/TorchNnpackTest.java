package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.junit.jupiter.api.Test;

/** The engine the detectors load has NNPACK off, and convolutions still run. */
class TorchNnpackTest {

  @Test
  void theLoadedEngineHasNnpackOffAndConvolvesWithoutIt() {
    var engine = GraphDetector.pytorch(1);
    assertThat(TorchNnpack.enabled()).isFalse();
    try (NDManager m = engine.newBaseManager()) {
      NDArray image = m.ones(new Shape(1, 3, 8, 8));
      NDArray kernel = m.ones(new Shape(2, 3, 3, 3));
      NDArray out = Conv2d.conv2d(image, kernel).singletonOrThrow();
      assertThat(out.getShape()).isEqualTo(new Shape(1, 2, 6, 6));
      assertThat(out.toFloatArray()).containsOnly(27f);
    }
  }
}
