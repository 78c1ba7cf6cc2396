package io.parley.inference.vision;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Writes small TensorFlow.js graph models (model.json + weights.bin) for op-level tests. */
final class TinyGraph {

  private final JsonArray nodes = new JsonArray();
  private final JsonArray weights = new JsonArray();
  private final List<byte[]> data = new ArrayList<>();
  private final JsonObject outputs = new JsonObject();

  TinyGraph input(String name, long... shape) {
    JsonArray dims = new JsonArray();
    for (long d : shape) {
      dims.add(new JsonObject().put("size", Long.toString(d)));
    }
    nodes.add(new JsonObject().put("name", name).put("op", "Placeholder")
        .put("attr", new JsonObject().put("shape", new JsonObject().put("shape", new JsonObject().put("dim", dims)))));
    return this;
  }

  TinyGraph ints(String name, long[] shape, int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return constant(name, shape, "int32", null, b.array());
  }

  /** Float weights stored as halves, as the real model does. */
  TinyGraph halves(String name, long[] shape, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putShort(Float.floatToFloat16(v));
    }
    return constant(name, shape, "float32", "float16", b.array());
  }

  private TinyGraph constant(String name, long[] shape, String dtype, String quantized, byte[] bytes) {
    nodes.add(new JsonObject().put("name", name).put("op", "Const").put("attr", new JsonObject()));
    JsonArray s = new JsonArray();
    for (long d : shape) {
      s.add(d);
    }
    JsonObject w = new JsonObject().put("name", name).put("shape", s).put("dtype", dtype);
    if (quantized != null) {
      w.put("quantization", new JsonObject().put("dtype", quantized).put("original_dtype", "float32"));
    }
    weights.add(w);
    data.add(bytes);
    return this;
  }

  TinyGraph op(String name, String op, JsonObject attrs, String... inputs) {
    JsonArray in = new JsonArray();
    for (String i : inputs) {
      in.add(i);
    }
    nodes.add(new JsonObject().put("name", name).put("op", op).put("input", in).put("attr", attrs));
    return this;
  }

  TinyGraph output(String name) {
    outputs.put(name + ":0", new JsonObject().put("name", name + ":0"));
    return this;
  }

  static JsonObject attrs() {
    return new JsonObject();
  }

  static JsonObject list(JsonObject attrs, String key, long... values) {
    JsonArray i = new JsonArray();
    for (long v : values) {
      i.add(Long.toString(v));
    }
    return attrs.put(key, new JsonObject().put("list", new JsonObject().put("i", i)));
  }

  static JsonObject strings(JsonObject attrs, String key, String... values) {
    JsonArray s = new JsonArray();
    for (String v : values) {
      s.add(Base64.getEncoder().encodeToString(v.getBytes()));
    }
    return attrs.put(key, new JsonObject().put("list", new JsonObject().put("s", s)));
  }

  static JsonObject string(JsonObject attrs, String key, String value) {
    return attrs.put(key, new JsonObject().put("s", Base64.getEncoder().encodeToString(value.getBytes())));
  }

  static JsonObject flag(JsonObject attrs, String key, boolean value) {
    return attrs.put(key, new JsonObject().put("b", value));
  }

  Path write(Path dir) throws IOException {
    Files.createDirectories(dir);
    int total = data.stream().mapToInt(b -> b.length).sum();
    ByteBuffer all = ByteBuffer.allocate(total);
    data.forEach(all::put);
    Files.write(dir.resolve("weights.bin"), all.array());
    JsonObject model = new JsonObject().put("format", "graph-model")
        .put("modelTopology", new JsonObject().put("node", nodes))
        .put("signature", new JsonObject().put("outputs", outputs))
        .put("weightsManifest", new JsonArray().add(new JsonObject()
            .put("paths", new JsonArray().add("weights.bin")).put("weights", weights)));
    Path json = dir.resolve("model.json");
    Files.writeString(json, model.encodePrettily());
    return json;
  }
}
