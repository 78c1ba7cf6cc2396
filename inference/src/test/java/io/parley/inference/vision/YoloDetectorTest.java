package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.inference.bench.OnnxExport;
import io.parley.inference.bench.OnnxExport.YoloLayout;
import io.parley.inference.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The YOLO option: an ONNX export in Ultralytics' v8 and v5 output layouts, through DJL's own YOLO
 * translators on its ONNX Runtime engine. No YOLO weights can be fetched here, so the export is
 * NanoDet-m's real weights with a decoding head that writes YOLO's layout ({@link OnnxExport#yolo}):
 * a real detector, run on real photos, through the exact code path an operator's YOLO file takes.
 * DJL's translators stretch the photo to the square input (no letterbox), which costs the car in
 * dog.jpg some confidence: the threshold here is 0.25 where {@link NanoDetPhotosTest} uses 0.35.
 */
class YoloDetectorTest {

  private static final int SIZE = 416;

  @TempDir
  Path dir;

  private YoloDetector open(YoloLayout layout) throws Exception {
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    Path file = dir.resolve("nanodet-as-yolo-" + layout.name().toLowerCase() + ".onnx");
    Files.write(file, OnnxExport.yolo(graph, SIZE, layout));
    return YoloDetector.open(new YoloDetector.Settings(file, YoloDetector.Layout.valueOf(layout.name()), SIZE,
        NanoDet.COCO, 1, 2, 0.25f, 0.5f, "cpu"));
  }

  private static Detections detect(ObjectDetector d, RgbImage img) throws Exception {
    return d.detect(img).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void aV8ExportFindsTheDogTheBicycleAndTheCarInOriginalPixels() throws Exception {
    try (YoloDetector d = open(YoloLayout.V8)) {
      RgbImage img = Photos.rgb(Photos.darknet("dog.jpg"));
      Detections found = detect(d, img);

      List<String> labels = found.objects().stream().map(Detection::label).toList();
      assertThat(labels).contains("dog", "bicycle");
      assertThat(labels).containsAnyOf("car", "truck");
      Detection dog = found.objects().stream().filter(o -> o.label().equals("dog")).findFirst().orElseThrow();
      // The dog sits in the lower left of the 768x576 photo: boxes are mapped back to its pixels.
      assertThat((dog.x1() + dog.x2()) / 2).isLessThan(img.width() / 2f);
      assertThat((dog.y1() + dog.y2()) / 2).isGreaterThan(img.height() / 2f);
      assertThat(dog.x2() - dog.x1()).isGreaterThan(img.width() / 8f);
      for (Detection o : found.objects()) {
        assertThat(o.confidence()).isBetween(0.25f, 1f);
        assertThat(o.x2()).isBetween(o.x1(), (float) img.width());
        assertThat(o.y2()).isBetween(o.y1(), (float) img.height());
      }
      // Best first, as the API promises.
      assertThat(found.objects()).isSortedAccordingTo((a, b) -> Float.compare(b.confidence(), a.confidence()));
      assertThat(found.model()).isEqualTo("yolo-v8");
      assertThat(found.modelVersion()).hasSize(12);
      assertThat(found.width()).isEqualTo(img.width());

      Detections people = detect(d, Photos.rgb(Photos.darknet("person.jpg")));
      assertThat(people.objects().stream().map(Detection::label).toList()).contains("person", "horse");
    }
  }

  @Test
  void aV5ExportGivesTheSameObjects() throws Exception {
    try (YoloDetector v5 = open(YoloLayout.V5); YoloDetector v8 = open(YoloLayout.V8)) {
      RgbImage img = Photos.rgb(Photos.darknet("dog.jpg"));
      Detections a = detect(v5, img);
      Detections b = detect(v8, img);

      assertThat(a.model()).isEqualTo("yolo-v5");
      assertThat(a.objects().stream().map(Detection::label).sorted().toList())
          .isEqualTo(b.objects().stream().map(Detection::label).sorted().toList());
      assertThat(a.objects().getFirst().confidence()).isCloseTo(b.objects().getFirst().confidence(),
          org.assertj.core.data.Offset.offset(1e-4f));
    }
  }

  @Test
  void aFileThatIsNotTheConfiguredLayoutIsRefusedAtOpenNotAtTheFirstPhoto() throws Exception {
    TfjsGraph graph = TfjsGraph.read(Tools.modelsDir().resolve("nanodet/model.json"));
    Path v8 = dir.resolve("v8.onnx");
    Files.write(v8, OnnxExport.yolo(graph, SIZE, YoloLayout.V8));
    // A v8 file read as v5 (85 columns expected) and a class list that does not match.
    assertThatThrownBy(() -> YoloDetector.open(new YoloDetector.Settings(v8, YoloDetector.Layout.V8, SIZE,
        List.of("just", "three", "classes"), 1, 1, 0.35f, 0.5f, "cpu")))
        .isInstanceOf(ParleyException.class).hasMessageContaining("3 classes");

    Path garbage = dir.resolve("garbage.onnx");
    Files.writeString(garbage, "this is not an ONNX model");
    assertThatThrownBy(() -> YoloDetector.open(new YoloDetector.Settings(garbage, YoloDetector.Layout.V8, SIZE,
        NanoDet.COCO, 1, 1, 0.35f, 0.5f, "cpu")))
        .isInstanceOf(ParleyException.class).hasMessageContaining("could not be loaded");

    assertThatThrownBy(() -> YoloDetector.open(new YoloDetector.Settings(dir.resolve("missing.onnx"),
        YoloDetector.Layout.V8, SIZE, NanoDet.COCO, 1, 1, 0.35f, 0.5f, "cpu")))
        .isInstanceOf(ParleyException.class).hasMessageContaining("missing or unreadable");

    Path other = dir.resolve("model.tflite");
    Files.writeString(other, "x");
    assertThatThrownBy(() -> YoloDetector.open(new YoloDetector.Settings(other, YoloDetector.Layout.V8, SIZE,
        NanoDet.COCO, 1, 1, 0.35f, 0.5f, "cpu")))
        .isInstanceOf(ParleyException.class).hasMessageContaining("neither an ONNX export");
  }

  /**
   * A TorchScript file in the v8 layout for a 416 px input, written here because no real one can be
   * made without Python: one candidate box, the centre half of the input, labelled dog with the
   * input's mean value as its score (so a white photo finds it at ~1.0, a black one not at all).
   * It checks the plumbing an operator's {@code yolo export format=torchscript} file takes: DJL's
   * PyTorch engine, its v8 translator, Parley's box mapping; detection quality is the ONNX tests' job.
   */
  private static final String SYNTHETIC_V8 = """
      class Model(Module):
        __parameters__ = []
        __buffers__ = []
        training : bool
        def forward(self: __torch__.Model, x: Tensor) -> Tensor:
          out = torch.zeros([1, 84, 3549])
          out[0, 0, 0] = 208.0
          out[0, 1, 0] = 208.0
          out[0, 2, 0] = 208.0
          out[0, 3, 0] = 208.0
          out[0, 20, 0] = torch.mean(x)
          return out
      """;

  @Test
  void aTorchScriptExportRunsOnThePyTorchEngine() throws Exception {
    Path file = dir.resolve("synthetic-yolo.torchscript");
    Files.write(file, GraphScript.archive(SYNTHETIC_V8));
    try (YoloDetector d = YoloDetector.open(new YoloDetector.Settings(file, YoloDetector.Layout.V8, SIZE,
        NanoDet.COCO, 1, 1, 0.25f, 0.5f, "cpu"))) {
      Detections white = detect(d, filled(800, 600, (byte) 255));
      assertThat(white.objects()).hasSize(1);
      Detection dog = white.objects().getFirst();
      assertThat(dog.label()).isEqualTo("dog");
      assertThat(dog.confidence()).isCloseTo(1f, org.assertj.core.data.Offset.offset(0.01f));
      // The centre half of the 416 px input is the centre half of the 800x600 photo.
      assertThat(dog.x1()).isCloseTo(200f, org.assertj.core.data.Offset.offset(2f));
      assertThat(dog.x2()).isCloseTo(600f, org.assertj.core.data.Offset.offset(2f));
      assertThat(dog.y1()).isCloseTo(150f, org.assertj.core.data.Offset.offset(2f));
      assertThat(dog.y2()).isCloseTo(450f, org.assertj.core.data.Offset.offset(2f));
      assertThat(white.model()).isEqualTo("yolo-v8");

      assertThat(detect(d, filled(800, 600, (byte) 0)).objects()).as("a black photo scores 0").isEmpty();
      Detections grey = detect(d, filled(640, 480, (byte) 128));
      assertThat(grey.objects().getFirst().confidence()).isCloseTo(128 / 255f, org.assertj.core.data.Offset.offset(0.01f));
    }
  }

  private static RgbImage filled(int w, int h, byte v) {
    byte[] rgb = new byte[w * h * 3];
    java.util.Arrays.fill(rgb, v);
    return new RgbImage(w, h, rgb);
  }

  @Test
  void rowsOfAStockExport() {
    assertThat(YoloDetector.rows(640)).isEqualTo(8400);
    assertThat(YoloDetector.rows(SIZE)).isEqualTo(2704 + 676 + 169);
  }
}
