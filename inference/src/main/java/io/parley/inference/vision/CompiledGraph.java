package io.parley.inference.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The graph as one TorchScript module on DJL's PyTorch engine (CPU): {@link GraphExecutor} traces a
 * pass and writes it down ({@link GraphScript}), PyTorch compiles the source, and every
 * convolution filter is reordered once into oneDNN's blocked layout. A pass is then one native call
 * instead of a few hundred, the convolutions run on prepacked filters with their LeakyRelu fused
 * (eager convolutions reorder the filter on every call and write a tensor the activation reads
 * back), and nothing crosses JNI per op.
 *
 * <p>{@link #compile} runs the module once on a deterministic input and compares every output with
 * the executor's: a difference beyond {@link #TOLERANCE} is refused, so a graph the rewrite gets
 * wrong never serves.
 */
public final class CompiledGraph implements GraphRunner {

  /**
   * Largest difference allowed against the op-by-op pass (both are float32 oneDNN): absolute up to
   * 1, relative beyond (the CenterNet's box sides are hundreds of pixels).
   */
  static final float TOLERANCE = 1e-3f;

  private final GraphExecutor executor;
  private final PtNDManager manager;
  private final PtSymbolBlock module;
  private final IValue params;

  private CompiledGraph(GraphExecutor executor, PtNDManager manager, PtSymbolBlock module, IValue params) {
    this.executor = executor;
    this.manager = manager;
    this.module = module;
    this.params = params;
  }

  /**
   * Compiles {@code executor}'s graph for inputs of {@code shape} (any batch size runs; the traced
   * pass uses the shape as given); the result owns the executor. CPU only (oneDNN). Fails with
   * {@code UNAVAILABLE} when PyTorch refuses the program or its outputs disagree with the executor's.
   */
  public static CompiledGraph compile(GraphExecutor executor, NDManager manager, Shape shape) {
    if (!(manager instanceof PtNDManager pt) || !"cpu".equals(manager.getDevice().getDeviceType())) {
      throw new ParleyException(Reason.UNAVAILABLE, "the compiled graph runs on PyTorch's CPU only");
    }
    float[] sample = pattern((int) shape.size());
    List<float[]> expected = new ArrayList<>();
    GraphScript script = executor.trace(sample, shape, expected);
    PtSymbolBlock module;
    IValue packed;
    try {
      module = JniUtils.loadModule(pt, new ByteArrayInputStream(script.archive()), false, false);
      IValue raw = IValue.listFrom(script.params().stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new));
      try {
        packed = IValueUtils.runMethod(module, "prepack", raw);
      } finally {
        raw.close();
      }
    } catch (IOException | RuntimeException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "vision graph did not compile to TorchScript: " + e.getMessage(), e);
    }
    CompiledGraph compiled = new CompiledGraph(executor, pt, module, packed);
    List<float[]> actual = compiled.run(sample, shape);
    for (int o = 0; o < expected.size(); o++) {
      float[] e = expected.get(o);
      float[] a = actual.get(o);
      if (e.length != a.length) {
        compiled.closeModule();
        throw new ParleyException(Reason.UNAVAILABLE, "compiled vision graph: output " + o + " has " + a.length
            + " values, expected " + e.length);
      }
      for (int i = 0; i < e.length; i++) {
        if (!(Math.abs(e[i] - a[i]) <= TOLERANCE * Math.max(1, Math.abs(e[i])))) {
          compiled.closeModule();
          throw new ParleyException(Reason.UNAVAILABLE, "compiled vision graph: output " + o + "[" + i + "] is " + a[i]
              + ", the op-by-op pass gives " + e[i]);
        }
      }
    }
    return compiled;
  }

  /** A deterministic input of {@code n} values in [-2, 2) with neighbours and channels differing. */
  static float[] pattern(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (int) ((i * 37L + i / 416 * 11L) % 256) / 64f - 2f;
    }
    return v;
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public NDList forward(NDArray input) {
    if (!(input.getManager() instanceof PtNDManager target) || !(input instanceof PtNDArray x)) {
      throw new IllegalArgumentException("the compiled graph takes PyTorch arrays");
    }
    IValue in = IValue.from(x);
    try (IValue out = module.forward(in, params)) {
      NDList results = new NDList();
      for (IValue part : out.toIValueTuple()) {
        try (part) {
          results.add(part.toTensor(target));
        }
      }
      return results;
    } finally {
      in.close();
    }
  }

  private void closeModule() {
    params.close();
    module.close();
  }

  @Override
  public void close() {
    closeModule();
    executor.close();
  }
}
