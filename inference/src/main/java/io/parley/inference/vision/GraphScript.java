package io.parley.inference.vision;

import ai.djl.ndarray.NDArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript program written while {@link GraphExecutor} traces one pass: one statement per op,
 * constants as entries of a tensor list argument, and a {@code prepack} method that puts every
 * convolution's filter into oneDNN's blocked layout once. {@link #archive} packs it as the zip
 * archive that {@code torch::jit::load} reads (what {@code torch.jit.save} writes, reduced to what
 * a module without attributes needs: {@code version}, {@code data.pkl}, {@code constants.pkl} and
 * the source under {@code code/}).
 *
 * <p>Two rewrites happen when the source is written: a convolution whose result is read only by a
 * ReLU, ReLU6 or LeakyReLU takes the activation as its fused post-op, and convolutions run as
 * {@code mkldnn::_convolution_pointwise} on the prepacked filter (the op PyTorch's own compiler
 * emits for frozen CPU graphs). Eager DJL calls cannot reach either.
 */
final class GraphScript {

  /** One statement: {@code out = text}, reading {@code inputs}. */
  private static final class Line {
    final String out;
    String text;
    final List<String> inputs;
    /** Set on convolutions: what the fusion rewrite needs. */
    Conv conv;
    /** Set on activations a convolution can fuse: oneDNN's post-op. */
    PostOp postOp;

    Line(String out, String text, List<String> inputs) {
      this.out = out;
      this.text = text;
      this.inputs = inputs;
    }
  }

  private record Conv(String input, int weight, int bias, long[] padding, long[] stride, long[] dilation, long groups) {}

  /** A oneDNN post-op of {@code mkldnn::_convolution_pointwise}: its name and scalars. */
  private record PostOp(String name, double[] scalars) {}

  private final List<Line> lines = new ArrayList<>();
  private final List<NDArray> params = new ArrayList<>();
  /** Param index -> the prepack call's arguments (filters only). */
  private final Map<Integer, String> prepack = new HashMap<>();
  private final List<String> outputs = new ArrayList<>();
  private int next;

  /** The forward's input, an NCHW tensor over channels-last memory. */
  static final String INPUT = "x";
  /** The batch size, read from the input. */
  static final String BATCH = "n";

  /** A new statement; returns the variable holding its result. */
  String let(String text, String... inputs) {
    String v = "v" + next++;
    lines.add(new Line(v, text, List.of(inputs)));
    return v;
  }

  /** A constant the program reads (as {@code p[i]}); the same array gives the same entry. */
  String param(NDArray constant) {
    for (int i = 0; i < params.size(); i++) {
      if (params.get(i) == constant) {
        return "p[" + i + "]";
      }
    }
    params.add(constant);
    return "p[" + (params.size() - 1) + "]";
  }

  /** A convolution of {@code input} (NCHW over channels-last) with an OIHW filter. */
  String conv(String input, NDArray filter, NDArray bias, long[] padding, long[] stride, long[] dilation, long groups,
              long[] inputShape) {
    param(filter);
    int w = indexOf(filter);
    int b = -1;
    if (bias != null) {
      param(bias);
      b = indexOf(bias);
    }
    long[] oneImage = inputShape.clone();
    oneImage[0] = 1;
    prepack.put(w, "torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(torch.contiguous(p[" + w + "])), "
        + list(padding) + ", " + list(stride) + ", " + list(dilation) + ", " + groups + ", " + list(oneImage) + ")");
    String v = let("", input);
    Line line = lines.getLast();
    line.conv = new Conv(input, w, b, padding, stride, dilation, groups);
    return v;
  }

  /**
   * An activation computing {@code text} from {@code input}, kept apart so that the convolution
   * before it can absorb it as oneDNN's post-op {@code postOp} (relu, hardtanh, leaky_relu) with
   * {@code scalars}.
   */
  String activation(String input, String text, String postOp, double... scalars) {
    String v = let(text, input);
    lines.getLast().postOp = new PostOp(postOp, scalars);
    return v;
  }

  void output(String var) {
    outputs.add(var);
  }

  List<NDArray> params() {
    return params;
  }

  private int indexOf(NDArray a) {
    for (int i = 0; i < params.size(); i++) {
      if (params.get(i) == a) {
        return i;
      }
    }
    throw new IllegalStateException("not a parameter");
  }

  /** The module's source: fusion applied, convolutions on prepacked filters. */
  String source() {
    Map<String, Integer> uses = new HashMap<>();
    for (Line l : lines) {
      l.inputs.forEach(in -> uses.merge(in, 1, Integer::sum));
    }
    outputs.forEach(o -> uses.merge(o, 1, Integer::sum));
    Map<String, Line> byOut = new HashMap<>();
    lines.forEach(l -> byOut.put(l.out, l));
    Map<String, String> alias = new HashMap<>();
    Map<Line, PostOp> fused = new HashMap<>();
    for (Line l : lines) {
      if (l.postOp != null) {
        Line producer = byOut.get(l.inputs.getFirst());
        if (producer != null && producer.conv != null && uses.getOrDefault(producer.out, 0) == 1
            && !fused.containsKey(producer)) {
          fused.put(producer, l.postOp);
          alias.put(l.out, producer.out);
        }
      }
    }
    StringBuilder s = new StringBuilder();
    s.append("class Model(Module):\n")
        .append("  __parameters__ = []\n")
        .append("  __buffers__ = []\n")
        .append("  training : bool\n")
        .append("  def forward(self: __torch__.Model, ").append(INPUT).append(": Tensor, p: List[Tensor]) -> Tuple[");
    for (int i = 0; i < outputs.size(); i++) {
      s.append(i == 0 ? "" : ", ").append("Tensor");
    }
    s.append("]:\n");
    s.append("    ").append(BATCH).append(" = torch.size(").append(INPUT).append(", 0)\n");
    for (Line l : lines) {
      if (alias.containsKey(l.out)) {
        continue;
      }
      String text = l.text;
      if (l.conv != null) {
        Conv c = l.conv;
        PostOp post = fused.getOrDefault(l, new PostOp("none", new double[0]));
        StringBuilder scalars = new StringBuilder();
        for (double v : post.scalars()) {
          scalars.append(scalars.isEmpty() ? "" : ", ").append(number(v));
        }
        text = "ops.mkldnn._convolution_pointwise(" + resolve(c.input(), alias) + ", p[" + c.weight() + "], "
            + (c.bias() < 0 ? "None" : "p[" + c.bias() + "]") + ", " + list(c.padding()) + ", " + list(c.stride()) + ", "
            + list(c.dilation()) + ", " + c.groups() + ", \"" + post.name() + "\", annotate(List[Optional[number]], ["
            + scalars + "]), None)";
      } else {
        for (String in : l.inputs) {
          String to = resolve(in, alias);
          if (!to.equals(in)) {
            text = replaceVar(text, in, to);
          }
        }
      }
      s.append("    ").append(l.out).append(" = ").append(text).append('\n');
    }
    s.append("    return (");
    for (int i = 0; i < outputs.size(); i++) {
      s.append(i == 0 ? "" : ", ").append(resolve(outputs.get(i), alias));
    }
    s.append(outputs.size() == 1 ? ",)\n" : ")\n");
    s.append("  def prepack(self: __torch__.Model, p: List[Tensor]) -> List[Tensor]:\n");
    s.append("    q = annotate(List[Tensor], [])\n");
    for (int i = 0; i < params.size(); i++) {
      String packed = prepack.get(i);
      s.append("    q.append(").append(packed == null ? "p[" + i + "]" : packed).append(")\n");
    }
    s.append("    return q\n");
    return s.toString();
  }

  private static String resolve(String var, Map<String, String> alias) {
    String v = var;
    while (alias.containsKey(v)) {
      v = alias.get(v);
    }
    return v;
  }

  /** Replaces whole-word occurrences of a variable name. */
  private static String replaceVar(String text, String from, String to) {
    return text.replaceAll("\\b" + java.util.regex.Pattern.quote(from) + "\\b", to);
  }

  static String list(long[] v) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      s.append(i == 0 ? "" : ", ").append(v[i]);
    }
    return s.append(']').toString();
  }

  static String list(int[] v) {
    long[] l = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      l[i] = v[i];
    }
    return list(l);
  }

  /** A float literal TorchScript reads back exactly. */
  static String number(double v) {
    if (Double.isInfinite(v)) {
      return v > 0 ? "float(\"inf\")" : "float(\"-inf\")";
    }
    if (Double.isNaN(v)) {
      return "float(\"nan\")";
    }
    String s = String.format(Locale.ROOT, "%.9g", v);
    return s.contains(".") || s.contains("e") ? s : s + ".0";
  }

  /** The zip archive {@code torch::jit::load} reads. */
  byte[] archive() {
    return archive(source());
  }

  /**
   * The archive of a module {@code __torch__.Model} whose class is {@code source} (TorchScript, with
   * no attributes but {@code training} and no tensor constants).
   */
  static byte[] archive(String source) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      stored(zip, "version", "3\n".getBytes(StandardCharsets.US_ASCII));
      stored(zip, "data.pkl", modulePickle());
      stored(zip, "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // an empty tuple
      stored(zip, "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Pickle protocol 2 of {@code __torch__.Model} with its one attribute, {@code training = True}. */
  private static byte[] modulePickle() {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(0x80);
    p.write(2);                                                     // PROTO 2
    p.writeBytes("c__torch__\nModel\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL
    p.write(')');                                                   // EMPTY_TUPLE
    p.write(0x81);                                                  // NEWOBJ
    p.write('}');                                                   // EMPTY_DICT
    p.write('(');                                                   // MARK
    byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
    p.write('X');                                                   // BINUNICODE
    p.write(key.length);
    p.write(0);
    p.write(0);
    p.write(0);
    p.writeBytes(key);
    p.write(0x88);                                                  // NEWTRUE
    p.write('u');                                                   // SETITEMS
    p.write('b');                                                   // BUILD
    p.write('.');                                                   // STOP
    return p.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry("archive/" + name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }
}
