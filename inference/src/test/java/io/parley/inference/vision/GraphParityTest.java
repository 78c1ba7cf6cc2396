package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.parley.inference.support.Tools;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Parley's execution of the whole detector graphs on DJL against an independent one: TensorFlow.js
 * (its pure-JS CPU backend) ran the same model.json on the same deterministic input and its outputs
 * were kept as fixtures ({@code vision/nanodet-reference.json}, {@code vision/centernet-reference.json},
 * written by {@code reference.mjs} beside them): 64 values of each output (within 1e-4, relative past
 * 1) and each output's sum and sum of squares (relative 1e-4).
 */
class GraphParityTest {

  @Test
  void outputsMatchTensorFlowJs() throws Exception {
    assertMatchesReference("nanodet", false);
  }

  /** The same check for the graph compiled to TorchScript (fused, prepacked convolutions). */
  @Test
  void compiledOutputsMatchTensorFlowJs() throws Exception {
    assertMatchesReference("nanodet", true);
  }

  /**
   * The CenterNet: an NHWC graph of SAME, strided, depthwise and fused convolutions, hard-swish,
   * squeeze-and-excite means and TensorFlow 1 resizes; its two network outputs.
   */
  @Test
  void centerNetOutputsMatchTensorFlowJs() throws Exception {
    assertMatchesReference("centernet", false);
  }

  @Test
  void compiledCenterNetOutputsMatchTensorFlowJs() throws Exception {
    assertMatchesReference("centernet", true);
  }

  private void assertMatchesReference(String model, boolean compiled) throws Exception {
    JsonObject ref;
    try (InputStream in = getClass().getResourceAsStream("/vision/" + model + "-reference.json")) {
      assertThat(in).as("the fixture").isNotNull();
      ref = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    boolean centerNet = model.equals("centernet");
    int s = centerNet ? CenterNet.SIZE : NanoDet.SIZE;
    float[] input = new float[3 * s * s];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          int v = (7 * c + 13 * y + 17 * x) % 256;
          input[(c * s + y) * s + x] = centerNet ? v : v / 255f; // pixels; NanoDet's in [0, 1]
        }
      }
    }
    GraphDetector.pytorch(2);
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve(model + "/model.json"));
    List<String> names = centerNet ? CenterNet.OUTPUTS : graph.outputs();
    Map<String, float[]> outputs = new HashMap<>();
    Shape shape = new Shape(1, 3, s, s);
    try (NDManager m = NDManager.newBaseManager("PyTorch");
         GraphExecutor executor = new GraphExecutor(graph, names, m);
         GraphRunner e = compiled ? CompiledGraph.compile(executor, m, shape) : executor) {
      List<float[]> out = e.run(input, shape);
      for (int i = 0; i < out.size(); i++) {
        outputs.put(names.get(i), out.get(i));
      }
    }
    JsonObject expected = ref.getJsonObject("outputs");
    assertThat(outputs.keySet()).containsExactlyInAnyOrderElementsOf(expected.fieldNames());
    for (String name : expected.fieldNames()) {
      JsonObject o = expected.getJsonObject(name);
      float[] actual = outputs.get(name);
      long size = 1;
      for (Object d : o.getJsonArray("shape")) {
        size *= ((Number) d).longValue();
      }
      assertThat((long) actual.length).as(name + " size").isEqualTo(size);
      for (Object p : o.getJsonArray("values")) {
        JsonArray pair = (JsonArray) p;
        int at = pair.getInteger(0);
        float want = pair.getFloat(1);
        assertThat(actual[at]).as(name + "[" + at + "]").isCloseTo(want, within(1e-4f * Math.max(1, Math.abs(want))));
      }
      double sum = 0;
      double squares = 0;
      for (float v : actual) {
        sum += v;
        squares += (double) v * v;
      }
      assertThat(sum).as(name + " sum").isCloseTo(o.getDouble("sum"), within(Math.abs(o.getDouble("sum")) * 1e-4 + 1e-3));
      assertThat(squares).as(name + " sum of squares")
          .isCloseTo(o.getDouble("sumSquares"), within(o.getDouble("sumSquares") * 1e-4 + 1e-3));
    }
  }
}
