package io.parley.inference.vision;

import static io.parley.inference.vision.TinyGraph.attrs;
import static io.parley.inference.vision.TinyGraph.list;
import static io.parley.inference.vision.TinyGraph.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TorchScript that {@link GraphExecutor#trace} writes: a convolution read only by a LeakyRelu
 * absorbs it, one read by anything else does not, filters are prepacked, and the compiled module
 * computes what the op-by-op pass does (including for a batch larger than the traced one).
 */
class GraphScriptTest {

  @TempDir
  Path dir;

  @BeforeAll
  static void engine() {
    GraphDetector.pytorch(1);
  }

  /** x -> Conv2D (3x3, 2 -> 2 channels, bias) -> LeakyRelu(0.1) -> out; optionally the conv is an output too. */
  private Path convLeaky(boolean convIsOutput) throws Exception {
    float[] w = new float[3 * 3 * 2 * 2];
    for (int i = 0; i < w.length; i++) {
      w[i] = ((i * 7) % 5 - 2) / 4f;
    }
    TinyGraph g = new TinyGraph().input("x", 1, 2, 4, 4)
        .ints("to_nhwc", new long[] {4}, 0, 2, 3, 1).ints("to_nchw", new long[] {4}, 0, 3, 1, 2)
        .ints("paddings", new long[] {4, 2}, 0, 0, 0, 0, 1, 1, 1, 1)
        .halves("w", new long[] {3, 3, 2, 2}, w).halves("b", new long[] {2}, 0.5f, -0.25f)
        .op("p", "Pad", attrs(), "x", "paddings")
        .op("t1", "Transpose", attrs(), "p", "to_nhwc")
        .op("c", "Conv2D", string(string(list(list(attrs(), "strides", 1, 1, 1, 1), "dilations", 1, 1, 1, 1),
            "padding", "VALID"), "data_format", "NHWC"), "t1", "w")
        .op("a", "Add", attrs(), "c", "b")
        .op("t2", "Transpose", attrs(), "a", "to_nchw")
        .op("l", "LeakyRelu", attrs().put("alpha", new JsonObject().put("f", 0.1)), "t2")
        .op("out", "Identity", attrs(), "l").output("out");
    if (convIsOutput) {
      g.output("t2");
    }
    return g.write(dir.resolve(convIsOutput ? "two-readers" : "one-reader"));
  }

  private static String traced(Path json, Shape shape) {
    TfjsGraph g = TfjsGraph.read(json);
    try (NDManager m = NDManager.newBaseManager("PyTorch"); GraphExecutor e = new GraphExecutor(g, m)) {
      return e.trace(CompiledGraph.pattern((int) shape.size()), shape, new ArrayList<>()).source();
    }
  }

  @Test
  void aConvolutionReadOnlyByLeakyReluAbsorbsIt() throws Exception {
    String source = traced(convLeaky(false), new Shape(1, 2, 4, 4));
    assertThat(source).contains("ops.mkldnn._convolution_pointwise(").contains("\"leaky_relu\"")
        .doesNotContain("torch.leaky_relu").contains("torch.mkldnn_reorder_conv2d_weight(");
  }

  @Test
  void aConvolutionWithAnotherReaderKeepsItsActivationApart() throws Exception {
    String source = traced(convLeaky(true), new Shape(1, 2, 4, 4));
    assertThat(source).contains("\"none\"").contains("torch.leaky_relu(").doesNotContain("\"leaky_relu\"");
  }

  @Test
  void theCompiledModuleAgreesWithTheExecutorAtAnyBatchSize() throws Exception {
    for (boolean twoReaders : new boolean[] {false, true}) {
      TfjsGraph g = TfjsGraph.read(convLeaky(twoReaders));
      Shape three = new Shape(3, 2, 4, 4);
      float[] input = new float[(int) three.size()];
      for (int i = 0; i < input.length; i++) {
        input[i] = (float) Math.sin(i * 0.7);
      }
      try (NDManager m = NDManager.newBaseManager("PyTorch"); GraphExecutor e = new GraphExecutor(g, m);
           CompiledGraph c = CompiledGraph.compile(new GraphExecutor(g, m), m, new Shape(1, 2, 4, 4))) {
        List<float[]> eager = e.run(input, three);
        List<float[]> compiled = c.run(input, three);
        assertThat(compiled).hasSize(twoReaders ? 2 : 1);
        for (int o = 0; o < eager.size(); o++) {
          assertThat(compiled.get(o)).hasSize(3 * 2 * 4 * 4).containsExactly(eager.get(o), within(1e-5f));
        }
        // Not all zero or all equal: the case would prove nothing otherwise.
        float[] first = eager.getFirst();
        assertThat(first).contains(first[0] + 0f).isNotEqualTo(new float[first.length]);
        assertThat(java.util.stream.IntStream.range(0, first.length).mapToDouble(i -> first[i]).distinct().count())
            .isGreaterThan(10);
      }
    }
  }

  @Test
  void floatLiteralsReadBackExactly() {
    assertThat(GraphScript.number(0.1f)).isEqualTo("0.100000001");
    assertThat(GraphScript.number(2)).isEqualTo("2.00000000");
    assertThat(GraphScript.number(Double.NEGATIVE_INFINITY)).isEqualTo("float(\"-inf\")");
    assertThat(GraphScript.list(new long[] {1, 2})).isEqualTo("[1, 2]");
  }
}
