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
import io.parley.inference.vision.TfjsGraph.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link TfjsGraph} on DJL NDArray operations (the PyTorch engine here). Built once per
 * model ({@link GraphPlan}: the ops the outputs need in topological order, constant sub-graphs
 * folded, filters turned from TensorFlow's HWIO into OIHW over channels-last memory and kept as
 * NDArrays); {@link #forward} is then a walk over the remaining steps.
 *
 * <p><b>Layouts.</b> Data is always NCHW (over channels-last memory), and each value carries a flag:
 * "logically NHWC". Graphs converted from NCHW models (NanoDet) wrap every Conv2D, MaxPool and
 * ResizeBilinear in transposes to NHWC and back (a TensorFlow CPU kernel restriction): the
 * transposes [0,2,3,1] and [0,3,1,2] only flip the flag, since moving the data twice per layer
 * would cost more than the layer. Graphs written for NHWC (the CenterNet) take an NHWC image: the
 * NCHW input is that image with the flag set. NHWC ops read NCHW data with their attributes mapped;
 * axes of Concat, Split and Mean are mapped the same way, and a 4-d output that is logically NHWC is
 * returned as such (a view: over channels-last memory it is contiguous).
 *
 * <p><b>Padding.</b> Explicit Pad/PadV2 in front of a VALID convolution or pooling is carried as a
 * pending pad and becomes the op's own padding (a -inf PadV2 before MaxPool is exactly PyTorch's
 * max-pool padding). A pending pad that meets any other op is materialised. SAME convolutions pad
 * as TensorFlow does: evenly where the total is even, one more after where it is odd (a strided
 * convolution over an even size), which PyTorch's symmetric padding cannot say, so that case pads
 * first.
 *
 * <p><b>Resize.</b> ResizeBilinear is computed exactly for the ratios these graphs use. With
 * half-pixel centres: 2x up (PyTorch's bilinear upsampling, which samples at the same half-pixel
 * centres and clamps at the edges as TensorFlow does) and 2x down (which samples between two
 * inputs: their mean, a 2x2 average pool). Without (TensorFlow 1's resize, source = destination /
 * 2): 2x up, where every even output is an input and every odd one the mean of its two neighbours
 * (the last repeats). Other ratios fail at run time.
 *
 * <p><b>Convolutions</b> (Conv2D, depthwise, and their fused forms with a bias and ReLU, ReLU6 or
 * LeakyReLU) run as grouped PyTorch convolutions; a depthwise filter is a grouped one with one
 * input channel per group.
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

  private final NDManager manager;
  private final GraphPlan plan;
  /** Set while {@link #trace} runs: every op also writes its TorchScript statement here. */
  private GraphScript script;

  /** Runs {@code graph}'s signature outputs; its constants go into {@code manager}. */
  public GraphExecutor(TfjsGraph graph, NDManager manager) {
    this(graph, List.of(), manager);
  }

  /**
   * Runs the nodes {@code outputs} of {@code graph} (empty: its signature outputs), and only the ops
   * they need; its constants go into {@code manager}. An op outside the supported set fails here.
   */
  public GraphExecutor(TfjsGraph graph, List<String> outputs, NDManager manager) {
    this.manager = manager;
    this.plan = new GraphPlan(graph, outputs, manager);
  }

  private static ParleyException unsupported(String why) {
    return GraphPlan.unsupported(why);
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

  /** Every step on {@code x}; the planned outputs, in order, most of them owned by {@code run}. */
  private List<NDArray> outputs(NDArray x, NDManager run) {
    Map<String, Value> env = new HashMap<>();
    env.put(plan.input, new Value(x, plan.inputNhwc, script == null ? null : GraphScript.INPUT));
    long batch = x.getShape().get(0);
    for (GraphPlan.Step s : plan.steps) {
      Value out = step(s, env, run, batch);
      if (out != null) {
        env.put(s.node().name(), out);
      }
    }
    List<NDArray> results = new ArrayList<>();
    for (String o : plan.outputs) {
      Value v = materialize(value(o, env), run);
      if (v.nhwc() && v.array().getShape().dimension() == 4) {
        Value m = v;
        v = new Value(own(v.array().transpose(TO_NHWC), run), false,
            emit(() -> "torch.permute(" + m.var() + ", " + GraphScript.list(TO_NHWC) + ")", m));
      }
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
      NDArray c = plan.floats.get(name);
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

  private Value step(GraphPlan.Step s, Map<String, Value> env, NDManager run, long batch) {
    Node n = s.node();
    List<String> in = s.inputs();
    return switch (n.op()) {
      case "Identity" -> value(in.get(0), env);
      case "Transpose" -> transpose(value(in.get(0), env), plan.ints(in.get(1)), run);
      case "Pad", "PadV2" -> pad(n, value(in.get(0), env), in, run);
      case "Conv2D", "DepthwiseConv2dNative" -> {
        String bias = plan.fusedBias.get(n.name());
        yield conv(n, value(in.get(0), env), TfjsGraph.nodeName(in.get(1)), bias, run);
      }
      case "_FusedConv2D", "FusedDepthwiseConv2dNative" -> fusedConv(n, value(in.get(0), env), in, run);
      case "Add", "AddV2" -> elementwise("add", value(in.get(0), env), value(in.get(1), env), run);
      case "Mul" -> elementwise("mul", value(in.get(0), env), value(in.get(1), env), run);
      case "LeakyRelu" -> activation("LeakyRelu", n.number("alpha").orElse(0.2), value(in.get(0), env), run);
      case "Relu", "Relu6" -> activation(n.op(), 0, value(in.get(0), env), run);
      case "HardSwish" -> hardSwish(n.number("scale").orElseThrow().floatValue(), value(in.get(0), env), run);
      case "Sigmoid" -> {
        Value x = materialize(value(in.get(0), env), run);
        yield new Value(own(Activation.sigmoid(x.array()), run), x.nhwc(), emit(() -> "torch.sigmoid(" + x.var() + ")", x));
      }
      case "MaxPool" -> maxPool(n, value(in.get(0), env), run);
      case "Mean" -> mean(n, materialize(value(in.get(0), env), run), plan.ints(in.get(1)), run);
      case "ConcatV2" -> concat(in, env, run);
      case "ResizeBilinear" -> resize(n, materialize(value(in.get(0), env), run), plan.ints(in.get(1)), run);
      case "SplitV" -> {
        split(n, materialize(value(in.get(0), env), run), plan.ints(in.get(1)), plan.ints(in.get(2)), env, run);
        yield null;
      }
      case "Reshape" -> reshape(materialize(value(in.get(0), env), run), plan.ints(in.get(1)), batch, run);
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
    int[] p = plan.ints(in.get(1));
    float constant = 0f;
    if (n.op().equals("PadV2")) {
      NDArray c = plan.floats.get(TfjsGraph.nodeName(in.get(2)));
      constant = c == null ? 0f : c.toFloatArray()[0];
    }
    if (p.length != 8 || x.nhwc() || x.pad() != null || p[0] != 0 || p[1] != 0 || p[2] != 0 || p[3] != 0) {
      throw unsupported("a pad other than on H and W of an NCHW tensor (node " + n.name() + ")");
    }
    return new Value(x.array(), false, new int[] {p[4], p[5], p[6], p[7]}, constant, x.var());
  }

  /**
   * A _FusedConv2D or FusedDepthwiseConv2dNative: the convolution, its bias (the third input) and
   * at most one activation after it ({@code fused_ops} = BiasAdd, then Relu, Relu6 or LeakyRelu, as
   * {@link GraphPlan} checked).
   */
  private Value fusedConv(Node n, Value x, List<String> in, NDManager run) {
    List<String> ops = n.strings("fused_ops");
    Value out = conv(n, x, TfjsGraph.nodeName(in.get(1)), TfjsGraph.nodeName(in.get(2)), run);
    return ops.size() == 1 ? out : activation(ops.get(1), n.number("leakyrelu_alpha").orElse(0.2), out, run);
  }

  private Value conv(Node n, Value x, String filter, String bias, NDManager run) {
    if (!x.nhwc() || !"NHWC".equals(n.string("data_format").orElse("NHWC"))) {
      throw unsupported(n.op() + " " + n.name() + " on a value that is not channels-last");
    }
    NDArray w = plan.floats.get(filter); // OIHW
    long[] strides = n.ints("strides");
    long[] dilations = n.ints("dilations");
    long[] stride = {strides[1], strides[2]};
    long[] dilation = {dilations.length == 4 ? dilations[1] : 1, dilations.length == 4 ? dilations[2] : 1};
    String padding = n.string("padding").orElse("VALID");
    if (x.pad() != null && (x.padValue() != 0f || !padding.equals("VALID"))) {
      throw unsupported("a pad before " + n.op() + " " + n.name() + " that is not zeros before a VALID one");
    }
    int[] p = switch (padding) {
      case "VALID" -> x.pad() == null ? new int[4] : x.pad();
      case "SAME" -> same(x.array().getShape(), w.getShape(), stride, dilation);
      default -> throw unsupported(n.op() + " " + n.name() + " padding " + padding);
    };
    if (p[0] != p[1] || p[2] != p[3]) { // TensorFlow's extra row and column after: pad first
      x = materialize(new Value(x.array(), true, p, 0f, x.var()), run);
      p = new int[4];
    }
    long inChannels = x.array().getShape().get(1);
    long groups = inChannels / w.getShape().get(1);
    if (groups * w.getShape().get(1) != inChannels) {
      throw unsupported(n.op() + " " + n.name() + ": " + inChannels + " input channels, filter takes "
          + w.getShape().get(1));
    }
    NDArray b = bias == null ? null : plan.floats.get(bias);
    long[] pads = {p[0], p[2]};
    NDList out = Conv2d.conv2d(x.array(), w, b, new Shape(stride), new Shape(pads), new Shape(dilation), (int) groups);
    String var = script == null ? null
        : script.conv(x.var(), w, b, pads, stride, dilation, groups, x.array().getShape().getShape());
    return new Value(own(out.singletonOrThrow(), run), true, var);
  }

  /** TensorFlow's SAME padding of an NCHW input for an OIHW filter: top, bottom, left, right. */
  static int[] same(Shape input, Shape filter, long[] stride, long[] dilation) {
    int[] p = new int[4];
    for (int d = 0; d < 2; d++) {
      long size = input.get(2 + d);
      long span = (filter.get(2 + d) - 1) * dilation[d] + 1;
      long out = (size + stride[d] - 1) / stride[d];
      long total = Math.max(0, (out - 1) * stride[d] + span - size);
      p[2 * d] = (int) (total / 2);
      p[2 * d + 1] = (int) (total - total / 2);
    }
    return p;
  }

  /** ReLU, ReLU6 or LeakyReLU; the convolution before it may take it as its fused post-op when compiled. */
  private Value activation(String op, double alpha, Value in, NDManager run) {
    Value x = materialize(in, run);
    NDArray a = x.array();
    NDArray out = switch (op) {
      case "Relu" -> Activation.relu(a);
      case "Relu6" -> Activation.relu6(a);
      case "LeakyRelu" -> Activation.leakyRelu(a, (float) alpha);
      default -> throw unsupported("activation " + op);
    };
    String var = null;
    if (script != null) {
      var = switch (op) {
        case "Relu" -> script.activation(x.var(), "torch.relu(" + x.var() + ")", "relu");
        case "Relu6" -> script.activation(x.var(), "torch.hardtanh(" + x.var() + ", 0.0, 6.0)", "hardtanh", 0, 6);
        default -> script.activation(x.var(), "torch.leaky_relu(" + x.var() + ", " + GraphScript.number(alpha) + ")",
            "leaky_relu", alpha);
      };
    }
    return new Value(own(out, run), x.nhwc(), var);
  }

  /**
   * The converter's hard-swish, {@code (scale * x) * relu6(x + 3)} ({@link GraphPlan} folded its four
   * ops into this step). Compiled it is {@code hardswish(x) * 6 scale} (the same up to rounding, as
   * scale is the half-precision 1/6), and the hard-swish can be the convolution's fused post-op.
   */
  private Value hardSwish(float scale, Value in, NDManager run) {
    Value x = materialize(in, run);
    NDArray a = x.array();
    NDArray out = own(own(a.mul(scale), run).mul(own(Activation.relu6(own(a.add(3f), run)), run)), run);
    String var = null;
    if (script != null) {
      String h = script.activation(x.var(), "torch.hardswish(" + x.var() + ")", "hardswish");
      var = script.let("torch.mul(" + h + ", " + GraphScript.number(6.0 * scale) + ")", h);
    }
    return new Value(out, x.nhwc(), var);
  }

  /**
   * {@code a + b} or {@code a * b}: a per-channel constant added to a 4-d value, a scalar, or two
   * values of one layout (broadcast as NCHW, which a logically NHWC [n, 1, 1, c] is).
   */
  private Value elementwise(String op, Value a, Value b, NDManager run) {
    Value x = materialize(a, run);
    Value y = materialize(b, run);
    long rx = x.array().getShape().dimension();
    long ry = y.array().getShape().dimension();
    if (op.equals("add") && rx == 4 && ry == 1 && x.nhwc()) {
      return biasAdd(x, y, run);
    }
    if (op.equals("add") && ry == 4 && rx == 1 && y.nhwc()) {
      return biasAdd(y, x, run);
    }
    boolean nhwc;
    if (rx == 0 || ry == 0) {
      nhwc = rx == 0 ? y.nhwc() : x.nhwc();
    } else if (rx == ry && x.nhwc() == y.nhwc()) {
      nhwc = x.nhwc();
    } else {
      throw unsupported("an elementwise " + op + " of shapes " + x.array().getShape() + " and " + y.array().getShape());
    }
    NDArray out = op.equals("add") ? x.array().add(y.array()) : x.array().mul(y.array());
    return new Value(own(out, run), nhwc, emit(() -> "torch." + op + "(" + x.var() + ", " + y.var() + ")", x, y));
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

  /** A mean over axes, keeping them (as the squeeze-and-excite blocks' global pooling does). */
  private Value mean(Node n, Value x, int[] axes, NDManager run) {
    if (!n.flag("keep_dims")) {
      throw unsupported("Mean " + n.name() + " without keep_dims");
    }
    int[] phys = Arrays.stream(axes).map(a -> physical(a, x)).sorted().toArray();
    NDArray out = x.array();
    for (int axis : phys) { // DJL's PyTorch mean takes one axis at a time (kept, so the others stay put)
      out = own(out.mean(new int[] {axis}, true), run);
    }
    return new Value(out, x.nhwc(), emit(() -> "torch.mean(" + x.var() + ", " + GraphScript.list(phys) + ", True)", x));
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
    int axis = plan.ints(in.getLast())[0];
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
    if (!x.nhwc()) {
      throw unsupported("ResizeBilinear " + n.name() + " of a value that is not channels-last");
    }
    Shape s = x.array().getShape();
    long h = s.get(2);
    long w = s.get(3);
    if (size[0] == h && size[1] == w) {
      return x;
    }
    boolean halfPixel = n.flag("half_pixel_centers");
    if (!halfPixel && size[0] == h * 2 && size[1] == w * 2) {
      NDArray doubled = doubled(doubled(x.array(), 3, run), 2, run);
      // Compiled: the last row and column repeated, then an align-corners resize to 2n + 1, which
      // samples output j at input j / 2 exactly, then the extra row and column cut: three ops
      // that keep the layout, where the interleaving's dozen left a copy for the next convolution.
      return new Value(doubled, true, emit(() -> "torch.slice(torch.slice(torch.upsample_bilinear2d("
          + "torch.replication_pad2d(" + x.var() + ", [0, 1, 0, 1]), " + GraphScript.list(new long[] {h * 2 + 1, w * 2 + 1})
          + ", True, None, None), 2, 0, " + h * 2 + "), 3, 0, " + w * 2 + ")", x));
    }
    NDArray a = x.array();
    String expr;
    if (halfPixel && size[0] == h * 2 && size[1] == w * 2) {
      expr = "torch.upsample_bilinear2d(" + x.var() + ", " + GraphScript.list(new long[] {h * 2, w * 2}) + ", False, None, None)";
      // PyTorch's bilinear upsampling without align_corners samples at half-pixel centres and clamps
      // at the edges, as TensorFlow's half_pixel_centers does: exact for enlarging (DJL's resize
      // antialiases only when shrinking). One native call instead of a dozen slices and adds.
      a = own(a.getNDArrayInternal().interpolation(new long[] {h * 2, w * 2}, BILINEAR, false), run);
    } else if (halfPixel && size[0] * 2 == h && size[1] * 2 == w) {
      expr = "torch.avg_pool2d(" + x.var() + ", [2, 2], [2, 2], [0, 0], False, True, None)";
      a = own(Pool.avgPool2d(a, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true), run);
    } else {
      throw unsupported("ResizeBilinear " + n.name() + (halfPixel ? "" : " (without half-pixel centres)") + " from "
          + h + "x" + w + " to " + size[0] + "x" + size[1]);
    }
    String e = expr;
    return new Value(a, true, emit(() -> e, x));
  }

  /**
   * TensorFlow 1's bilinear 2x enlargement along physical {@code axis}, op by op: output 2i is input
   * i, output 2i + 1 the mean of inputs i and i + 1 (the last input repeated past the end): the two
   * interleaved by a stack on a new axis after {@code axis} and a reshape.
   */
  private static NDArray doubled(NDArray a, int axis, NDManager run) {
    Shape s = a.getShape();
    long size = s.get(axis);
    String lead = ":, ".repeat(axis);
    NDArray next = own(NDArrays.concat(new NDList(own(a.get(new NDIndex(lead + "1:")), run),
        own(a.get(new NDIndex(lead + (size - 1) + ":")), run)), axis), run);
    NDArray between = own(own(a.add(next), run).mul(0.5f), run);
    long[] target = s.getShape().clone();
    target[axis] *= 2;
    return own(own(a.stack(between, axis + 1), run).reshape(new Shape(target)), run);
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
    plan.close();
  }
}
