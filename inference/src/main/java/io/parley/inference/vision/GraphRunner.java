package io.parley.inference.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/** Runs a detector graph: {@link GraphExecutor} op by op, or {@link CompiledGraph} as one TorchScript module. */
public interface GraphRunner extends AutoCloseable {

  /**
   * The graph's outputs for the first {@code shape.size()} values of {@code images} (NCHW float,
   * [batch, C, H, W]; the array may be longer), in signature order.
   */
  default List<float[]> run(float[] images, Shape shape) {
    return run(images, shape, false);
  }

  /**
   * As {@link #run}, with {@code images} laid out channels-last ([batch, H, W, C] values; {@code shape}
   * is still NCHW): the layout PyTorch's CPU convolutions run on, so the input is not copied into it.
   */
  default List<float[]> runChannelsLast(float[] images, Shape shape) {
    return run(images, shape, true);
  }

  private List<float[]> run(float[] images, Shape shape, boolean nhwc) {
    try (NDManager pass = manager().newSubManager()) {
      NDArray input = nhwc ? GraphExecutor.nhwcInput(images, shape, pass) : GraphExecutor.channelsLast(images, shape, pass);
      List<float[]> results = new ArrayList<>();
      for (NDArray output : forward(input)) {
        results.add(output.toFloatArray());
      }
      return results;
    }
  }

  /** The manager that holds the graph's weights; a pass's arrays live in a sub-manager of it. */
  NDManager manager();

  /**
   * The graph's outputs for {@code input} (NCHW, best over channels-last memory), in signature order,
   * as arrays of {@code input}'s manager: the forward of the DJL block a predictor runs.
   */
  NDList forward(NDArray input);

  @Override
  void close();
}
