package io.parley.inference.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.parley.inference.support.Tools;
import io.parley.inference.vision.CompiledGraph;
import io.parley.inference.vision.GraphExecutor;
import io.parley.inference.vision.NanoDet;
import io.parley.inference.vision.GraphDetector;
import io.parley.inference.vision.Photos;
import io.parley.inference.vision.TfjsGraph;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where NanoDet-m's forward pass spends its time, per operator, on each engine (one JVM per engine,
 * so that neither profile holds the other's threads). {@code djl} writes PyTorch's profiler
 * trace (chrome JSON: each aten/mkldnn op of the compiled module with its duration) of
 * {@code runs} passes after a warm-up, and the ONNX model for the other side; {@code ort} writes ONNX
 * Runtime's profile (each graph node with its duration) of as many passes. Benchmark code.
 *
 * <pre>
 * java ... VisionProfile djl|ort THREADS RUNS WORKDIR
 * </pre>
 */
public final class VisionProfile {

  private VisionProfile() {}

  public static void main(String[] args) throws Exception {
    String engine = args[0];
    int threads = Integer.parseInt(args[1]);
    int runs = Integer.parseInt(args[2]);
    Path work = Path.of(args[3]);
    Files.createDirectories(work);
    int s = NanoDet.SIZE;
    if (engine.equals("ort")) {
      float[] input = new float[3 * s * s];
      NanoDet.preprocess(Photos.rgb(Photos.darknet("dog.jpg")), input, 0);
      ort(threads, runs, work, input);
    } else {
      float[] nhwc = new float[3 * s * s];
      NanoDet.preprocessChannelsLast(Photos.rgb(Photos.darknet("dog.jpg")), nhwc, 0);
      djl(threads, runs, work, nhwc);
    }
    System.exit(0);
  }

  private static void djl(int threads, int runs, Path work, float[] nhwc) throws Exception {
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    Files.write(work.resolve("nanodet.onnx"), OnnxExport.export(graph, NanoDet.SIZE));
    var m = GraphDetector.class.getDeclaredMethod("pytorch", int.class);
    m.setAccessible(true);
    m.invoke(null, threads);
    Shape shape = new Shape(1, 3, NanoDet.SIZE, NanoDet.SIZE);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
         CompiledGraph djl = CompiledGraph.compile(new GraphExecutor(graph, manager), manager, shape)) {
      for (int w = 0; w < VisionBench.WARMUP; w++) {
        djl.runChannelsLast(nhwc, shape);
      }
      if (System.getenv("PROFILE_OFF") != null) {
        long t0 = System.nanoTime();
        for (int r = 0; r < runs; r++) {
          djl.runChannelsLast(nhwc, shape);
        }
        System.out.printf("djl: %.2f ms per pass%n", (System.nanoTime() - t0) / 1e6 / runs);
        return;
      }
      JniUtils.startProfile(false, true, false);
      long t0 = System.nanoTime();
      for (int r = 0; r < runs; r++) {
        djl.runChannelsLast(nhwc, shape);
      }
      long t1 = System.nanoTime();
      JniUtils.stopProfile(work.resolve("djl-trace.json").toString());
      System.out.printf("djl: %.2f ms per pass (profiled)%n", (t1 - t0) / 1e6 / runs);
    }
  }

  private static void ort(int threads, int runs, Path work, float[] input) throws Exception {
    var env = io.parley.inference.vad.OrtEnvironments.shared();
    var options = new ai.onnxruntime.OrtSession.SessionOptions();
    options.setIntraOpNumThreads(threads);
    options.setInterOpNumThreads(1);
    options.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT);
    options.setOptimizedModelFilePath(work.resolve("nanodet-optimized.onnx").toString());
    long[] shape = {1, 3, NanoDet.SIZE, NanoDet.SIZE};
    try (var session = env.createSession(work.resolve("nanodet.onnx").toString(), options)) {
      for (int w = 0; w < VisionBench.WARMUP; w++) {
        pass(env, session, input, shape);
      }
      long t0 = System.nanoTime();
      for (int r = 0; r < runs; r++) {
        pass(env, session, input, shape);
      }
      System.out.printf("ort: %.2f ms per pass%n", (System.nanoTime() - t0) / 1e6 / runs);
    }
    options.enableProfiling(work.resolve("ort-profile").toString());
    try (var session = env.createSession(work.resolve("nanodet.onnx").toString(), options)) {
      for (int w = 0; w < VisionBench.WARMUP; w++) {
        pass(env, session, input, shape);
      }
      for (int r = 0; r < runs; r++) {
        pass(env, session, input, shape);
      }
      System.out.println("ort profile: " + session.endProfiling());
    }
  }

  private static void pass(ai.onnxruntime.OrtEnvironment env, ai.onnxruntime.OrtSession session, float[] input,
                           long[] shape) throws Exception {
    try (var t = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
         var r = session.run(Map.of("input", t))) {
      for (var output : r) {
        FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) output.getValue()).getFloatBuffer();
        fb.get(new float[fb.remaining()]);
      }
    }
  }
}
