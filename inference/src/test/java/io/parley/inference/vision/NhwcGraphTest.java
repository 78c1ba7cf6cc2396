package io.parley.inference.vision;

import static io.parley.inference.vision.TinyGraph.attrs;
import static io.parley.inference.vision.TinyGraph.flag;
import static io.parley.inference.vision.TinyGraph.list;
import static io.parley.inference.vision.TinyGraph.string;
import static io.parley.inference.vision.TinyGraph.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.parley.core.ParleyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor on graphs written for NHWC, as the CenterNet is: an NHWC image in and out, SAME
 * convolutions (strided ones padding TensorFlow's way), depthwise and fused convolutions,
 * hard-swish and squeeze-and-excite arithmetic, and TensorFlow 1's bilinear resize. Convolutions
 * are checked against a naive TensorFlow convolution written here; every case also runs compiled
 * ({@link CompiledGraph}) and must give the op-by-op outputs.
 */
class NhwcGraphTest {

  @TempDir
  Path dir;

  @BeforeAll
  static void engine() {
    GraphDetector.pytorch(1);
  }

  /** Runs the graph on an NHWC image (h x w x c values), op by op and compiled; the first output. */
  private static float[] run(Path json, float[] nhwc, int h, int w, int c) {
    float[] nchw = new float[nhwc.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int k = 0; k < c; k++) {
          nchw[(k * h + y) * w + x] = nhwc[(y * w + x) * c + k];
        }
      }
    }
    Shape shape = new Shape(1, c, h, w);
    TfjsGraph g = TfjsGraph.read(json);
    try (NDManager m = NDManager.newBaseManager("PyTorch"); GraphExecutor e = new GraphExecutor(g, m)) {
      float[] eager = e.run(nchw, shape).getFirst();
      try (CompiledGraph compiled = CompiledGraph.compile(new GraphExecutor(g, m), m, shape)) {
        assertThat(compiled.run(nchw, shape).getFirst()).as("compiled").containsExactly(eager, within(1e-4f));
      }
      return eager;
    }
  }

  private static float[] ramp(int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) Math.sin(i * 0.37) * scale;
    }
    return v;
  }

  /** Values exactly representable as halves (the weights are stored so). */
  private static float[] halves(float[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
    }
    return out;
  }

  /**
   * TensorFlow's 2-d convolution, naively: NHWC input, a k x k filter HWIO (depthwise: H, W, C,
   * multiplier, output channel c x multiplier + m), SAME padding (the odd pixel after) or VALID.
   */
  static float[] tfConv(float[] x, int h, int w, int c, float[] f, int k, int outC, int stride, boolean same,
                        boolean depthwise) {
    int oh = same ? (h + stride - 1) / stride : (h - k) / stride + 1;
    int ow = same ? (w + stride - 1) / stride : (w - k) / stride + 1;
    int top = same ? Math.max(0, (oh - 1) * stride + k - h) / 2 : 0;
    int left = same ? Math.max(0, (ow - 1) * stride + k - w) / 2 : 0;
    float[] out = new float[oh * ow * outC];
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        for (int oc = 0; oc < outC; oc++) {
          double sum = 0;
          for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
              int iy = oy * stride + ky - top;
              int ix = ox * stride + kx - left;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                continue;
              }
              if (depthwise) {
                int m = outC / c;
                int ic = oc / m;
                sum += x[(iy * w + ix) * c + ic] * f[((ky * k + kx) * c + ic) * m + oc % m];
              } else {
                for (int ic = 0; ic < c; ic++) {
                  sum += x[(iy * w + ix) * c + ic] * f[((ky * k + kx) * c + ic) * outC + oc];
                }
              }
            }
          }
          out[(oy * ow + ox) * outC + oc] = (float) sum;
        }
      }
    }
    return out;
  }

  private static JsonObject convAttrs(int stride, String padding) {
    return string(string(list(list(attrs(), "strides", 1, stride, stride, 1), "dilations", 1, 1, 1, 1), "padding",
        padding), "data_format", "NHWC");
  }

  @Test
  void sameConvolutionsPadAsTensorFlowDoesStridedOrNot() throws Exception {
    int h = 7;
    int w = 6;
    int c = 3;
    float[] x = ramp(h * w * c, 2);
    for (int k : new int[] {3, 5}) {
      for (int stride : new int[] {1, 2}) {
        for (boolean depthwise : new boolean[] {false, true}) {
          int outC = depthwise ? 6 : 4;
          float[] f = halves(ramp(k * k * c * (depthwise ? 2 : outC), 0.5f));
          String op = depthwise ? "DepthwiseConv2dNative" : "Conv2D";
          String name = op + k + "s" + stride;
          Path json = new TinyGraph().input("x", 1, h, w, c)
              .halves("f", depthwise ? new long[] {k, k, c, 2} : new long[] {k, k, c, outC}, f)
              .op("conv", op, convAttrs(stride, "SAME"), "x", "f").output("conv").write(dir.resolve(name));
          float[] expected = tfConv(x, h, w, c, f, k, outC, stride, true, depthwise);
          assertThat(run(json, x, h, w, c)).as(name).containsExactly(expected, within(1e-4f));
        }
      }
    }
  }

  /** The image of the fused-convolution cases: 6 x 6, 3 channels. */
  private static final int H = 6;
  private static final int W = 6;
  private static final int C = 3;

  @Test
  void fusedConvolutionsAddTheirBiasAndActivation() throws Exception {
    int h = H;
    int w = W;
    int c = C;
    float[] x = ramp(h * w * c, 3);
    float[] f = halves(ramp(3 * 3 * c * 2, 0.7f));
    float[] bias = halves(new float[] {0.5f, -0.25f});
    for (String activation : new String[] {"Relu", "Relu6"}) {
      Path json = new TinyGraph().input("x", 1, h, w, c)
          .halves("f", new long[] {3, 3, c, 2}, f).halves("b", new long[] {2}, bias)
          .op("conv", "_FusedConv2D", strings(convAttrs(2, "SAME"), "fused_ops", "BiasAdd", activation), "x", "f", "b")
          .output("conv").write(dir.resolve(activation));
      float[] expected = tfConv(x, h, w, c, f, 3, 2, 2, true, false);
      for (int i = 0; i < expected.length; i++) {
        float v = Math.max(0, expected[i] + bias[i % 2]);
        expected[i] = activation.equals("Relu6") ? Math.min(6, v) : v;
      }
      float[] out = run(json, x, h, w, c);
      assertThat(out).as(activation).containsExactly(expected, within(1e-4f));
      assertThat(out).as("some values clipped by the activation").contains(0f);
      assertThat(java.util.stream.IntStream.range(0, out.length).anyMatch(i -> out[i] > 0 && out[i] < 6))
          .as("some values in between").isTrue();
    }
    Path unknown = new TinyGraph().input("x", 1, h, w, c).halves("f", new long[] {3, 3, c, 2}, f)
        .halves("b", new long[] {2}, bias)
        .op("conv", "_FusedConv2D", strings(convAttrs(1, "SAME"), "fused_ops", "BiasAdd", "Elu"), "x", "f", "b")
        .output("conv").write(dir.resolve("elu"));
    TfjsGraph g = TfjsGraph.read(unknown);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      assertThatThrownBy(() -> new GraphExecutor(g, m)).isInstanceOf(ParleyException.class).hasMessageContaining("Elu");
    }
  }

  @Test
  void hardSwishAndSqueezeAndExcite() throws Exception {
    // y = x * relu6(x + 3) * 1/6 (the converter's hard-swish), then y * sigmoid(mean of y over H and W)
    int h = 5;
    int w = 6;
    int c = 3;
    float[] x = ramp(h * w * c, 5);
    float sixth = Float.float16ToFloat(Float.floatToFloat16(1 / 6f));
    Path json = new TinyGraph().input("x", 1, h, w, c)
        .halves("sixth", new long[] {}, sixth).halves("three", new long[] {}, 3)
        .ints("axes", new long[] {2}, 1, 2)
        .op("scaled", "Mul", attrs(), "sixth", "x")
        .op("shifted", "Add", attrs(), "x", "three")
        .op("clipped", "Relu6", attrs(), "shifted")
        .op("hs", "Mul", attrs(), "scaled", "clipped")
        .op("mean", "Mean", flag(attrs(), "keep_dims", true), "hs", "axes")
        .op("gate", "Sigmoid", attrs(), "mean")
        .op("se", "Mul", attrs(), "hs", "gate")
        .op("out", "Identity", attrs(), "se").output("out").write(dir.resolve("se"));
    float[] hs = new float[x.length];
    double[] mean = new double[c];
    for (int i = 0; i < x.length; i++) {
      hs[i] = x[i] * sixth * Math.min(6, Math.max(0, x[i] + 3));
      mean[i % c] += hs[i] / (h * w);
    }
    float[] expected = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      expected[i] = (float) (hs[i] / (1 + Math.exp(-mean[i % c])));
    }
    assertThat(run(json, x, h, w, c)).containsExactly(expected, within(1e-5f));
  }

  @Test
  void aConvolutionsHardSwishIsOneFusedOpWhenCompiled() throws Exception {
    float[] x = ramp(H * W * C, 4);
    float[] f = halves(ramp(3 * 3 * C * 2, 0.9f));
    float sixth = Float.float16ToFloat(Float.floatToFloat16(1 / 6f));
    Path json = new TinyGraph().input("x", 1, H, W, C)
        .halves("f", new long[] {3, 3, C, 2}, f).halves("b", new long[] {2}, 0.25f, -0.5f)
        .halves("sixth", new long[] {}, sixth).halves("three", new long[] {}, 3)
        .op("conv", "_FusedConv2D", strings(convAttrs(1, "SAME"), "fused_ops", "BiasAdd"), "x", "f", "b")
        .op("scaled", "Mul", attrs(), "sixth", "conv")
        .op("shifted", "Add", attrs(), "conv", "three")
        .op("clipped", "Relu6", attrs(), "shifted")
        .op("hs", "Mul", attrs(), "scaled", "clipped")
        .op("out", "Identity", attrs(), "hs").output("out").write(dir.resolve("hard-swish"));
    float[] expected = tfConv(x, H, W, C, f, 3, 2, 1, true, false);
    for (int i = 0; i < expected.length; i++) {
      float v = expected[i] + (i % 2 == 0 ? 0.25f : -0.5f);
      expected[i] = v * sixth * Math.min(6, Math.max(0, v + 3));
    }
    assertThat(run(json, x, H, W, C)).containsExactly(expected, within(1e-4f));
    TfjsGraph g = TfjsGraph.read(json);
    Shape shape = new Shape(1, C, H, W);
    try (NDManager m = NDManager.newBaseManager("PyTorch"); GraphExecutor e = new GraphExecutor(g, m)) {
      String source = e.trace(CompiledGraph.pattern((int) shape.size()), shape, new java.util.ArrayList<>()).source();
      assertThat(source).contains("\"hardswish\"").doesNotContain("hardtanh").doesNotContain("torch.hardswish");
    }
  }

  @Test
  void tensorFlowOnesResizeDoublesByRepeatingAndAveraging() throws Exception {
    // Without half-pixel centres output i samples input i / 2: even outputs are inputs, odd ones
    // the mean of two neighbours, the last one repeated at the edge. A 5x3 image to 10x6.
    Path json = new TinyGraph().input("x", 1, 5, 3, 1).ints("size", new long[] {2}, 10, 6)
        .op("r", "ResizeBilinear", flag(flag(attrs(), "half_pixel_centers", false), "align_corners", false), "x", "size")
        .op("out", "Identity", attrs(), "r").output("out").write(dir.resolve("resize"));
    float[] in = new float[15];
    for (int i = 0; i < in.length; i++) {
      in[i] = 4 * i + (i % 3 == 1 ? 1 : 0);
    }
    float[] out = run(json, in, 5, 3, 1);
    float[] expected = new float[60];
    for (int y = 0; y < 10; y++) {
      for (int x = 0; x < 6; x++) {
        int y0 = y / 2;
        int y1 = Math.min(4, y0 + 1);
        int x0 = x / 2;
        int x1 = Math.min(2, x0 + 1);
        float fy = y % 2 / 2f;
        float fx = x % 2 / 2f;
        float top = in[y0 * 3 + x0] * (1 - fx) + in[y0 * 3 + x1] * fx;
        float bottom = in[y1 * 3 + x0] * (1 - fx) + in[y1 * 3 + x1] * fx;
        expected[y * 6 + x] = top * (1 - fy) + bottom * fy;
      }
    }
    assertThat(out).containsExactly(expected, within(1e-5f));
    assertThat(out[5]).as("the row's last output repeats its last input").isEqualTo(in[2]);
    assertThat(out[1]).as("between inputs 0 and 1").isEqualTo((in[0] + in[1]) / 2);
  }

  @Test
  void onlyTheChosenOutputsRunSoAnUnsupportedTailIsNoObstacle() throws Exception {
    Path json = new TinyGraph().input("x", 1, 2, 2, 1).ints("k", new long[] {}, 1)
        .op("s", "Sigmoid", attrs(), "x")
        .op("top", "TopKV2", attrs(), "s", "k")
        .output("top").output("s").write(dir.resolve("tail"));
    TfjsGraph g = TfjsGraph.read(json);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      assertThatThrownBy(() -> new GraphExecutor(g, m)).isInstanceOf(ParleyException.class).hasMessageContaining("TopKV2");
      try (GraphExecutor e = new GraphExecutor(g, List.of("s"), m)) {
        float[] out = e.run(new float[] {0, 0, 0, 0}, new Shape(1, 1, 2, 2)).getFirst();
        assertThat(out).containsExactly(0.5f, 0.5f, 0.5f, 0.5f);
      }
      assertThatThrownBy(() -> new GraphExecutor(g, List.of("nothing"), m)).isInstanceOf(ParleyException.class)
          .hasMessageContaining("nothing");
    }
  }
}
