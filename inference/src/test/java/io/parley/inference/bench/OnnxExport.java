package io.parley.inference.bench;

import io.parley.inference.vision.TfjsGraph;
import io.parley.inference.vision.TfjsGraph.Node;
import io.parley.inference.vision.TfjsGraph.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a detector's TensorFlow.js graph (NanoDet-m, the CenterNet) as an ONNX model (opset 13), so
 * that ONNX Runtime can run the same weights as the peer of the DJL figure in {@code VisionBench}.
 * The graph is rewritten the way {@code GraphExecutor} runs it (NCHW throughout, the converter's
 * NHWC transposes dropped, explicit pads folded into Conv/MaxPool pads, SAME ones computed,
 * half-pixel resizes as Resize(linear) up and 2x2 AveragePool down, TensorFlow 1's as
 * Resize(linear, asymmetric), batch kept symbolic), so both engines compute the same network. The
 * protobuf is written by hand (a few field numbers of onnx.proto). Benchmark code, not part of the
 * server.
 */
public final class OnnxExport {

  private OnnxExport() {}

  /** The output layouts of Ultralytics' YOLO exports (see {@link #yolo}). */
  public enum YoloLayout { V5, V8 }

  /** Minimal protobuf writer (also used by the tests' hand-written ONNX models). */
  public static final class Proto {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** The bytes written so far. */
    public byte[] toByteArray() {
      return out.toByteArray();
    }

    Proto varint(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
      return this;
    }

    public Proto tag(int field, int wire) {
      return varint(((long) field << 3) | wire);
    }

    public Proto int64(int field, long v) {
      return tag(field, 0).varint(v);
    }

    public Proto bytes(int field, byte[] b) {
      tag(field, 2).varint(b.length);
      out.writeBytes(b);
      return this;
    }

    public Proto string(int field, String s) {
      return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    public Proto message(int field, Proto p) {
      return bytes(field, p.out.toByteArray());
    }

    /** An INTS attribute. */
    public static Proto ints(String name, long... values) {
      Proto a = new Proto().string(1, name);
      for (long v : values) {
        a.int64(8, v);
      }
      return a.int64(20, 7); // INTS
    }

    /** An INT attribute. */
    public static Proto intAttr(String name, long v) {
      return new Proto().string(1, name).int64(3, v).int64(20, 2); // INT
    }

    public Proto float32(int field, float f) {
      tag(field, 5);
      int bits = Float.floatToIntBits(f);
      for (int i = 0; i < 4; i++) {
        out.write((bits >>> (8 * i)) & 0xFF);
      }
      return this;
    }
  }

  private record Value(String name, boolean nhwc, int[] pad, float padValue, long side) {}

  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private final static class Builder {
    final Proto graph = new Proto();
    final Map<String, int[]> ints = new HashMap<>();
    final Map<String, Tensor> consts;
    final Set<String> written = new HashSet<>();
    /** Target shapes of the Reshape outputs (0 = the batch), by ONNX value name. */
    final Map<String, long[]> shapes = new HashMap<>();
    int counter;

    Builder(Map<String, Tensor> consts) {
      this.consts = consts;
    }

    String fresh(String base) {
      return base.replaceAll("[^A-Za-z0-9_]", "_") + "__" + (counter++);
    }

    void initializer(String name, long[] dims, float[] data) {
      ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float f : data) {
        b.putFloat(f);
      }
      Proto t = new Proto();
      for (long d : dims) {
        t.int64(1, d);
      }
      t.int64(2, FLOAT).string(8, name).bytes(9, b.array());
      graph.message(5, t);
    }

    void int64s(String name, long... data) {
      ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (long v : data) {
        b.putLong(v);
      }
      Proto t = new Proto().int64(1, data.length).int64(2, INT64).string(8, name).bytes(9, b.array());
      graph.message(5, t);
    }

    void node(String op, List<String> inputs, String output, Proto... attrs) {
      Proto n = new Proto();
      inputs.forEach(i -> n.string(1, i));
      n.string(2, output).string(3, output + "_node").string(4, op);
      for (Proto a : attrs) {
        n.message(5, a);
      }
      graph.message(1, n);
    }

    static Proto floatAttr(String name, float v) {
      return new Proto().string(1, name).float32(2, v).int64(20, 1); // FLOAT
    }

    static Proto stringAttr(String name, String v) {
      return new Proto().string(1, name).string(4, v).int64(20, 3); // STRING
    }

    /** A float constant as an initializer, once. */
    String constant(String name) {
      String onnx = name.replaceAll("[^A-Za-z0-9_]", "_");
      if (written.add(onnx)) {
        Tensor t = consts.get(name);
        initializer(onnx, t.shape(), t.floats());
      }
      return onnx;
    }
  }

  /** The ONNX model bytes for {@code graph} with input [batch, 3, size, size]. */
  static byte[] export(TfjsGraph graph, int size) {
    return export(graph, graph.outputs(), size, null);
  }

  /**
   * The ONNX model bytes for the nodes {@code outputs} of {@code graph} with input [batch, 3, size,
   * size]; an output the graph holds NHWC is given NHWC, as DJL's executor gives it.
   */
  static byte[] export(TfjsGraph graph, List<String> outputs, int size) {
    return export(graph, outputs, size, null);
  }

  /**
   * NanoDet-m with a decoding head that gives the output of an Ultralytics YOLO export, so that
   * Parley's YOLO path (DJL's YOLO translators) can be tested on real weights where no YOLO weights
   * can be fetched: input [batch, 3, size, size] RGB in [0, 1] (what both expect); output
   * {@code V8}: [batch, 84, cells] = box centre x, y, width, height in input pixels, then the 80
   * class scores; {@code V5}: [batch, cells, 85] with an objectness column of 1 after the box.
   * The head: each side's 11-bin distribution through a softmax, its expectation times the stride
   * (as {@code NanoDet.decode}), then centre/size from the cell centre and the four sides.
   */
  public static byte[] yolo(TfjsGraph graph, int size, YoloLayout layout) {
    return export(graph, graph.outputs(), size, layout);
  }

  private static byte[] export(TfjsGraph graph, List<String> outputs, int size, YoloLayout yolo) {
    Builder b = new Builder(graph.constants());
    graph.constants().forEach((k, v) -> {
      if (v.isInt()) {
        b.ints.put(k, v.ints());
      }
    });
    Map<String, Value> env = new HashMap<>();
    String input = graph.inputs().getFirst();
    env.put(input, new Value("input", graph.nhwcInput(), null, 0, size));
    List<Node> order = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (String o : outputs) {
      visit(graph, o, order, done);
    }
    for (Node n : order) {
      List<String> in = n.inputs();
      switch (n.op()) {
        case "Placeholder", "Const" -> { }
        case "SparseToDense" -> b.ints.put(n.name(), sparseToDense(b, n));
        case "Identity" -> env.put(n.name(), value(env, b, in.get(0)));
        case "Add", "AddV2" -> {
          if (b.ints.containsKey(TfjsGraph.nodeName(in.get(0))) && b.ints.containsKey(TfjsGraph.nodeName(in.get(1)))) {
            int[] x = b.ints.get(TfjsGraph.nodeName(in.get(0)));
            int[] y = b.ints.get(TfjsGraph.nodeName(in.get(1)));
            int[] sum = new int[Math.max(x.length, y.length)];
            for (int i = 0; i < sum.length; i++) {
              sum[i] = x[x.length == 1 ? 0 : i] + y[y.length == 1 ? 0 : i];
            }
            b.ints.put(n.name(), sum);
            continue;
          }
          String other = TfjsGraph.nodeName(in.get(1));
          if (graph.constants().containsKey(other) && graph.constants().get(other).shape().length == 1) {
            Value x = materialize(b, value(env, b, in.get(0)));
            String out = b.fresh(n.name());
            Tensor t = graph.constants().get(other);
            String bias = b.fresh(other);
            b.initializer(bias, new long[] {1, t.shape()[0], 1, 1}, t.floats());
            b.node("Add", List.of(x.name(), bias), out);
            env.put(n.name(), new Value(out, x.nhwc(), null, 0, x.side()));
          } else {
            binary(b, env, n, "Add");
          }
        }
        case "Mul" -> binary(b, env, n, "Mul");
        case "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative" -> conv(graph, b, env, n);
        case "Relu", "Relu6" -> {
          Value x = materialize(b, value(env, b, in.get(0)));
          env.put(n.name(), new Value(activation(b, n.op(), 0, x.name(), n.name()), x.nhwc(), null, 0, x.side()));
        }
        case "Mean" -> {
          Value x = materialize(b, value(env, b, in.get(0)));
          long[] axes = Arrays.stream(b.ints.get(TfjsGraph.nodeName(in.get(1))))
              .mapToLong(a -> physical(a, x.nhwc())).sorted().toArray();
          String out = b.fresh(n.name());
          b.node("ReduceMean", List.of(x.name()), out, Proto.ints("axes", axes), Proto.intAttr("keepdims", 1));
          env.put(n.name(), new Value(out, x.nhwc(), null, 0, 1));
        }
        case "Transpose" -> {
          Value x = value(env, b, in.get(0));
          int[] perm = b.ints.get(TfjsGraph.nodeName(in.get(1)));
          if (perm.length == 4 && Arrays.equals(perm, new int[] {0, 2, 3, 1}) && !x.nhwc()) {
            env.put(n.name(), new Value(x.name(), true, x.pad(), x.padValue(), x.side()));
          } else if (perm.length == 4 && Arrays.equals(perm, new int[] {0, 3, 1, 2}) && x.nhwc()) {
            env.put(n.name(), new Value(x.name(), false, x.pad(), x.padValue(), x.side()));
          } else {
            Value m = materialize(b, x);
            String out = b.fresh(n.name());
            b.node("Transpose", List.of(m.name()), out, Proto.ints("perm", Arrays.stream(perm).asLongStream().toArray()));
            long[] before = b.shapes.get(m.name());
            if (before != null && before.length == perm.length) {
              long[] after = new long[perm.length];
              for (int i = 0; i < perm.length; i++) {
                after[i] = before[perm[i]];
              }
              b.shapes.put(out, after);
            }
            env.put(n.name(), new Value(out, false, null, 0, m.side()));
          }
        }
        case "Pad", "PadV2" -> {
          Value x = value(env, b, in.get(0));
          int[] p = b.ints.get(TfjsGraph.nodeName(in.get(1)));
          float c = n.op().equals("PadV2") ? graph.constants().get(TfjsGraph.nodeName(in.get(2))).floats()[0] : 0f;
          env.put(n.name(), new Value(x.name(), false, new int[] {p[4], p[5], p[6], p[7]}, c, x.side()));
        }
        case "LeakyRelu", "Sigmoid" -> {
          Value x = materialize(b, value(env, b, in.get(0)));
          String out = b.fresh(n.name());
          if (n.op().equals("LeakyRelu")) {
            b.node("LeakyRelu", List.of(x.name()), out, Builder.floatAttr("alpha", n.number("alpha").orElse(0.2).floatValue()));
          } else {
            b.node("Sigmoid", List.of(x.name()), out);
          }
          env.put(n.name(), new Value(out, x.nhwc(), null, 0, x.side()));
        }
        case "MaxPool" -> {
          Value x = value(env, b, in.get(0));
          long[] k = n.ints("ksize");
          long[] s = n.ints("strides");
          int[] p = x.pad() == null ? new int[4] : x.pad();
          String out = b.fresh(n.name());
          b.node("MaxPool", List.of(x.name()), out, Proto.ints("kernel_shape", k[1], k[2]),
              Proto.ints("strides", s[1], s[2]), Proto.ints("pads", p[0], p[2], p[1], p[3]));
          env.put(n.name(), new Value(out, true, null, 0, (x.side() + p[0] + p[1] - k[1]) / s[1] + 1));
        }
        case "ConcatV2" -> {
          List<String> parts = new ArrayList<>();
          boolean nhwc = false;
          long side = 0;
          for (int i = 0; i < in.size() - 1; i++) {
            Value v = materialize(b, value(env, b, in.get(i)));
            nhwc = v.nhwc();
            side = v.side();
            parts.add(v.name());
          }
          int axis = b.ints.get(TfjsGraph.nodeName(in.getLast()))[0];
          String out = b.fresh(n.name());
          b.node("Concat", parts, out, Proto.intAttr("axis", physical(axis, nhwc)));
          env.put(n.name(), new Value(out, nhwc, null, 0, side));
        }
        case "ResizeBilinear" -> {
          Value x = materialize(b, value(env, b, in.get(0)));
          int[] target = b.ints.get(TfjsGraph.nodeName(in.get(1)));
          String out = b.fresh(n.name());
          if (x.side() < target[0]) {
            String scales = b.fresh("scales");
            b.initializer(scales, new long[] {4}, new float[] {1, 1, 2, 2});
            // TensorFlow 1's resize samples output i at input i / 2: ONNX's "asymmetric".
            b.node("Resize", List.of(x.name(), "", scales), out, Builder.stringAttr("mode", "linear"),
                Builder.stringAttr("coordinate_transformation_mode", n.flag("half_pixel_centers") ? "half_pixel"
                    : "asymmetric"));
          } else {
            b.node("AveragePool", List.of(x.name()), out, Proto.ints("kernel_shape", 2, 2),
                Proto.ints("strides", 2, 2));
          }
          env.put(n.name(), new Value(out, true, null, 0, target[0]));
        }
        case "SplitV" -> {
          Value x = materialize(b, value(env, b, in.get(0)));
          int[] sizes = b.ints.get(TfjsGraph.nodeName(in.get(1)));
          int axis = b.ints.get(TfjsGraph.nodeName(in.get(2)))[0];
          String split = b.fresh("split");
          b.int64s(split, Arrays.stream(sizes).asLongStream().toArray());
          String o0 = b.fresh(n.name() + "_0");
          String o1 = b.fresh(n.name() + "_1");
          Proto node = new Proto().string(1, x.name()).string(1, split).string(2, o0).string(2, o1)
              .string(3, o0 + "_node").string(4, "Split").message(5, Proto.intAttr("axis", physical(axis, x.nhwc())));
          b.graph.message(1, node);
          env.put(n.name(), new Value(o0, x.nhwc(), null, 0, x.side()));
          env.put(n.name() + ":1", new Value(o1, x.nhwc(), null, 0, x.side()));
        }
        case "Reshape" -> {
          Value x = materialize(b, value(env, b, in.get(0)));
          int[] shape = b.ints.get(TfjsGraph.nodeName(in.get(1)));
          long[] target = Arrays.stream(shape).asLongStream().toArray();
          if (target[0] == 1) {
            target[0] = 0; // ONNX: copy the input's dimension, i.e. the batch
          }
          String s = b.fresh("shape");
          b.int64s(s, target);
          String out = b.fresh(n.name());
          b.node("Reshape", List.of(x.name(), s), out);
          long[] known = target.clone();
          for (int i = 0; i < known.length; i++) {
            if (known[i] == -1 && x.side() > 0) {
              known[i] = x.side() * x.side(); // NanoDet's heads flatten H x W into the -1
            }
          }
          b.shapes.put(out, known);
          env.put(n.name(), new Value(out, false, null, 0, 0));
        }
        default -> throw new IllegalStateException("op " + n.op() + " not exported");
      }
    }
    // Inputs and outputs.
    b.graph.string(2, "detector");
    b.graph.message(11, valueInfo("input", new Object[] {"batch", 3L, (long) size, (long) size}));
    if (yolo != null) {
      yoloHead(b, graph.outputs().stream().map(o -> value(env, b, o).name()).toList(), size, yolo);
    } else {
      for (String o : outputs) {
        Value v = value(env, b, o);
        String out = o.replaceAll("[^A-Za-z0-9_]", "_");
        if (v.nhwc()) {
          b.node("Transpose", List.of(v.name()), out, Proto.ints("perm", 0, 2, 3, 1));
          b.graph.message(12, valueInfo(out, new Object[] {"batch", v.side(), v.side(), "channels"}));
        } else {
          b.node("Identity", List.of(v.name()), out);
          b.graph.message(12, valueInfo(out, new Object[] {"batch", "cells", "values"}));
        }
      }
    }
    Proto opset = new Proto().string(1, "").int64(2, 13);
    Proto model = new Proto().int64(1, 7).string(2, "parley-bench").message(7, b.graph).message(8, opset);
    return model.out.toByteArray();
  }

  private static final int CLASSES = 80;
  private static final int BINS = 11;

  /** Appends the YOLO-layout head over NanoDet's outputs ([batch, cells, 80] scores, [batch, cells, 44] sides). */
  private static void yoloHead(Builder b, List<String> outputs, int size, YoloLayout layout) {
    Map<Long, String> scores = new HashMap<>();
    Map<Long, String> sides = new HashMap<>();
    for (String o : outputs) {
      long[] shape = b.shapes.get(o);
      if (shape == null || shape.length != 3) {
        throw new IllegalStateException("output " + o + " is not a [batch, cells, values] tensor of known shape");
      }
      (shape[2] == CLASSES ? scores : sides).put(shape[1], o);
    }
    String bins = b.fresh("bins");
    float[] ramp = new float[BINS];
    for (int i = 0; i < BINS; i++) {
      ramp[i] = i;
    }
    b.initializer(bins, new long[] {BINS, 1}, ramp);
    // [l, t, r, b] x this = [(r - l) / 2, (b - t) / 2, l + r, t + b]: the centre's offset and the size.
    String toCentre = b.fresh("to_centre");
    b.initializer(toCentre, new long[] {4, 4}, new float[] {
        -0.5f, 0, 1, 0,
        0, -0.5f, 0, 1,
        0.5f, 0, 1, 0,
        0, 0.5f, 0, 1});
    List<String> levels = new ArrayList<>();
    for (int stride : new int[] {8, 16, 32}) {
      int grid = size / stride;
      long cells = (long) grid * grid;
      String score = scores.get(cells);
      String side = sides.get(cells);
      if (score == null || side == null) {
        throw new IllegalStateException("no outputs for the " + grid + "x" + grid + " grid");
      }
      String shape4 = b.fresh("shape");
      b.int64s(shape4, 0, cells, 4, BINS);
      String dist = b.fresh("dist");
      b.node("Reshape", List.of(side, shape4), dist);
      String soft = b.fresh("softmax");
      b.node("Softmax", List.of(dist), soft, Proto.intAttr("axis", -1));
      String expect = b.fresh("expectation");
      b.node("MatMul", List.of(soft, bins), expect); // [batch, cells, 4, 1]
      String shape3 = b.fresh("shape");
      b.int64s(shape3, 0, cells, 4);
      String ltrb = b.fresh("ltrb");
      b.node("Reshape", List.of(expect, shape3), ltrb);
      String strideConst = b.fresh("stride");
      b.initializer(strideConst, new long[] {1}, new float[] {stride});
      String pixels = b.fresh("sides_px");
      b.node("Mul", List.of(ltrb, strideConst), pixels);
      String offsets = b.fresh("offsets");
      b.node("MatMul", List.of(pixels, toCentre), offsets);
      float[] centres = new float[(int) cells * 4];
      for (int i = 0; i < cells; i++) {
        centres[i * 4] = (i % grid + 0.5f) * stride;
        centres[i * 4 + 1] = (i / grid + 0.5f) * stride;
      }
      String centreConst = b.fresh("centres");
      b.initializer(centreConst, new long[] {cells, 4}, centres);
      String xywh = b.fresh("xywh");
      b.node("Add", List.of(offsets, centreConst), xywh);
      List<String> parts = new ArrayList<>(List.of(xywh));
      if (layout == YoloLayout.V5) {
        // Objectness 1 everywhere (max score x 0 + 1 keeps the batch dimension symbolic).
        String max = b.fresh("max");
        b.node("ReduceMax", List.of(score), max, Proto.ints("axes", 2), Proto.intAttr("keepdims", 1));
        String zero = b.fresh("zero");
        b.initializer(zero, new long[] {1}, new float[] {0});
        String one = b.fresh("one");
        b.initializer(one, new long[] {1}, new float[] {1});
        String zeros = b.fresh("zeros");
        b.node("Mul", List.of(max, zero), zeros);
        String objectness = b.fresh("objectness");
        b.node("Add", List.of(zeros, one), objectness);
        parts.add(objectness);
      }
      parts.add(score);
      String level = b.fresh("level");
      b.node("Concat", parts, level, Proto.intAttr("axis", 2));
      levels.add(level);
    }
    int width = 4 + (layout == YoloLayout.V5 ? 1 : 0) + CLASSES;
    if (layout == YoloLayout.V8) {
      String all = b.fresh("all");
      b.node("Concat", levels, all, Proto.intAttr("axis", 1));
      b.node("Transpose", List.of(all), "output0", Proto.ints("perm", 0, 2, 1));
      b.graph.message(12, valueInfo("output0", new Object[] {"batch", (long) width, "cells"}));
    } else {
      b.node("Concat", levels, "output0", Proto.intAttr("axis", 1));
      b.graph.message(12, valueInfo("output0", new Object[] {"batch", "cells", (long) width}));
    }
  }

  /**
   * An elementwise Add or Mul of two values or a value and a constant (broadcast as NCHW: a scalar,
   * or a logically NHWC [n, 1, 1, c] against [n, h, w, c]).
   */
  private static void binary(Builder b, Map<String, Value> env, Node n, String op) {
    Value x = materialize(b, value(env, b, n.inputs().get(0)));
    Value y = materialize(b, value(env, b, n.inputs().get(1)));
    Value data = env.containsKey(TfjsGraph.nodeName(n.inputs().get(0))) ? x : y;
    String out = b.fresh(n.name());
    b.node(op, List.of(x.name(), y.name()), out);
    env.put(n.name(), new Value(out, data.nhwc(), null, 0, Math.max(x.side(), y.side())));
  }

  /**
   * A convolution (Conv2D, depthwise, their fused forms with a bias and an activation): filters
   * from HWIO (depthwise: H, W, C, multiplier) to OIHW, SAME padded as TensorFlow does (ONNX takes
   * the uneven pads as they are), a pending pad before a VALID one as its pads.
   */
  private static void conv(TfjsGraph graph, Builder b, Map<String, Value> env, Node n) {
    List<String> in = n.inputs();
    Value x = value(env, b, in.get(0));
    Tensor f = graph.constants().get(TfjsGraph.nodeName(in.get(1)));
    boolean depthwise = n.op().contains("Depthwise");
    long[] s = f.shape();
    int h = (int) s[0];
    int w = (int) s[1];
    int ci = depthwise ? 1 : (int) s[2];
    int co = depthwise ? (int) (s[2] * s[3]) : (int) s[3];
    float[] oihw = new float[f.floats().length];
    for (int y = 0; y < h; y++) {
      for (int xx = 0; xx < w; xx++) {
        for (int i = 0; i < ci; i++) {
          for (int o = 0; o < co; o++) {
            oihw[((o * ci + i) * h + y) * w + xx] = f.floats()[((y * w + xx) * ci + i) * co + o];
          }
        }
      }
    }
    String wName = b.fresh(in.get(1));
    b.initializer(wName, new long[] {co, ci, h, w}, oihw);
    long stride = n.ints("strides")[1];
    int[] p = x.pad() == null ? new int[4] : x.pad(); // top, bottom, left, right
    long side = x.side() + p[0] + p[1];
    if (n.string("padding").orElse("VALID").equals("SAME")) {
      long outSide = (x.side() + stride - 1) / stride;
      long total = Math.max(0, (outSide - 1) * stride + h - x.side());
      p = new int[] {(int) (total / 2), (int) (total - total / 2), (int) (total / 2), (int) (total - total / 2)};
      side = x.side() + total;
    }
    List<String> inputs = new ArrayList<>(List.of(x.name(), wName));
    boolean fused = n.op().startsWith("_Fused") || n.op().startsWith("Fused");
    if (fused) {
      inputs.add(b.constant(TfjsGraph.nodeName(in.get(2))));
    }
    String out = b.fresh(n.name());
    b.node("Conv", inputs, out, Proto.ints("kernel_shape", h, w), Proto.ints("strides", stride, stride),
        Proto.ints("pads", p[0], p[2], p[1], p[3]), Proto.intAttr("group", depthwise ? s[2] : 1));
    List<String> ops = n.strings("fused_ops");
    if (fused && ops.size() == 2) {
      out = activation(b, ops.get(1), n.number("leakyrelu_alpha").orElse(0.2), out, n.name());
    }
    env.put(n.name(), new Value(out, true, null, 0, (side - h) / stride + 1));
  }

  /** ReLU, ReLU6 (Clip to 0..6) or LeakyReLU of {@code x}; the new value's name. */
  private static String activation(Builder b, String op, double alpha, String x, String name) {
    String out = b.fresh(name + "_" + op);
    switch (op) {
      case "Relu" -> b.node("Relu", List.of(x), out);
      case "Relu6" -> {
        String lo = b.fresh("zero");
        String hi = b.fresh("six");
        b.initializer(lo, new long[] {}, new float[] {0});
        b.initializer(hi, new long[] {}, new float[] {6});
        b.node("Clip", List.of(x, lo, hi), out);
      }
      case "LeakyRelu" -> b.node("LeakyRelu", List.of(x), out, Builder.floatAttr("alpha", (float) alpha));
      default -> throw new IllegalStateException("activation " + op + " not exported");
    }
    return out;
  }

  /** A float tensor's value info: {@code dims} are sizes (Long) or symbolic names (String). */
  public static Proto valueInfo(String name, Object[] dims) {
    Proto shape = new Proto();
    for (Object d : dims) {
      Proto dim = new Proto();
      if (d instanceof Long l) {
        dim.int64(1, l);
      } else {
        dim.string(2, (String) d);
      }
      shape.message(1, dim);
    }
    Proto tensor = new Proto().int64(1, FLOAT).message(2, shape);
    Proto type = new Proto().message(1, tensor);
    return new Proto().string(1, name).message(2, type);
  }

  private static int physical(int axis, boolean nhwc) {
    if (!nhwc) {
      return axis;
    }
    return switch (axis) {
      case 0 -> 0;
      case 1 -> 2;
      case 2 -> 3;
      default -> 1;
    };
  }

  private static Value value(Map<String, Value> env, Builder b, String input) {
    Value v = env.get(TfjsGraph.outputIndex(input) > 0 ? input : TfjsGraph.nodeName(input));
    if (v == null) {
      String name = TfjsGraph.nodeName(input);
      if (b.consts.containsKey(name)) {
        return new Value(b.constant(name), false, null, 0, 0);
      }
      throw new IllegalStateException("no value for " + input);
    }
    return v;
  }

  private static Value materialize(Builder b, Value v) {
    if (v.pad() == null) {
      return v;
    }
    throw new IllegalStateException("a pending pad before an op that does not take it");
  }

  private static int[] sparseToDense(Builder b, Node n) {
    int[] shape = b.ints.get(TfjsGraph.nodeName(n.inputs().get(1)));
    int[] dflt = b.ints.get(TfjsGraph.nodeName(n.inputs().get(3)));
    int size = 1;
    for (int d : shape) {
      size *= d;
    }
    int[] out = new int[size];
    Arrays.fill(out, dflt.length == 0 ? 0 : dflt[0]);
    return out;
  }

  private static void visit(TfjsGraph g, String name, List<Node> order, Set<String> done) {
    String n = TfjsGraph.nodeName(name);
    if (!done.add(n)) {
      return;
    }
    Node node = g.nodes().get(n);
    for (String in : node.inputs()) {
      visit(g, in, order, done);
    }
    order.add(node);
  }
}
