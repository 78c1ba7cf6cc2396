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
 * Parley's execution of the whole NanoDet-m graph on DJL against an independent one: TensorFlow.js
 * (its pure-JS CPU backend) ran the same model.json on the same deterministic input and its outputs
 * were kept as a fixture ({@code vision/nanodet-reference.json}, written by {@code reference.mjs}
 * beside it): 64 values of each of the six outputs (within 1e-4) and each output's sum and sum of
 * squares (relative 1e-4).
 */
class GraphParityTest {

  @Test
  void outputsMatchTensorFlowJs() throws Exception {
    assertMatchesReference(false);
  }

  /** The same check for the graph compiled to TorchScript (fused, prepacked convolutions). */
  @Test
  void compiledOutputsMatchTensorFlowJs() throws Exception {
    assertMatchesReference(true);
  }

  private void assertMatchesReference(boolean compiled) throws Exception {
    JsonObject ref;
    try (InputStream in = getClass().getResourceAsStream("/vision/nanodet-reference.json")) {
      assertThat(in).as("the fixture").isNotNull();
      ref = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    int s = NanoDet.SIZE;
    float[] input = new float[3 * s * s];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          input[(c * s + y) * s + x] = ((7 * c + 13 * y + 17 * x) % 256) / 255f;
        }
      }
    }
    NanoDetDetector.pytorch(2);
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    Map<String, float[]> outputs = new HashMap<>();
    Shape shape = new Shape(1, 3, s, s);
    try (NDManager m = NDManager.newBaseManager("PyTorch");
         GraphRunner e = compiled ? CompiledGraph.compile(new GraphExecutor(graph, m), m, shape) : new GraphExecutor(graph, m)) {
      List<float[]> out = e.run(input, shape);
      for (int i = 0; i < out.size(); i++) {
        outputs.put(graph.outputs().get(i), out.get(i));
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
        assertThat(actual[at]).as(name + "[" + at + "]").isCloseTo(pair.getFloat(1), within(1e-4f));
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
