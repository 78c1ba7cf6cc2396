package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.LambdaBlock;
import io.parley.inference.support.Tools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On NanoDet-m: dynamic batching gives the same answers as single images, the compiled graph the
 * same as the op-by-op one, and a run leaks no native memory.
 */
class GraphDetectorTest {

  private static Detections get(io.vertx.core.Future<Detections> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  @Test
  void concurrentImagesAreBatchedAndGetTheirOwnAnswers() throws Exception {
    RgbImage dog = Photos.rgb(Photos.darknet("dog.jpg"));
    RgbImage person = Photos.rgb(Photos.darknet("person.jpg"));
    List<Detections> alone = new ArrayList<>();
    try (GraphDetector single = GraphDetector.open(GraphModel.NANODET, new GraphDetector.Settings(
        Tools.modelsDir().resolve("nanodet"), 1, 2, Duration.ZERO, 1, 0.35f, 0.5f, "cpu"))) {
      alone.add(get(single.detect(dog)));
      alone.add(get(single.detect(person)));
      assertThat(alone.get(0).timings().batchSize()).isEqualTo(1);
    }
    try (GraphDetector batching = GraphDetector.open(GraphModel.NANODET, new GraphDetector.Settings(
        Tools.modelsDir().resolve("nanodet"), 1, 2, Duration.ofMillis(300), 8, 0.35f, 0.5f, "cpu"))) {
      List<io.vertx.core.Future<Detections>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(batching.detect(i % 2 == 0 ? dog : person));
      }
      int largest = 0;
      for (int i = 0; i < 8; i++) {
        Detections d = get(futures.get(i));
        largest = Math.max(largest, d.timings().batchSize());
        assertSameAnswer(d, alone.get(i % 2), "image " + i);
      }
      assertThat(largest).as("images that arrived together ran as one batch").isGreaterThan(1);
      // The worker reuses its input buffer, now sized for that batch: a lone photo uses its start only.
      Detections after = get(batching.detect(person));
      assertThat(after.timings().batchSize()).isEqualTo(1);
      assertSameAnswer(after, alone.get(1), "a lone photo after a batch");
    }
  }

  private static void assertSameAnswer(Detections d, Detections expected, String what) {
    assertThat(d.width()).isEqualTo(expected.width());
    assertThat(d.objects()).as(what).hasSameSizeAs(expected.objects());
    for (int k = 0; k < d.objects().size(); k++) {
      Detection a = d.objects().get(k);
      Detection b = expected.objects().get(k);
      assertThat(a.label()).as(what).isEqualTo(b.label());
      assertThat(a.confidence()).as(what).isCloseTo(b.confidence(), within(1e-3f));
      assertThat(a.x1()).as(what).isCloseTo(b.x1(), within(0.5f));
      assertThat(a.y2()).as(what).isCloseTo(b.y2(), within(0.5f));
    }
  }

  @Test
  void compiledAndOpByOpDetectorsGiveTheSameAnswers() throws Exception {
    RgbImage dog = Photos.rgb(Photos.darknet("dog.jpg"));
    Detections[] answers = new Detections[2];
    for (boolean compiled : new boolean[] {true, false}) {
      try (GraphDetector d = GraphDetector.open(GraphModel.NANODET, new GraphDetector.Settings(
          Tools.modelsDir().resolve("nanodet"), 1, 2, Duration.ZERO, 1, 0.35f, 0.5f, "cpu", compiled))) {
        assertThat(d.compiled()).isEqualTo(compiled);
        answers[compiled ? 0 : 1] = get(d.detect(dog));
      }
    }
    assertThat(answers[0].objects()).isNotEmpty().hasSameSizeAs(answers[1].objects());
    for (int k = 0; k < answers[0].objects().size(); k++) {
      Detection a = answers[0].objects().get(k);
      Detection b = answers[1].objects().get(k);
      assertThat(a.label()).isEqualTo(b.label());
      assertThat(a.confidence()).isCloseTo(b.confidence(), within(1e-4f));
      assertThat(a.x1()).isCloseTo(b.x1(), within(0.1f));
      assertThat(a.y2()).isCloseTo(b.y2(), within(0.1f));
    }
  }

  @Test
  void aChannelsLastPhotoGivesTheSameOutputsAsAPlanarOne() throws Exception {
    GraphDetector.pytorch(2);
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    RgbImage photo = Photos.rgb(Photos.darknet("dog.jpg"));
    float[] planar = new float[3 * NanoDet.SIZE * NanoDet.SIZE];
    float[] interleaved = new float[planar.length];
    Letterbox a = NanoDet.preprocess(photo, planar, 0);
    Letterbox b = NanoDet.preprocessChannelsLast(photo, interleaved, 0);
    assertThat(b).isEqualTo(a);
    // The same values, moved: pixel (y, x) channel c is planar[c * SIZE * SIZE + y * SIZE + x].
    int plane = NanoDet.SIZE * NanoDet.SIZE;
    for (int p : new int[] {0, 210 * NanoDet.SIZE + 200, plane - 1}) {
      for (int c = 0; c < 3; c++) {
        assertThat(interleaved[p * 3 + c]).isEqualTo(planar[c * plane + p]);
      }
    }
    Shape shape = new Shape(1, 3, NanoDet.SIZE, NanoDet.SIZE);
    for (boolean compiled : new boolean[] {false, true}) {
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
           GraphRunner runner = compiled ? CompiledGraph.compile(new GraphExecutor(graph, manager), manager, shape)
               : new GraphExecutor(graph, manager)) {
        List<float[]> expected = runner.run(planar, shape);
        List<float[]> actual = runner.runChannelsLast(interleaved, shape);
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
          assertThat(actual.get(i)).as("output " + i + ", compiled " + compiled)
              .containsExactly(expected.get(i), within(1e-5f));
        }
      }
    }
  }

  @Test
  void aWorkersPredictorFindsTheDogAndLeavesNoArraysBehind() throws Exception {
    GraphDetector.pytorch(2);
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    RgbImage dog = Photos.rgb(Photos.darknet("dog.jpg"));
    Shape shape = new Shape(1, 3, NanoDet.SIZE, NanoDet.SIZE);
    for (boolean compiled : new boolean[] {false, true}) {
      // As a detector worker builds it: the graph as the model's block, the translator around it.
      try (Model model = Model.newInstance(GraphModel.NANODET.modelName(), Device.cpu(), "PyTorch");
           GraphRunner runner = compiled
               ? CompiledGraph.compile(new GraphExecutor(graph, model.getNDManager()), model.getNDManager(), shape)
               : new GraphExecutor(graph, model.getNDManager())) {
        model.setBlock(new LambdaBlock(in -> runner.forward(in.singletonOrThrow())));
        try (Predictor<List<RgbImage>, GraphTranslator.Output> predictor =
                 model.newPredictor(new GraphTranslator(GraphModel.NANODET, 0.35f, 0.5f))) {
          List<Detection> alone = predictor.predict(List.of(dog)).objects().getFirst();
          assertThat(alone).extracting(Detection::label).as("compiled " + compiled).contains("dog", "bicycle");
          int before = model.getNDManager().getManagedArrays().size();
          for (int i = 0; i < 10; i++) {
            GraphTranslator.Output out = predictor.predict(List.of(dog, dog));
            assertThat(out.objects()).hasSize(2);
            assertThat(out.objects().get(1)).extracting(Detection::label)
                .containsExactlyElementsOf(alone.stream().map(Detection::label).toList());
            assertThat(out.decodeNanos()).hasSize(2);
          }
          assertThat(model.getNDManager().getManagedArrays().size()).as("arrays owned by the model, compiled " + compiled)
              .isEqualTo(before);
        }
      }
    }
  }

  /** The C library's {@code getenv}: what libgomp reads, which {@code System.getenv} does not see. */
  private interface LibC extends com.sun.jna.Library {
    String getenv(String name);
  }

  @Test
  void openMpThreadsWaitPassivelyUnlessTheEnvironmentSaysOtherwise() {
    GraphDetector.pytorch(1);
    String given = System.getenv("OMP_WAIT_POLICY");
    assertThat(com.sun.jna.Native.load("c", LibC.class).getenv("OMP_WAIT_POLICY"))
        .isEqualTo(given != null ? given : "PASSIVE");
  }

  @Test
  void repeatedRunsLeaveNoArraysBehind() throws Exception {
    GraphDetector.pytorch(2);
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    float[] input = new float[3 * NanoDet.SIZE * NanoDet.SIZE];
    NanoDet.preprocess(Photos.rgb(Photos.darknet("dog.jpg")), input, 0);
    Shape shape = new Shape(1, 3, NanoDet.SIZE, NanoDet.SIZE);
    for (boolean compiled : new boolean[] {false, true}) {
      try (NDManager manager = NDManager.newBaseManager("PyTorch");
           GraphRunner runner = compiled ? CompiledGraph.compile(new GraphExecutor(graph, manager), manager, shape)
               : new GraphExecutor(graph, manager)) {
        runner.run(input, shape);
        int before = manager.getManagedArrays().size();
        for (int i = 0; i < 30; i++) {
          List<float[]> out = runner.run(input, shape);
          assertThat(out).hasSize(6);
        }
        assertThat(manager.getManagedArrays().size()).as("arrays owned by the model's manager, compiled " + compiled)
            .isEqualTo(before);
      }
    }
  }
}
