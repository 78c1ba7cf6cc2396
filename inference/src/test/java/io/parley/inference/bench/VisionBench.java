package io.parley.inference.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.parley.inference.support.Tools;
import io.parley.inference.vision.CompiledGraph;
import io.parley.inference.vision.GraphExecutor;
import io.parley.inference.vision.GraphRunner;
import io.parley.inference.vision.NanoDet;
import io.parley.inference.vision.NanoDetDetector;
import io.parley.inference.vision.Photos;
import io.parley.inference.vision.TfjsGraph;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * NanoDet-m's forward pass on DJL (PyTorch engine) and on ONNX Runtime 1.29 with the same weights
 * ({@link OnnxExport}), at a given intra-op thread count: one 416x416 letterboxed photo per pass,
 * median milliseconds of {@code runs} passes after {@link #WARMUP}. Prints one JSON line. Engines:
 * {@code djl} is what Parley serves with on a CPU, the graph compiled to TorchScript
 * ({@link CompiledGraph}); {@code djl-eager} is {@link GraphExecutor} op by op; {@code ort}.
 *
 * <p>Two JVMs, one per engine, run alternately by {@code bench/vision.sh}: DJL fixes its thread
 * count when its engine loads, and ONNX Runtime's native start crashes a JVM that also has DJL's
 * PyTorch jars on its classpath (seen here; the ORT run gets a classpath with ORT alone). The DJL run
 * writes the ONNX model and its own outputs; the ORT run must agree with them within 1e-3, so both
 * compute the same network.
 *
 * <pre>
 * java ... VisionBench djl|djl-eager THREADS RUNS WORKDIR
 * java ... VisionBench ort THREADS RUNS WORKDIR
 * </pre>
 */
public final class VisionBench {

  private VisionBench() {}

  public static void main(String[] args) throws Exception {
    String engine = args[0];
    int threads = Integer.parseInt(args[1]);
    int runs = Integer.parseInt(args[2]);
    Path work = Path.of(args[3]);
    int exit = 0;
    try {
      int s = NanoDet.SIZE;
      float[] input = new float[3 * s * s];
      NanoDet.preprocess(Photos.rgb(Photos.darknet("dog.jpg")), input, 0);
      double ms = switch (engine) {
        case "djl" -> djl(threads, runs, work, input, true);
        case "djl-eager" -> djl(threads, runs, work, input, false);
        case "ort" -> ort(threads, runs, work, input);
        default -> throw new IllegalArgumentException("engine: djl, djl-eager or ort, not " + engine);
      };
      System.out.println(String.format(Locale.ROOT, "{\"bench\":\"vision-engine\",\"engine\":\"%s\",\"threads\":%d,"
          + "\"runs\":%d,\"ms\":%.2f}", engine, threads, runs, ms));
    } catch (Exception e) {
      e.printStackTrace();
      exit = 1;
    }
    System.exit(exit);
  }

  private static double djl(int threads, int runs, Path work, float[] input, boolean compiled) throws Exception {
    if (org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    Files.createDirectories(work);
    Files.write(work.resolve("nanodet.onnx"), OnnxExport.export(graph, NanoDet.SIZE));
    var m = NanoDetDetector.class.getDeclaredMethod("pytorch", int.class);
    m.setAccessible(true);
    m.invoke(null, threads);
    Shape shape = new Shape(1, 3, NanoDet.SIZE, NanoDet.SIZE);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
         GraphRunner djl = compiled ? CompiledGraph.compile(new GraphExecutor(graph, manager), manager, shape)
             : new GraphExecutor(graph, manager)) {
      List<float[]> out = djl.run(input, shape);
      try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(work.resolve("djl-outputs.bin")))) {
        o.writeInt(out.size());
        for (int i = 0; i < out.size(); i++) {
          o.writeUTF(graph.outputs().get(i).replaceAll("[^A-Za-z0-9_]", "_"));
          o.writeInt(out.get(i).length);
          for (float f : out.get(i)) {
            o.writeFloat(f);
          }
        }
      }
      return time(runs, () -> djl.run(input, shape));
    }
  }

  private static double ort(int threads, int runs, Path work, float[] input) throws Exception {
    Map<String, float[]> expected = new TreeMap<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(work.resolve("djl-outputs.bin")))) {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        float[] v = new float[in.readInt()];
        for (int k = 0; k < v.length; k++) {
          v[k] = in.readFloat();
        }
        expected.put(name, v);
      }
    }
    var env = ai.onnxruntime.OrtEnvironment.getEnvironment();
    var options = new ai.onnxruntime.OrtSession.SessionOptions();
    options.setIntraOpNumThreads(threads);
    options.setInterOpNumThreads(1);
    options.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT);
    try (var session = env.createSession(work.resolve("nanodet.onnx").toString(), options)) {
      long[] shape = {1, 3, NanoDet.SIZE, NanoDet.SIZE};
      double worst = 0;
      try (var t = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
           var r = session.run(Map.of("input", t))) {
        for (var e : expected.entrySet()) {
          FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) r.get(e.getKey()).orElseThrow()).getFloatBuffer();
          float[] got = new float[fb.remaining()];
          fb.get(got);
          if (got.length != e.getValue().length) {
            throw new IllegalStateException(e.getKey() + ": " + got.length + " values, DJL gave " + e.getValue().length);
          }
          for (int k = 0; k < got.length; k++) {
            worst = Math.max(worst, Math.abs(got[k] - e.getValue()[k]));
          }
        }
      }
      if (worst > 1e-3) {
        throw new IllegalStateException("ONNX Runtime and DJL disagree by " + worst);
      }
      System.err.printf(Locale.ROOT, "ort: outputs agree with DJL's within %.1e%n", worst);
      return time(runs, () -> {
        try (var t = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
             var r = session.run(Map.of("input", t))) {
          return r.size();
        }
      });
    }
  }

  static final int WARMUP = 30;

  private interface Pass {
    Object run() throws Exception;
  }

  private static double time(int runs, Pass pass) throws Exception {
    // Warm: PyTorch's oneDNN kernels settle only after a few dozen passes (the median of 25
    // passes after 5 was ~50 ms, after 30 it is ~37 ms at 2 threads here).
    for (int w = 0; w < WARMUP; w++) {
      pass.run();
    }
    List<Double> ms = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      pass.run();
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    double[] a = ms.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
