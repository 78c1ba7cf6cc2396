package io.parley.inference.vision;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A TensorFlow.js graph model read without TensorFlow: {@code model.json} (the GraphDef as JSON,
 * <a href="https://www.tensorflow.org/js/guide/save_load">tfjs format</a>) and its weight files.
 *
 * <p>Weights are laid out in the manifest's order, each {@code product(shape)} elements: int32
 * little-endian, or float32 stored as IEEE half floats when the entry says
 * {@code quantization: {dtype: float16}} (2 bytes each, widened here). Everything is validated in
 * Java — node inputs name existing nodes, the weight files hold exactly the bytes the manifest
 * describes — so a wrong or truncated file is a {@link ParleyException}, never a native crash.
 */
public final class TfjsGraph {

  /** A graph node: its op, the names of its inputs ({@code name:k} for output k), its attributes. */
  public record Node(String name, String op, List<String> inputs, JsonObject attrs) {

    /** An integer-list attribute ({@code strides}, {@code ksize} ...), or empty. */
    public long[] ints(String attr) {
      JsonObject a = attrs.getJsonObject(attr);
      if (a == null || a.getJsonObject("list") == null) {
        return new long[0];
      }
      JsonArray i = a.getJsonObject("list").getJsonArray("i", new JsonArray());
      long[] out = new long[i.size()];
      for (int k = 0; k < out.length; k++) {
        out[k] = Long.parseLong(String.valueOf(i.getValue(k)));
      }
      return out;
    }

    /** A string attribute (tfjs stores them base64), or empty. */
    public Optional<String> string(String attr) {
      JsonObject a = attrs.getJsonObject(attr);
      return a == null || a.getString("s") == null ? Optional.empty()
          : Optional.of(new String(Base64.getDecoder().decode(a.getString("s")), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A string-list attribute ({@code fused_ops} ...), decoded, or empty. */
    public List<String> strings(String attr) {
      JsonObject a = attrs.getJsonObject(attr);
      if (a == null || a.getJsonObject("list") == null) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      for (Object s : a.getJsonObject("list").getJsonArray("s", new JsonArray())) {
        out.add(new String(Base64.getDecoder().decode((String) s), java.nio.charset.StandardCharsets.UTF_8));
      }
      return out;
    }

    public Optional<Double> number(String attr) {
      JsonObject a = attrs.getJsonObject(attr);
      return a == null || a.getValue("f") == null ? Optional.empty()
          : Optional.of(Double.parseDouble(String.valueOf(a.getValue("f"))));
    }

    public boolean flag(String attr) {
      JsonObject a = attrs.getJsonObject(attr);
      return a != null && Boolean.TRUE.equals(a.getValue("b"));
    }
  }

  /** A constant: float data or int data, with its shape. */
  public record Tensor(long[] shape, float[] floats, int[] ints) {
    public long size() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    public boolean isInt() {
      return ints != null;
    }
  }

  /** The most weight bytes accepted (the NanoDet file is 7.6 MB, the CenterNet one 4 MB). */
  public static final long MAX_WEIGHT_BYTES = 512L * 1024 * 1024;
  /** The most nodes accepted. */
  public static final int MAX_NODES = 100_000;

  private final Map<String, Node> nodes;
  private final Map<String, Tensor> constants;
  private final List<String> inputs;
  private final List<String> outputs;

  private TfjsGraph(Map<String, Node> nodes, Map<String, Tensor> constants, List<String> inputs, List<String> outputs) {
    this.nodes = nodes;
    this.constants = constants;
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /** Nodes in file order (which, for tfjs converter output, is a valid topological order is not assumed). */
  public Map<String, Node> nodes() {
    return nodes;
  }

  public Map<String, Tensor> constants() {
    return constants;
  }

  /** Placeholder node names. */
  public List<String> inputs() {
    return inputs;
  }

  /**
   * Whether the first input is an NHWC image ([n, h, w, c]; else NCHW): its declared shape ends in
   * 1, 3 or 4 channels and its second dimension is more than 4 (no photo is 4 pixels high).
   */
  public boolean nhwcInput() {
    if (inputs.isEmpty()) {
      return false;
    }
    JsonObject shape = nodes.get(inputs.getFirst()).attrs().getJsonObject("shape", new JsonObject())
        .getJsonObject("shape", new JsonObject());
    JsonArray dims = shape.getJsonArray("dim");
    if (dims == null || dims.size() != 4) {
      return false;
    }
    long second = Long.parseLong(String.valueOf(dims.getJsonObject(1).getValue("size", "-1")));
    long last = Long.parseLong(String.valueOf(dims.getJsonObject(3).getValue("size", "-1")));
    return (last == 1 || last == 3 || last == 4) && second > 4;
  }

  /** The signature's outputs (node names, without {@code :0}), in the signature's order. */
  public List<String> outputs() {
    return outputs;
  }

  /** Reads {@code dir/model.json} (or the given json file) and the weight files it names. */
  public static TfjsGraph read(Path modelJson) {
    String where = modelJson.toString();
    JsonObject root;
    try {
      if (!Files.isRegularFile(modelJson)) {
        throw new ParleyException(Reason.UNAVAILABLE, "vision model not found: " + where
            + " (run ./parley models, or set PARLEY_MODELS)");
      }
      root = new JsonObject(Files.readString(modelJson));
    } catch (IOException | RuntimeException e) {
      if (e instanceof ParleyException pe) {
        throw pe;
      }
      throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + " is not a tfjs model.json: " + e.getMessage(), e);
    }
    JsonObject topology = root.getJsonObject("modelTopology");
    if (!"graph-model".equals(root.getString("format")) || topology == null || topology.getJsonArray("node") == null) {
      throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + " is not a tfjs graph model");
    }
    JsonArray nodeArray = topology.getJsonArray("node");
    if (nodeArray.size() > MAX_NODES) {
      throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + " has too many nodes: " + nodeArray.size());
    }
    Map<String, Node> nodes = new LinkedHashMap<>();
    List<String> inputs = new ArrayList<>();
    for (Object o : nodeArray) {
      JsonObject n = (JsonObject) o;
      List<String> in = new ArrayList<>();
      for (Object i : n.getJsonArray("input", new JsonArray())) {
        String s = (String) i;
        if (!s.startsWith("^")) { // control dependencies carry no data
          in.add(s);
        }
      }
      Node node = new Node(n.getString("name"), n.getString("op"), List.copyOf(in), n.getJsonObject("attr", new JsonObject()));
      if (node.name() == null || node.op() == null || nodes.put(node.name(), node) != null) {
        throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": a node without name or op, or twice");
      }
      if (node.op().equals("Placeholder")) {
        inputs.add(node.name());
      }
    }
    for (Node n : nodes.values()) {
      for (String i : n.inputs()) {
        if (!nodes.containsKey(nodeName(i))) {
          throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": node " + n.name()
              + " reads " + i + ", which does not exist");
        }
      }
    }
    List<String> outputs = new ArrayList<>();
    JsonObject sig = root.getJsonObject("signature", new JsonObject()).getJsonObject("outputs", new JsonObject());
    for (String key : sig.fieldNames()) {
      String name = nodeName(key);
      if (!nodes.containsKey(name)) {
        throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": output " + key + " is no node");
      }
      outputs.add(name);
    }
    Map<String, Tensor> constants = readWeights(modelJson.toAbsolutePath().getParent(), root, where);
    for (Node n : nodes.values()) {
      if (n.op().equals("Const") && !constants.containsKey(n.name())) {
        throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": constant " + n.name()
            + " has no weights");
      }
    }
    return new TfjsGraph(nodes, constants, List.copyOf(inputs), List.copyOf(outputs));
  }

  /** {@code name:1} -> {@code name}. */
  public static String nodeName(String input) {
    int colon = input.lastIndexOf(':');
    return colon > 0 && input.substring(colon + 1).chars().allMatch(Character::isDigit) ? input.substring(0, colon) : input;
  }

  /** {@code name:1} -> 1, {@code name} -> 0. */
  public static int outputIndex(String input) {
    int colon = input.lastIndexOf(':');
    if (colon > 0 && colon < input.length() - 1 && input.substring(colon + 1).chars().allMatch(Character::isDigit)) {
      return Integer.parseInt(input.substring(colon + 1));
    }
    return 0;
  }

  private static Map<String, Tensor> readWeights(Path dir, JsonObject root, String where) {
    Map<String, Tensor> out = new HashMap<>();
    JsonArray manifest = root.getJsonArray("weightsManifest", new JsonArray());
    for (Object g : manifest) {
      JsonObject group = (JsonObject) g;
      ByteBuffer bytes;
      try {
        long total = 0;
        List<byte[]> parts = new ArrayList<>();
        for (Object p : group.getJsonArray("paths", new JsonArray())) {
          Path file = dir.resolve((String) p).normalize();
          if (!file.startsWith(dir)) {
            throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": weight path outside its folder: " + p);
          }
          long size = Files.size(file);
          if (total + size > MAX_WEIGHT_BYTES) {
            throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": weights over "
                + MAX_WEIGHT_BYTES + " bytes");
          }
          total += size;
          parts.add(Files.readAllBytes(file));
        }
        bytes = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        parts.forEach(bytes::put);
        bytes.flip();
      } catch (IOException e) {
        throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": weights unreadable: " + e.getMessage(), e);
      }
      for (Object w : group.getJsonArray("weights", new JsonArray())) {
        JsonObject entry = (JsonObject) w;
        String name = entry.getString("name");
        JsonArray dims = entry.getJsonArray("shape", new JsonArray());
        long[] shape = new long[dims.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = dims.getLong(i);
          if (shape[i] < 0) {
            throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": negative dimension in " + name);
          }
          n *= shape[i];
        }
        String dtype = entry.getString("dtype", "float32");
        String quantized = entry.getJsonObject("quantization", new JsonObject()).getString("dtype");
        int width = "int32".equals(dtype) ? 4 : "float16".equals(quantized) ? 2 : "float32".equals(dtype) ? 4 : -1;
        if (width < 0 || (quantized != null && !"float16".equals(quantized))) {
          throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": unsupported weight type "
              + dtype + (quantized == null ? "" : "/" + quantized) + " of " + name);
        }
        if (bytes.remaining() < n * width) {
          throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": weights end before " + name
              + " (truncated file?)");
        }
        if ("int32".equals(dtype)) {
          int[] v = new int[(int) n];
          for (int i = 0; i < n; i++) {
            v[i] = bytes.getInt();
          }
          out.put(name, new Tensor(shape, null, v));
        } else {
          float[] v = new float[(int) n];
          for (int i = 0; i < n; i++) {
            v[i] = width == 2 ? Float.float16ToFloat(bytes.getShort()) : bytes.getFloat();
          }
          out.put(name, new Tensor(shape, v, null));
        }
      }
      if (bytes.remaining() != 0) {
        throw new ParleyException(Reason.UNAVAILABLE, "vision model " + where + ": " + bytes.remaining()
            + " weight bytes more than the manifest describes");
      }
    }
    return out;
  }
}
