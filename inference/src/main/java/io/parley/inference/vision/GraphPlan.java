package io.parley.inference.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.vision.TfjsGraph.Node;
import io.parley.inference.vision.TfjsGraph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link GraphExecutor} runs of a {@link TfjsGraph}, worked out once per model: the ops that
 * the chosen outputs need, in topological order; integer sub-graphs folded to constants (shapes,
 * axes, paddings, sizes); a bias added right after a convolution folded into it; every float
 * constant an op reads as an NDArray of the model's manager, filters turned from TensorFlow's HWIO
 * (depthwise: H, W, C, multiplier) into PyTorch's OIHW over channels-last memory; and the layout the
 * input holds. An op outside {@link #SUPPORTED} is refused here, when the model is loaded.
 */
final class GraphPlan implements AutoCloseable {

  /** One op left to run, with the names of its inputs. */
  record Step(Node node, List<String> inputs) {}

  static final Set<String> SUPPORTED = Set.of("Placeholder", "Const", "Identity", "Transpose", "Pad", "PadV2",
      "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative", "Add", "AddV2", "Mul",
      "LeakyRelu", "Relu", "Relu6", "Sigmoid", "MaxPool", "Mean", "ConcatV2", "ResizeBilinear", "SplitV", "Reshape",
      "SparseToDense");
  /** What a fused convolution may apply after its bias. */
  static final Set<String> FUSED_ACTIVATIONS = Set.of("Relu", "Relu6", "LeakyRelu");
  /** The convolutions: their filter is their second input. */
  static final Set<String> CONVOLUTIONS = Set.of("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative",
      "FusedDepthwiseConv2dNative");

  final List<Step> steps = new ArrayList<>();
  /** Folded int constants (perms, axes, shapes, paddings, sizes). */
  final Map<String, int[]> ints = new HashMap<>();
  /** Float constants as NDArrays in the model's manager (filters OIHW, the rest as shaped). */
  final Map<String, NDArray> floats = new HashMap<>();
  /** Conv2D node -> the bias constant folded into it. */
  final Map<String, String> fusedBias = new HashMap<>();
  /** The placeholder. */
  final String input;
  /**
   * Whether the placeholder is an NHWC image ({@link TfjsGraph#nhwcInput}; else NCHW). Either way the
   * data arrives NCHW; this is how the graph reads it.
   */
  final boolean inputNhwc;
  /** The outputs to compute, in order. */
  final List<String> outputs;

  private final TfjsGraph graph;
  private final NDManager manager;

  /**
   * Plans the ops that {@code outputs} (node names; empty: the graph's signature outputs) need; the
   * constants go into {@code manager}.
   */
  GraphPlan(TfjsGraph graph, List<String> outputs, NDManager manager) {
    this.graph = graph;
    this.manager = manager;
    if (graph.inputs().size() != 1) {
      throw unsupported("the graph must have one input, it has " + graph.inputs().size());
    }
    this.input = graph.inputs().getFirst();
    this.inputNhwc = graph.nhwcInput();
    this.outputs = outputs.isEmpty() ? graph.outputs() : List.copyOf(outputs);
    for (String o : this.outputs) {
      if (!graph.nodes().containsKey(TfjsGraph.nodeName(o))) {
        throw unsupported("no node " + o + " to output");
      }
    }
    for (Map.Entry<String, Tensor> c : graph.constants().entrySet()) {
      if (c.getValue().isInt()) {
        ints.put(c.getKey(), c.getValue().ints());
      }
    }
    order();
    foldBiases();
    foldHardSwish();
    constants();
  }

  static ParleyException unsupported(String why) {
    return new ParleyException(Reason.UNAVAILABLE, "vision model not supported: " + why);
  }

  /** Topological order from the outputs back; folds int-constant ops. */
  private void order() {
    List<Node> order = new ArrayList<>();
    Set<String> done = new HashSet<>();
    Set<String> visiting = new HashSet<>();
    for (String out : outputs) {
      visit(out, order, done, visiting);
    }
    for (Node n : order) {
      if (!SUPPORTED.contains(n.op())) {
        throw unsupported("op " + n.op() + " (node " + n.name() + ")");
      }
      switch (n.op()) {
        case "Const", "Placeholder" -> { }
        case "SparseToDense" -> ints.put(n.name(), sparseToDense(n));
        case "AddV2", "Add" -> {
          if (isInt(n.inputs().get(0)) && isInt(n.inputs().get(1))) {
            ints.put(n.name(), addInts(ints(n.inputs().get(0)), ints(n.inputs().get(1))));
          } else {
            steps.add(new Step(n, n.inputs()));
          }
        }
        default -> steps.add(new Step(n, n.inputs()));
      }
      if (n.op().equals("ResizeBilinear") && n.flag("align_corners")) {
        throw unsupported("ResizeBilinear with align_corners (node " + n.name() + ")");
      }
      if (n.op().startsWith("Fused") || n.op().startsWith("_Fused")) {
        List<String> fused = n.strings("fused_ops");
        if (n.inputs().size() != 3 || !(fused.equals(List.of("BiasAdd"))
            || fused.size() == 2 && fused.getFirst().equals("BiasAdd") && FUSED_ACTIVATIONS.contains(fused.get(1)))) {
          throw unsupported(n.op() + " " + n.name() + " fusing " + fused + " over " + n.inputs().size() + " inputs");
        }
      }
    }
  }

  private void visit(String name, List<Node> order, Set<String> done, Set<String> visiting) {
    String n = TfjsGraph.nodeName(name);
    if (done.contains(n)) {
      return;
    }
    if (!visiting.add(n)) {
      throw unsupported("the graph has a cycle at " + n);
    }
    Node node = graph.nodes().get(n);
    for (String in : node.inputs()) {
      visit(in, order, done, visiting);
    }
    visiting.remove(n);
    done.add(n);
    order.add(node);
  }

  /** How many steps (and outputs) read each node. */
  private Map<String, Integer> readers() {
    Map<String, Integer> readers = new HashMap<>();
    for (Step st : steps) {
      for (String in : st.inputs()) {
        readers.merge(TfjsGraph.nodeName(in), 1, Integer::sum);
      }
    }
    for (String out : outputs) {
      readers.merge(TfjsGraph.nodeName(out), 1, Integer::sum);
    }
    return readers;
  }

  /** A Conv2D whose only reader adds a per-channel constant takes that bias itself (one op, not two). */
  private void foldBiases() {
    Map<String, Integer> readers = readers();
    Map<String, Node> byName = new HashMap<>();
    steps.forEach(st -> byName.put(st.node().name(), st.node()));
    for (int i = 0; i < steps.size(); i++) {
      Step st = steps.get(i);
      if (!st.node().op().equals("Add") && !st.node().op().equals("AddV2")) {
        continue;
      }
      String a = TfjsGraph.nodeName(st.inputs().get(0));
      String b = TfjsGraph.nodeName(st.inputs().get(1));
      Node conv = byName.get(a);
      Tensor bias = graph.constants().get(b);
      if (conv != null && conv.op().equals("Conv2D") && readers.getOrDefault(a, 0) == 1 && bias != null
          && !bias.isInt() && bias.shape().length == 1) {
        fusedBias.put(a, b);
        steps.set(i, new Step(new Node(st.node().name(), "Identity", List.of(a), st.node().attrs()), List.of(a)));
      }
    }
  }

  /**
   * A hard-swish the converter spelled out in four ops, {@code (c * x) * relu6(x + 3)} with c the
   * half-precision 1/6, becomes one step {@code HardSwish} of x (attribute {@code scale} = c), when
   * nothing else reads its intermediate values: one op to fuse into the convolution before it
   * (the MobileNetV3 backbone has 28 of them).
   */
  private void foldHardSwish() {
    Map<String, Integer> readers = readers();
    Map<String, Step> byName = new HashMap<>();
    steps.forEach(st -> byName.put(st.node().name(), st));
    Set<String> folded = new HashSet<>();
    for (int i = 0; i < steps.size(); i++) {
      Step product = steps.get(i);
      if (!product.node().op().equals("Mul")) {
        continue;
      }
      for (int k = 0; k < 2; k++) {
        Step scaled = byName.get(TfjsGraph.nodeName(product.inputs().get(k)));
        Step relu6 = byName.get(TfjsGraph.nodeName(product.inputs().get(1 - k)));
        if (scaled == null || relu6 == null || !scaled.node().op().equals("Mul")
            || !relu6.node().op().equals("Relu6")) {
          continue;
        }
        Step shifted = byName.get(TfjsGraph.nodeName(relu6.inputs().getFirst()));
        if (shifted == null || !shifted.node().op().equals("Add")) {
          continue;
        }
        String x = operand(shifted, 3f);
        Float c = scalar(scaled.inputs(), x);
        if (x == null || c == null || !(readers.get(scaled.node().name()) == 1 && readers.get(relu6.node().name()) == 1
            && readers.get(shifted.node().name()) == 1)) {
          continue;
        }
        io.vertx.core.json.JsonObject attrs = new io.vertx.core.json.JsonObject()
            .put("scale", new io.vertx.core.json.JsonObject().put("f", c));
        steps.set(i, new Step(new Node(product.node().name(), "HardSwish", List.of(x), attrs), List.of(x)));
        folded.addAll(List.of(scaled.node().name(), relu6.node().name(), shifted.node().name()));
        break;
      }
    }
    steps.removeIf(st -> folded.contains(st.node().name()));
  }

  /** Of a two-input step, the input beside the scalar float constant {@code value}; null if there is none. */
  private String operand(Step st, float value) {
    for (int k = 0; k < 2; k++) {
      Float v = scalarConstant(st.inputs().get(k));
      if (v != null && v == value) {
        return st.inputs().get(1 - k);
      }
    }
    return null;
  }

  /** The scalar float constant among {@code inputs} when the other input is {@code x}; else null. */
  private Float scalar(List<String> inputs, String x) {
    for (int k = 0; k < 2; k++) {
      Float v = scalarConstant(inputs.get(k));
      if (v != null && inputs.get(1 - k).equals(x)) {
        return v;
      }
    }
    return null;
  }

  private Float scalarConstant(String input) {
    Tensor t = graph.constants().get(TfjsGraph.nodeName(input));
    return t == null || t.isInt() || t.size() != 1 ? null : t.floats()[0];
  }

  /** The float constants the steps read: convolution filters as OIHW over OHWI memory, the rest as shaped. */
  private void constants() {
    for (Step s : steps) {
      if (CONVOLUTIONS.contains(s.node().op())) {
        String f = TfjsGraph.nodeName(s.inputs().get(1));
        Tensor t = graph.constants().get(f);
        if (t == null || t.isInt() || t.shape().length != 4) {
          throw unsupported(s.node().op() + " " + s.node().name() + " needs a constant 4-d filter");
        }
        boolean depthwise = s.node().op().contains("Depthwise");
        floats.computeIfAbsent(f, k -> channelsLastFilter(t, depthwise));
      }
    }
    for (String bias : fusedBias.values()) {
      constant(bias);
    }
    for (Step s : steps) {
      for (String in : s.inputs()) {
        String name = TfjsGraph.nodeName(in);
        Tensor t = graph.constants().get(name);
        if (t != null && !t.isInt()) {
          constant(name);
        }
      }
    }
  }

  private void constant(String name) {
    Tensor t = graph.constants().get(name);
    floats.computeIfAbsent(name, k -> manager.create(t.floats(), new Shape(t.shape())));
  }

  /**
   * A TensorFlow filter as PyTorch's OIHW shape over OHWI memory (channels-last, like the data): HWIO,
   * or for a depthwise convolution H, W, C, multiplier (output channel c x multiplier + m, which is
   * HWIO with one input channel per group). A plain transpose view would be copied into a usable
   * layout by every convolution call (~20% of a pass); laid out once here, the convolutions read it
   * in place.
   */
  private NDArray channelsLastFilter(Tensor t, boolean depthwise) {
    long[] s = t.shape();
    long[] hwio = depthwise ? new long[] {s[0], s[1], 1, s[2] * s[3]} : s;
    try (NDArray raw = manager.create(t.floats(), new Shape(hwio));
         NDArray view = raw.transpose(3, 0, 1, 2);
         NDArray copy = view.flatten(); // the copy into OHWI order
         NDArray ohwi = copy.reshape(hwio[3], hwio[0], hwio[1], hwio[2])) {
      return ohwi.transpose(0, 3, 1, 2); // shares the copy's storage, which outlives the handles above
    }
  }

  boolean isInt(String input) {
    return ints.containsKey(TfjsGraph.nodeName(input));
  }

  /** The folded integer constant at {@code input}. */
  int[] ints(String input) {
    int[] v = ints.get(TfjsGraph.nodeName(input));
    if (v == null) {
      throw unsupported("expected an integer constant at " + input);
    }
    return v;
  }

  private static int[] addInts(int[] a, int[] b) {
    int n = Math.max(a.length, b.length);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = a[a.length == 1 ? 0 : i] + b[b.length == 1 ? 0 : i];
    }
    return out;
  }

  /** SparseToDense on constants: indices [n] or [n, rank], output shape, values (scalar or [n]), default. */
  private int[] sparseToDense(Node n) {
    List<String> in = n.inputs();
    Tensor indices = graph.constants().get(TfjsGraph.nodeName(in.get(0)));
    int[] shape = ints(in.get(1));
    int[] values = ints(in.get(2));
    int[] dflt = ints(in.get(3));
    int size = 1;
    for (int d : shape) {
      size *= d;
    }
    int[] out = new int[size];
    Arrays.fill(out, dflt.length == 0 ? 0 : dflt[0]);
    long count = indices == null ? 0 : indices.shape().length == 0 ? 1 : indices.shape()[0];
    if (count > 0) {
      if (shape.length != 1 || indices.ints() == null) {
        throw unsupported("SparseToDense beyond one dimension (node " + n.name() + ")");
      }
      for (int i = 0; i < count; i++) {
        out[indices.ints()[i]] = values.length == 1 ? values[0] : values[i];
      }
    }
    return out;
  }

  @Override
  public void close() {
    floats.values().forEach(NDArray::close);
    floats.clear();
  }
}
