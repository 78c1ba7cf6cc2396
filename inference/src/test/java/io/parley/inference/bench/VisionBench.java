package io.parley.inference.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.parley.inference.support.Tools;
import io.parley.inference.vision.CenterNet;
import io.parley.inference.vision.CompiledGraph;
import io.parley.inference.vision.GraphExecutor;
import io.parley.inference.vision.GraphModel;
import io.parley.inference.vision.GraphRunner;
import io.parley.inference.vision.NanoDet;
import io.parley.inference.vision.GraphDetector;
import io.parley.inference.vision.Photos;
import io.parley.inference.vision.RgbImage;
import io.parley.inference.vision.TfjsGraph;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A bundled detector's forward pass (NanoDet-m or the CenterNet) on DJL (PyTorch engine) and on ONNX
 * Runtime 1.29 with the same weights ({@link OnnxExport}), at a given intra-op thread count: one
 * letterboxed photo per pass (416x416 and 512x512), median milliseconds of {@code runs} passes after
 * {@link #WARMUP}. Prints one JSON line. Engines:
 * {@code djl} is what Parley serves with on a CPU, the graph compiled to TorchScript
 * ({@link CompiledGraph}); {@code djl-eager} is {@link GraphExecutor} op by op; {@code pair} times
 * {@code djl} and ONNX Runtime side by side.
 *
 * <p>ONNX Runtime's native start crashes a JVM that also has DJL's PyTorch jars on its classpath
 * (seen here), so {@code pair} starts a second JVM with ONNX Runtime alone ({@code ort-serve}) and
 * the two take turns in blocks of {@link #BLOCK} passes, the order swapped every block, one idle on
 * a pipe while the other runs: both engines see the same moments of a shared machine, which
 * separate runs a minute apart did not (their ratio moved by 0.1 from one run to the next here).
 * The DJL side writes the ONNX model and its own outputs; ONNX Runtime's must agree within 1e-3
 * (relative past 1), so both compute the same network.
 *
 * <pre>
 * java ... VisionBench nanodet|centernet djl|djl-eager THREADS RUNS WORKDIR
 * java ... VisionBench nanodet|centernet pair THREADS RUNS WORKDIR ORT_CLASSPATH
 * </pre>
 */
public final class VisionBench {

  private VisionBench() {}

  public static void main(String[] args) throws Exception {
    GraphModel model = GraphModel.valueOf(args[0].toUpperCase(Locale.ROOT));
    String engine = args[1];
    int threads = Integer.parseInt(args[2]);
    int runs = Integer.parseInt(args[3]);
    Path work = Path.of(args[4]);
    int exit = 0;
    try {
      int s = model.side();
      // DJL gets the photo as a Parley worker does, channels-last; ONNX Runtime takes NCHW.
      float[] nhwc = new float[3 * s * s];
      RgbImage dog = Photos.rgb(Photos.darknet("dog.jpg"));
      if (model == GraphModel.NANODET) {
        NanoDet.preprocessChannelsLast(dog, nhwc, 0);
      } else {
        CenterNet.preprocess(dog, nhwc, 0);
      }
      float[] input = new float[nhwc.length];
      for (int p = 0; p < s * s; p++) {
        for (int c = 0; c < 3; c++) {
          input[c * s * s + p] = nhwc[p * 3 + c];
        }
      }
      if (engine.equals("ort-serve")) {
        ortServe(model, threads, work, input);
      } else if (engine.equals("pair")) {
        double[] ms = pair(model, threads, runs, work, nhwc, args[5]);
        System.out.println(String.format(Locale.ROOT, "{\"bench\":\"vision-engine\",\"model\":\"%s\",\"engine\":\"pair\","
            + "\"threads\":%d,\"runs\":%d,\"djl_ms\":%.2f,\"ort_ms\":%.2f}", model.modelName(), threads, runs, ms[0], ms[1]));
      } else {
        double ms = switch (engine) {
          case "djl" -> djl(model, threads, runs, work, nhwc, true);
          case "djl-eager" -> djl(model, threads, runs, work, nhwc, false);
          default -> throw new IllegalArgumentException("engine: djl, djl-eager or pair, not " + engine);
        };
        System.out.println(String.format(Locale.ROOT, "{\"bench\":\"vision-engine\",\"model\":\"%s\",\"engine\":\"%s\","
            + "\"threads\":%d,\"runs\":%d,\"ms\":%.2f}", model.modelName(), engine, threads, runs, ms));
      }
    } catch (Exception e) {
      e.printStackTrace();
      exit = 1;
    }
    System.exit(exit);
  }

  /** What to do with a ready pass: time it alone, or side by side with ONNX Runtime. */
  private interface Timing<T> {
    T of(Pass pass) throws Exception;
  }

  private static double djl(GraphModel model, int threads, int runs, Path work, float[] nhwc, boolean compiled)
      throws Exception {
    return djl(model, threads, work, nhwc, compiled, pass -> time(runs, pass));
  }

  /** The graph nodes the detector runs (NanoDet-m: the signature's). */
  private static List<String> outputs(GraphModel model, TfjsGraph graph) {
    return model.outputs().isEmpty() ? graph.outputs() : model.outputs();
  }

  /**
   * Sets up DJL (writing the ONNX model and DJL's outputs for the ONNX Runtime side), then
   * {@code timing}; {@code nhwc} is the photo channels-last.
   */
  private static <T> T djl(GraphModel model, int threads, Path work, float[] nhwc, boolean compiled, Timing<T> timing)
      throws Exception {
    if (org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve(model.directory()).resolve("model.json"));
    List<String> names = outputs(model, graph);
    Files.createDirectories(work);
    Files.write(work.resolve(model.directory() + ".onnx"), OnnxExport.export(graph, names, model.side()));
    var m = GraphDetector.class.getDeclaredMethod("pytorch", int.class);
    m.setAccessible(true);
    m.invoke(null, threads);
    Shape shape = new Shape(1, 3, model.side(), model.side());
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
         GraphExecutor executor = new GraphExecutor(graph, names, manager);
         GraphRunner djl = compiled ? CompiledGraph.compile(executor, manager, shape) : executor) {
      List<float[]> out = djl.runChannelsLast(nhwc, shape);
      try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(work.resolve("djl-outputs.bin")))) {
        o.writeInt(out.size());
        for (int i = 0; i < out.size(); i++) {
          o.writeUTF(names.get(i).replaceAll("[^A-Za-z0-9_]", "_"));
          o.writeInt(out.get(i).length);
          for (float f : out.get(i)) {
            o.writeFloat(f);
          }
        }
      }
      return timing.of(() -> djl.runChannelsLast(nhwc, shape));
    }
  }

  /**
   * DJL (compiled) and ONNX Runtime (a child JVM on {@code ortClasspath}) in turns of {@link #BLOCK}
   * passes: {@link #WARMUP} passes each, then {@code runs} timed passes each. Returns the medians,
   * DJL's first.
   */
  private static double[] pair(GraphModel model, int threads, int runs, Path work, float[] nhwc, String ortClasspath)
      throws Exception {
    return djl(model, threads, work, nhwc, true, pass -> {
      String javaBin = ProcessHandle.current().info().command().orElseThrow();
      Process child = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", ortClasspath,
          VisionBench.class.getName(), model.name(), "ort-serve", Integer.toString(threads), "0", work.toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try (var from = new BufferedReader(new InputStreamReader(child.getInputStream()));
           var to = new PrintWriter(child.getOutputStream(), true)) {
        String ready = from.readLine();
        if (!"ready".equals(ready)) {
          throw new IllegalStateException("ONNX Runtime side did not start (" + ready + ")");
        }
        List<Double> djlMs = new ArrayList<>();
        List<Double> ortMs = new ArrayList<>();
        int blocks = (WARMUP + runs + BLOCK - 1) / BLOCK;
        for (int b = 0; b < blocks; b++) {
          for (int turn = 0; turn < 2; turn++) {
            if ((turn == 0) == (b % 2 == 0)) {
              to.println("run " + BLOCK);
              String line = from.readLine();
              if (line == null || !line.startsWith("ms ")) {
                throw new IllegalStateException("ONNX Runtime side: " + line);
              }
              for (String v : line.substring(3).split(",")) {
                ortMs.add(Double.parseDouble(v));
              }
            } else {
              for (int i = 0; i < BLOCK; i++) {
                long t0 = System.nanoTime();
                pass.run();
                djlMs.add((System.nanoTime() - t0) / 1e6);
              }
            }
          }
        }
        to.println("quit");
        if (!child.waitFor(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("ONNX Runtime side did not stop");
        }
        return new double[] {median(djlMs.subList(WARMUP, WARMUP + runs)), median(ortMs.subList(WARMUP, WARMUP + runs))};
      } finally {
        child.destroyForcibly();
      }
    });
  }

  /**
   * The ONNX Runtime side of {@code pair}: loads the exported model, checks its outputs against
   * DJL's, prints {@code ready}, then answers each {@code run K} line with K pass times.
   */
  private static void ortServe(GraphModel model, int threads, Path work, float[] input) throws Exception {
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
    var env = io.parley.inference.vad.OrtEnvironments.shared();
    var options = new ai.onnxruntime.OrtSession.SessionOptions();
    options.setIntraOpNumThreads(threads);
    options.setInterOpNumThreads(1);
    options.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT);
    try (var session = env.createSession(work.resolve(model.directory() + ".onnx").toString(), options)) {
      long[] shape = {1, 3, model.side(), model.side()};
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
            float want = e.getValue()[k];
            worst = Math.max(worst, Math.abs(got[k] - want) / Math.max(1, Math.abs(want))); // relative past 1
          }
        }
      }
      if (worst > 1e-3) {
        throw new IllegalStateException("ONNX Runtime and DJL disagree by " + worst);
      }
      System.err.printf(Locale.ROOT, "ort: outputs agree with DJL's within %.1e%n", worst);
      var in = new BufferedReader(new InputStreamReader(System.in));
      System.out.println("ready");
      System.out.flush();
      for (String line; (line = in.readLine()) != null && line.startsWith("run "); ) {
        int k = Integer.parseInt(line.substring(4).trim());
        StringBuilder ms = new StringBuilder("ms ");
        for (int i = 0; i < k; i++) {
          long t0 = System.nanoTime();
          try (var t = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
               var r = session.run(Map.of("input", t))) {
            // The outputs copied out to Java arrays, as DJL's pass does (and a detector must).
            for (var output : r) {
              FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) output.getValue()).getFloatBuffer();
              fb.get(new float[fb.remaining()]);
            }
          }
          ms.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.4f", (System.nanoTime() - t0) / 1e6));
        }
        System.out.println(ms);
        System.out.flush();
      }
    }
  }

  static final int WARMUP = 30;
  /** Passes per turn in {@code pair}. */
  static final int BLOCK = 5;

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
    return median(ms);
  }

  private static double median(List<Double> values) {
    double[] a = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
