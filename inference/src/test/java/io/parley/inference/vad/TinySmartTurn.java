package io.parley.inference.vad;

import io.parley.inference.bench.OnnxExport;
import io.parley.inference.bench.OnnxExport.Proto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An ONNX model with Smart Turn v3's interface, written by hand (opset 13): {@code input_features}
 * f32[batch, 80, 800] in, {@code logits} f32[batch, 1] out, computing
 * {@code sigmoid(scale * mean(features) + bias)}. Tests pick {@code scale} and {@code bias} to make
 * turns sound complete or not; the real feature extraction and ONNX Runtime run either way.
 */
public final class TinySmartTurn {

  private static final int FLOAT = 1;

  private TinySmartTurn() {}

  /** The probability this model gives {@code audio}, computed in Java. */
  public static float expected(float[] audio, float scale, float bias) {
    double sum = 0;
    for (float v : WhisperFeatures.of(audio)) {
      sum += v;
    }
    return (float) (1 / (1 + Math.exp(-(scale * sum / WhisperFeatures.SIZE + bias))));
  }

  /** Writes the model to {@code file}. */
  public static Path write(Path file, float scale, float bias) throws IOException {
    Files.write(file, bytes("input_features", scale, bias));
    return file;
  }

  /** The same graph with another input name: not Smart Turn's signature. */
  public static Path writeWrongInput(Path file) throws IOException {
    Files.write(file, bytes("audio", 1, 0));
    return file;
  }

  private static byte[] bytes(String input, float scale, float bias) {
    Proto graph = new Proto();
    graph.message(1, node("ReduceMean", new String[] {input}, "per_mel", Proto.ints("axes", 2),
        Proto.intAttr("keepdims", 0)));
    graph.message(1, node("ReduceMean", new String[] {"per_mel"}, "mean", Proto.ints("axes", 1),
        Proto.intAttr("keepdims", 1)));
    graph.message(1, node("Mul", new String[] {"mean", "scale"}, "scaled"));
    graph.message(1, node("Add", new String[] {"scaled", "bias"}, "shifted"));
    graph.message(1, node("Sigmoid", new String[] {"shifted"}, "logits"));
    graph.string(2, "tiny-smart-turn");
    graph.message(5, scalar("scale", scale));
    graph.message(5, scalar("bias", bias));
    graph.message(11, OnnxExport.valueInfo(input, new Object[] {"batch", 80L, 800L}));
    graph.message(12, OnnxExport.valueInfo("logits", new Object[] {"batch", 1L}));
    Proto opset = new Proto().string(1, "").int64(2, 13);
    return new Proto().int64(1, 7).string(2, "parley-test").message(7, graph).message(8, opset).toByteArray();
  }

  private static Proto node(String op, String[] inputs, String output, Proto... attributes) {
    Proto n = new Proto();
    for (String i : inputs) {
      n.string(1, i);
    }
    n.string(2, output).string(3, output + "_node").string(4, op);
    for (Proto a : attributes) {
      n.message(5, a);
    }
    return n;
  }

  private static Proto scalar(String name, float value) {
    byte[] raw = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array();
    return new Proto().int64(1, 1).int64(2, FLOAT).string(8, name).bytes(9, raw);
  }
}
