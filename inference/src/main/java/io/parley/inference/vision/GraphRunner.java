package io.parley.inference.vision;

import ai.djl.ndarray.types.Shape;
import java.util.List;

/** Runs a detector graph: {@link GraphExecutor} op by op, or {@link CompiledGraph} as one TorchScript module. */
public interface GraphRunner extends AutoCloseable {

  /**
   * The graph's outputs for the first {@code shape.size()} values of {@code images} (NCHW float,
   * [batch, C, H, W]; the array may be longer), in signature order.
   */
  List<float[]> run(float[] images, Shape shape);

  @Override
  void close();
}
