package io.parley.inference.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
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
 * Runs a {@link TfjsGraph} on DJL NDArray operations (the PyTorch engine here). Built once per
 * model: the graph is put in topological order, constant sub-graphs are folded, filters are turned
 * from TensorFlow's HWIO into OIHW (over channels-last memory) and kept as NDArrays. {@link #run} is then a walk over the
 * remaining steps.
 *
 * <p><b>Layouts.</b> The converted graph keeps NCHW tensors but wraps every Conv2D, MaxPool and
 * ResizeBilinear in transposes to NHWC and back (a TensorFlow CPU kernel restriction). Moving the
 * data twice per layer would cost more than the layer, so data stays NCHW and each value carries a
 * flag: "logically NHWC". The transposes [0,2,3,1] and [0,3,1,2] only flip the flag; the NHWC ops
 * read NCHW data with their NHWC attributes mapped; axes of Concat/Split are mapped the same way.
 *
 * <p><b>Padding.</b> Explicit Pad/PadV2 in front of a VALID convolution or pooling is carried as a
 * pending pad and becomes the op's own padding (a -inf PadV2 before MaxPool is exactly PyTorch's
 * max-pool padding). A pending pad that meets any other op is materialised.
 *
 * <p><b>Resize.</b> ResizeBilinear with half-pixel centres is computed exactly for the two ratios
 * NanoDet uses: 2x up (PyTorch's bilinear upsampling, which samples at the same half-pixel centres
 * and clamps at the edges as TensorFlow does) and 2x down (which samples between two inputs: their
 * mean, a 2x2 average pool). Other ratios are refused when the graph is built, not at run time.
 *
 * <p><b>Memory.</b> Each run owns a sub-manager; every result is attached to it (a DJL result lands
 * in its first operand's manager, which for constants would be the model's), and the outputs are
 * copied out before it closes. Batches of any size: reshape targets have their leading 1 replaced
 * by the batch size.
 */
public final class GraphExecutor implements GraphRunner {

  /**
   * A value during a run: data (NCHW for 4-D), whether it is logically NHWC, a pending pad, and
   * while tracing the TorchScript variable that holds it.
   */
  private record Value(NDArray array, boolean nhwc, int[] pad, float padValue, String var) {
    Value(NDArray array, boolean nhwc, String var) {
      this(array, nhwc, null, 0f, var);
    }
  }

  /** One remaining op. */
  private record Step(Node node, List<String> inputs) {}

  private static final Set<String> SUPPORTED = Set.of("Placeholder", "Const", "Identity", "Transpose", "Pad", "PadV2",
      "Conv2D", "Add", "AddV2", "LeakyRelu", "Sigmoid", "MaxPool", "ConcatV2", "ResizeBilinear", "SplitV", "Reshape",
      "SparseToDense");

  private final NDManager manager;
  private final TfjsGraph graph;
  private final List<Step> steps = new ArrayList<>();
  /** Folded int constants (perms, axes, shapes, paddings, sizes). */
  private final Map<String, int[]> ints = new HashMap<>();
  /** Float constants as NDArrays in the model's manager (filters OIHW, biases [1,C,1,1] or as is). */
  private final Map<String, NDArray> floats = new HashMap<>();
  private final Map<String, float[]> rawFloats = new HashMap<>();
  /** Conv2D node -> the bias constant folded into it. */
  private final Map<String, String> fusedBias = new HashMap<>();
  private final String input;
  /** Set while {@link #trace} runs: every op also writes its TorchScript statement here. */
  private GraphScript script;

  public GraphExecutor(TfjsGraph graph, NDManager manager) {
    this.graph = graph;
    this.manager = manager;
    if (graph.inputs().size() != 1) {
      throw unsupported("the graph must have one input, it has " + graph.inputs().size());
    }
    this.input = graph.inputs().getFirst();
    for (Map.Entry<String, Tensor> c : graph.constants().entrySet()) {
      if (c.getValue().isInt()) {
        ints.put(c.getKey(), c.getValue().ints());
      } else {
        rawFloats.put(c.getKey(), c.getValue().floats());
      }
    }
    plan();
  }

  private static ParleyException unsupported(String why) {
    return new ParleyException(Reason.UNAVAILABLE, "vision model not supported: " + why);
  }

  /** Topological order from the outputs back; folds int-constant ops; converts float constants. */
  private void plan() {
    List<Node> order = new ArrayList<>();
    Set<String> done = new HashSet<>();
    Set<String> visiting = new HashSet<>();
    for (String out : graph.outputs()) {
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
            ints.put(n.name(), addInts(intsOf(n.inputs().get(0)), intsOf(n.inputs().get(1))));
          } else {
            steps.add(new Step(n, n.inputs()));
          }
        }
        default -> steps.add(new Step(n, n.inputs()));
      }
    }
    // A Conv2D whose only reader adds a per-channel constant takes that bias itself (one op, not two).
    Map<String, Integer> readers = new HashMap<>();
    for (Step st : steps) {
      for (String in : st.inputs()) {
        readers.merge(TfjsGraph.nodeName(in), 1, Integer::sum);
      }
    }
    for (String out : graph.outputs()) {
      readers.merge(TfjsGraph.nodeName(out), 1, Integer::sum);
    }
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
    // Float constants used by steps: filters of Conv2D become OIHW; the rest stay as shaped.
    for (Step s : steps) {
      if (s.node().op().equals("Conv2D")) {
        String f = TfjsGraph.nodeName(s.inputs().get(1));
        Tensor t = graph.constants().get(f);
        if (t == null || t.isInt() || t.shape().length != 4) {
          throw unsupported("Conv2D " + s.node().name() + " needs a constant HWIO filter");
        }
        floats.computeIfAbsent(f, k -> channelsLastFilter(t));
      }
      if (s.node().op().equals("ResizeBilinear") && !s.node().flag("half_pixel_centers")) {
        throw unsupported("ResizeBilinear without half_pixel_centers (node " + s.node().name() + ")");
      }
    }
    for (String bias : fusedBias.values()) {
      Tensor t = graph.constants().get(bias);
      floats.computeIfAbsent(bias, k -> manager.create(t.floats(), new Shape(t.shape())));
    }
    for (Step s : steps) {
      for (String in : s.inputs()) {
        String name = TfjsGraph.nodeName(in);
        if (rawFloats.containsKey(name) && !floats.containsKey(name)) {
          Tensor t = graph.constants().get(name);
          floats.put(name, manager.create(t.floats(), new Shape(t.shape())));
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

  private boolean isInt(String input) {
    return ints.containsKey(TfjsGraph.nodeName(input));
  }

  private int[] intsOf(String input) {
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
    int[] shape = intsOf(in.get(1));
    int[] values = intsOf(in.get(2));
    int[] dflt = intsOf(in.get(3));
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

  /**
   * A TensorFlow HWIO filter as PyTorch's OIHW shape over OHWI memory (channels-last, like the data).
   * A plain transpose view of the HWIO array would be copied into a usable layout by every
   * convolution call (~20% of a pass); laid out once here, the convolutions read it in place.
   */
  private NDArray channelsLastFilter(Tensor t) {
    long[] hwio = t.shape();
    try (NDArray raw = manager.create(t.floats(), new Shape(hwio));
         NDArray view = raw.transpose(3, 0, 1, 2);
         NDArray copy = view.flatten(); // the copy into OHWI order
         NDArray ohwi = copy.reshape(hwio[3], hwio[0], hwio[1], hwio[2])) {
      return ohwi.transpose(0, 3, 1, 2); // shares the copy's storage, which outlives the handles above
    }
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public NDList forward(NDArray x) {
    NDManager target = x.getManager();
    try (NDManager run = manager.newSubManager()) {
      NDList results = new NDList();
      for (NDArray output : outputs(x, run)) {
        // Computed in this pass (moved out before the pass's arrays are freed), or a value the
        // graph only passes through (copied, the original stays where it was).
        NDArray kept = output.getManager() == run ? output : output.duplicate();
        kept.attach(target);
        results.add(kept);
      }
      return results;
    }
  }

  /** Every step on {@code x}; the signature's outputs, in order, most of them owned by {@code run}. */
  private List<NDArray> outputs(NDArray x, NDManager run) {
    Map<String, Value> env = new HashMap<>();
    env.put(input, new Value(x, false, script == null ? null : GraphScript.INPUT));
    long batch = x.getShape().get(0);
    for (Step s : steps) {
      Value out = step(s, env, run, batch);
      if (out != null) {
        env.put(s.node().name(), out);
      }
    }
    List<NDArray> results = new ArrayList<>();
    for (String o : graph.outputs()) {
      Value v = materialize(value(o, env), run);
      if (script != null) {
        script.output(v.var());
      }
      results.add(v.array());
    }
    return results;
  }

  /**
   * {@code images} (NHWC values) as an NCHW array over them, owned by {@code run}: one copy into
   * native memory and a view.
   */
  static NDArray nhwcInput(float[] images, Shape shape, NDManager run) {
    if (shape.dimension() != 4) {
      throw new IllegalArgumentException("a channels-last input is 4-d, not " + shape);
    }
    // The first shape.size() values: callers may pass a reused buffer larger than this batch.
    NDArray nhwc = run.create(java.nio.FloatBuffer.wrap(images, 0, Math.toIntExact(shape.size())),
        new Shape(shape.get(0), shape.get(2), shape.get(3), shape.get(1)));
    return own(nhwc.transpose(0, 3, 1, 2), run);
  }

  /**
   * {@code images} (NCHW values) as an NCHW array over channels-last memory, owned by {@code run}
   * (the transpose-flatten-reshape-transpose copies them into that layout).
   */
  static NDArray channelsLast(float[] images, Shape shape, NDManager run) {
    // The first shape.size() values: callers may pass a reused buffer larger than this batch.
    NDArray nchw = run.create(java.nio.FloatBuffer.wrap(images, 0, Math.toIntExact(shape.size())), shape);
    return shape.dimension() == 4
        ? own(own(own(own(nchw.transpose(0, 2, 3, 1), run).flatten(), run)
            .reshape(shape.get(0), shape.get(2), shape.get(3), shape.get(1)), run).transpose(0, 3, 1, 2), run)
        : nchw;
  }

  /** An input of a step: a value computed in this run, or a float constant. */
  private Value value(String input, Map<String, Value> env) {
    Value v = env.get(input.contains(":") && TfjsGraph.outputIndex(input) > 0 ? input : TfjsGraph.nodeName(input));
    if (v == null) {
      String name = TfjsGraph.nodeName(input);
      NDArray c = floats.get(name);
      if (c != null) {
        return new Value(c, false, script == null ? null : script.param(c));
      }
      throw unsupported("no value for " + input);
    }
    return v;
  }

  /** While tracing, a statement computing {@code text} from the values' variables; else null. */
  private String emit(java.util.function.Supplier<String> text, Value... inputs) {
    if (script == null) {
      return null;
    }
    String[] vars = new String[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      vars[i] = inputs[i].var();
    }
    return script.let(text.get(), vars);
  }

  /**
   * Runs one pass on {@code images} and writes it down as TorchScript ({@link CompiledGraph}
   * compiles it); the pass's outputs are returned beside it, to check the program against.
   */
  synchronized GraphScript trace(float[] images, Shape shape, List<float[]> outputs) {
    script = new GraphScript();
    try {
      outputs.addAll(run(images, shape));
      return script;
    } finally {
      script = null;
    }
  }

  private static NDArray own(NDArray a, NDManager run) {
    a.attach(run);
    return a;
  }

  private Value materialize(Value v, NDManager run) {
    if (v.pad() == null) {
      return v;
    }
    int[] p = v.pad(); // top, bottom, left, right on H and W (physical axes 2, 3)
    NDArray padded = own(v.array().pad(new Shape(p[2], p[3], p[0], p[1]), v.padValue()), run);
    return new Value(padded, v.nhwc(), emit(() -> "torch.constant_pad_nd(" + v.var() + ", "
        + GraphScript.list(new int[] {p[2], p[3], p[0], p[1]}) + ", " + GraphScript.number(v.padValue()) + ")", v));
  }

  private Value step(Step s, Map<String, Value> env, NDManager run, long batch) {
    Node n = s.node();
    List<String> in = s.inputs();
    return switch (n.op()) {
      case "Identity" -> value(in.get(0), env);
      case "Transpose" -> transpose(value(in.get(0), env), intsOf(in.get(1)), run);
      case "Pad", "PadV2" -> pad(n, value(in.get(0), env), in, run);
      case "Conv2D" -> conv(n, value(in.get(0), env), TfjsGraph.nodeName(in.get(1)), run);
      case "Add", "AddV2" -> add(value(in.get(0), env), value(in.get(1), env), run);
      case "LeakyRelu" -> {
        Value x = materialize(value(in.get(0), env), run);
        float alpha = n.number("alpha").orElse(0.2).floatValue();
        yield new Value(own(Activation.leakyRelu(x.array(), alpha), run), x.nhwc(),
            script == null ? null : script.leakyRelu(x.var(), alpha));
      }
      case "Sigmoid" -> {
        Value x = materialize(value(in.get(0), env), run);
        yield new Value(own(Activation.sigmoid(x.array()), run), x.nhwc(), emit(() -> "torch.sigmoid(" + x.var() + ")", x));
      }
      case "MaxPool" -> maxPool(n, value(in.get(0), env), run);
      case "ConcatV2" -> concat(in, env, run);
      case "ResizeBilinear" -> resize(n, materialize(value(in.get(0), env), run), intsOf(in.get(1)), run);
      case "SplitV" -> {
        split(n, materialize(value(in.get(0), env), run), intsOf(in.get(1)), intsOf(in.get(2)), env, run);
        yield null;
      }
      case "Reshape" -> reshape(materialize(value(in.get(0), env), run), intsOf(in.get(1)), batch, run);
      default -> throw unsupported("op " + n.op());
    };
  }

  private static final int[] TO_NHWC = {0, 2, 3, 1};
  private static final int[] TO_NCHW = {0, 3, 1, 2};

  private Value transpose(Value x, int[] perm, NDManager run) {
    long rank = x.array().getShape().dimension();
    if (rank == 4 && Arrays.equals(perm, TO_NHWC) && !x.nhwc()) {
      return new Value(x.array(), true, x.pad(), x.padValue(), x.var());
    }
    if (rank == 4 && Arrays.equals(perm, TO_NCHW) && x.nhwc()) {
      return new Value(x.array(), false, x.pad(), x.padValue(), x.var());
    }
    if (x.nhwc()) {
      throw unsupported("a transpose " + Arrays.toString(perm) + " of a channels-last value");
    }
    Value m = materialize(x, run);
    return new Value(own(m.array().transpose(perm), run), false,
        emit(() -> "torch.permute(" + m.var() + ", " + GraphScript.list(perm) + ")", m));
  }

  /** A pad on H and W of a logically NCHW value is kept pending; anything else is applied. */
  private Value pad(Node n, Value x, List<String> in, NDManager run) {
    int[] p = intsOf(in.get(1));
    float constant = 0f;
    if (n.op().equals("PadV2")) {
      NDArray c = floats.get(TfjsGraph.nodeName(in.get(2)));
      constant = c == null ? 0f : c.toFloatArray()[0];
    }
    if (p.length != 8 || x.nhwc() || x.pad() != null || p[0] != 0 || p[1] != 0 || p[2] != 0 || p[3] != 0) {
      throw unsupported("a pad other than on H and W of an NCHW tensor (node " + n.name() + ")");
    }
    return new Value(x.array(), false, new int[] {p[4], p[5], p[6], p[7]}, constant, x.var());
  }

  private Value conv(Node n, Value x, String filter, NDManager run) {
    if (!x.nhwc() || !"NHWC".equals(n.string("data_format").orElse("NHWC"))) {
      throw unsupported("Conv2D " + n.name() + " on a value that is not channels-last");
    }
    NDArray w = floats.get(filter); // OIHW
    long[] strides = n.ints("strides");
    long[] dilations = n.ints("dilations");
    String padding = n.string("padding").orElse("VALID");
    int[] p = x.pad() == null ? new int[4] : x.pad();
    if (x.pad() != null && x.padValue() != 0f) {
      throw unsupported("a non-zero pad before Conv2D " + n.name());
    }
    if (!padding.equals("VALID") || p[0] != p[1] || p[2] != p[3]) {
      throw unsupported("Conv2D " + n.name() + " padding " + padding + " " + Arrays.toString(p));
    }
    long inChannels = x.array().getShape().get(1);
    long groups = inChannels / w.getShape().get(1);
    if (groups * w.getShape().get(1) != inChannels) {
      throw unsupported("Conv2D " + n.name() + ": " + inChannels + " input channels, filter takes " + w.getShape().get(1));
    }
    String bias = fusedBias.get(n.name());
    NDArray b = bias == null ? null : floats.get(bias);
    long[] stride = {strides[1], strides[2]};
    long[] pads = {p[0], p[2]};
    long[] dilation = {dilations.length == 4 ? dilations[1] : 1, dilations.length == 4 ? dilations[2] : 1};
    NDList out = Conv2d.conv2d(x.array(), w, b, new Shape(stride), new Shape(pads), new Shape(dilation), (int) groups);
    String var = script == null ? null
        : script.conv(x.var(), w, b, pads, stride, dilation, groups, x.array().getShape().getShape());
    return new Value(own(out.singletonOrThrow(), run), true, var);
  }

  private Value add(Value a, Value b, NDManager run) {
    a = materialize(a, run);
    b = materialize(b, run);
    long ra = a.array().getShape().dimension();
    long rb = b.array().getShape().dimension();
    // A bias (a constant: its reshape would land in the model's manager, so it is attached too).
    if (ra == 4 && rb == 1 && a.nhwc()) {
      return biasAdd(a, b, run);
    }
    if (rb == 4 && ra == 1 && b.nhwc()) {
      return biasAdd(b, a, run);
    }
    if (ra == rb && a.nhwc() == b.nhwc()) {
      Value x = a;
      Value y = b;
      return new Value(own(a.array().add(b.array()), run), a.nhwc(),
          emit(() -> "torch.add(" + x.var() + ", " + y.var() + ")", x, y));
    }
    throw unsupported("an Add of shapes " + a.array().getShape() + " and " + b.array().getShape());
  }

  /** A per-channel constant added to a 4-D value. */
  private Value biasAdd(Value x, Value bias, NDManager run) {
    NDArray shaped = own(bias.array().reshape(1, -1, 1, 1), run);
    return new Value(own(x.array().add(shaped), run), true,
        emit(() -> "torch.add(" + x.var() + ", torch.reshape(" + bias.var() + ", [1, -1, 1, 1]))", x, bias));
  }

  private Value maxPool(Node n, Value x, NDManager run) {
    long[] k = n.ints("ksize");
    long[] s = n.ints("strides");
    if (!x.nhwc() || !"VALID".equals(n.string("padding").orElse("VALID"))) {
      throw unsupported("MaxPool " + n.name());
    }
    int[] p = x.pad() == null ? new int[4] : x.pad();
    if (x.pad() != null && x.padValue() != Float.NEGATIVE_INFINITY || p[0] != p[1] || p[2] != p[3]) {
      throw unsupported("MaxPool " + n.name() + " after a pad that is not -inf and symmetric");
    }
    NDArray out = Pool.maxPool2d(x.array(), new Shape(k[1], k[2]), new Shape(s[1], s[2]), new Shape(p[0], p[2]), false);
    return new Value(own(out, run), true, emit(() -> "torch.max_pool2d(" + x.var() + ", " + GraphScript.list(new long[] {k[1], k[2]})
        + ", " + GraphScript.list(new long[] {s[1], s[2]}) + ", " + GraphScript.list(new int[] {p[0], p[2]}) + ", [1, 1], False)", x));
  }

  /** Logical axis -> physical axis of NCHW data. */
  private static int physical(int axis, Value v) {
    long rank = v.array().getShape().dimension();
    int a = axis < 0 ? (int) (axis + rank) : axis;
    if (!v.nhwc()) {
      return a;
    }
    return switch (a) {
      case 0 -> 0;
      case 1 -> 2;
      case 2 -> 3;
      default -> 1;
    };
  }

  private Value concat(List<String> in, Map<String, Value> env, NDManager run) {
    int axis = intsOf(in.getLast())[0];
    NDList parts = new NDList();
    List<Value> values = new ArrayList<>();
    Boolean nhwc = null;
    int phys = 0;
    for (int i = 0; i < in.size() - 1; i++) {
      Value v = materialize(value(in.get(i), env), run);
      if (nhwc != null && nhwc != v.nhwc()) {
        throw unsupported("a Concat of mixed layouts");
      }
      nhwc = v.nhwc();
      phys = physical(axis, v);
      parts.add(v.array());
      values.add(v);
    }
    int dim = phys;
    return new Value(own(NDArrays.concat(parts, phys), run), Boolean.TRUE.equals(nhwc), emit(() -> "torch.cat(["
        + String.join(", ", values.stream().map(Value::var).toList()) + "], " + dim + ")", values.toArray(Value[]::new)));
  }

  /** DJL's code for bilinear in {@code NDArrayEx.interpolation} (0 nearest, 1 bilinear, 2 area, 3 bicubic). */
  private static final int BILINEAR = 1;

  private Value resize(Node n, Value x, int[] size, NDManager run) {
    if (!x.nhwc() || n.flag("align_corners")) {
      throw unsupported("ResizeBilinear " + n.name());
    }
    Shape s = x.array().getShape();
    long h = s.get(2);
    long w = s.get(3);
    NDArray a = x.array();
    String expr = null;
    if (size[0] == h * 2 && size[1] == w * 2) {
      expr = "torch.upsample_bilinear2d(" + x.var() + ", " + GraphScript.list(new long[] {h * 2, w * 2}) + ", False, None, None)";
      // PyTorch's bilinear upsampling without align_corners samples at half-pixel centres and clamps
      // at the edges, as TensorFlow's half_pixel_centers does: exact for enlarging (DJL's resize
      // antialiases only when shrinking). One native call instead of a dozen slices and adds.
      a = own(a.getNDArrayInternal().interpolation(new long[] {h * 2, w * 2}, BILINEAR, false), run);
    } else if (size[0] * 2 == h && size[1] * 2 == w) {
      expr = "torch.avg_pool2d(" + x.var() + ", [2, 2], [2, 2], [0, 0], False, True, None)";
      a = own(Pool.avgPool2d(a, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true), run);
    } else if (size[0] != h || size[1] != w) {
      throw unsupported("ResizeBilinear " + n.name() + " from " + h + "x" + w + " to " + size[0] + "x" + size[1]);
    }
    if (expr == null) {
      return x;
    }
    String e = expr;
    return new Value(a, true, emit(() -> e, x));
  }

  private void split(Node n, Value x, int[] sizes, int[] axisArr, Map<String, Value> env, NDManager run) {
    int axis = physical(axisArr[0], x);
    long[] points = new long[sizes.length - 1];
    long at = 0;
    for (int i = 0; i < points.length; i++) {
      at += sizes[i];
      points[i] = at;
    }
    NDList parts = x.array().split(points, axis);
    String all = emit(() -> "torch.split_with_sizes(" + x.var() + ", " + GraphScript.list(sizes) + ", " + axis + ")", x);
    for (int i = 0; i < parts.size(); i++) {
      int k = i;
      Value v = new Value(own(parts.get(i), run), x.nhwc(), all == null ? null : script.let(all + "[" + k + "]", all));
      env.put(i == 0 ? n.name() : n.name() + ":" + i, v);
      if (i == 0) {
        env.put(n.name() + ":0", v);
      }
    }
  }

  private Value reshape(Value x, int[] target, long batch, NDManager run) {
    if (x.nhwc()) {
      throw unsupported("a Reshape of a channels-last value");
    }
    long[] shape = new long[target.length];
    for (int i = 0; i < target.length; i++) {
      shape[i] = target[i];
    }
    boolean batchFirst = shape.length > 0 && shape[0] == 1;
    if (batchFirst) {
      shape[0] = batch; // the converter baked batch 1 in
    }
    return new Value(own(x.array().reshape(new Shape(shape)), run), false, emit(() -> {
      StringBuilder dims = new StringBuilder("torch.reshape(").append(x.var()).append(", [");
      for (int i = 0; i < shape.length; i++) {
        dims.append(i == 0 ? "" : ", ").append(i == 0 && batchFirst ? GraphScript.BATCH : String.valueOf(shape[i]));
      }
      return dims.append("])").toString();
    }, x));
  }

  @Override
  public void close() {
    floats.values().forEach(NDArray::close);
    floats.clear();
  }
}
