package io.parley.inference.vision;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.BoundingBox;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.modality.cv.translator.ObjectDetectionTranslator;
import ai.djl.modality.cv.translator.YoloV5Translator;
import ai.djl.modality.cv.translator.YoloV8Translator;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.vad.OrtEnvironments;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's YOLO detection export (YOLOv5, YOLOv8 or YOLO11) through DJL's own YOLO translators:
 * an {@code .onnx} file on DJL's ONNX Runtime engine, a TorchScript file ({@code .pt},
 * {@code .torchscript}) on its PyTorch engine. The translator resizes the photo to the export's
 * square input, scales it to [0, 1], and after the pass keeps boxes above the score threshold and
 * runs class-wise NMS; boxes come back as fractions of the input and are mapped here to the
 * original pixels.
 *
 * <p>Layouts: {@link Layout#V8} is Ultralytics' v8/11 export ({@code [1, 4 + classes, boxes]}, box
 * centre, width and height in input pixels, then class scores); {@link Layout#V5} is v5's
 * ({@code [1, boxes, 5 + classes]} with an objectness column).
 *
 * <p>Threads as in {@link GraphDetector}: {@code workers} platform threads, each with its own DJL
 * {@link Predictor}; at most {@link #MAX_QUEUED} images wait, beyond that {@link #detect} fails with
 * {@code LIMITED}; results complete on the caller's Vert.x context. No dynamic batching: DJL's YOLO
 * translators take one image per pass.
 */
public final class YoloDetector implements ObjectDetector {

  private static final Logger LOG = LoggerFactory.getLogger(YoloDetector.class);

  public static final int MAX_QUEUED = DetectorQueue.MAX_QUEUED;

  /** The export's output layout. */
  public enum Layout { V5, V8 }

  /**
   * @param classes the export's class names in its order (COCO's 80 for a stock export)
   * @param device {@code auto}, {@code cpu} or {@code gpu}
   */
  public record Settings(Path file, Layout layout, int size, List<String> classes, int workers, int threads,
                         float scoreThreshold, float iouThreshold, String device) {
    public Settings {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(layout, "layout");
      classes = List.copyOf(classes);
      if (size < 32 || size > 4096 || size % 32 != 0) {
        throw new IllegalArgumentException("the YOLO input side must be a multiple of 32 in 32..4096, got " + size);
      }
      if (classes.isEmpty()) {
        throw new IllegalArgumentException("a YOLO export needs at least one class name");
      }
      if (workers < 1 || workers > 64 || threads < 1 || threads > 256) {
        throw new IllegalArgumentException("workers must be 1..64 and threads 1..256");
      }
      if (!(scoreThreshold > 0 && scoreThreshold < 1) || !(iouThreshold > 0 && iouThreshold < 1)) {
        throw new IllegalArgumentException("score and IoU thresholds must be in (0, 1)");
      }
      if (!List.of("auto", "cpu", "gpu").contains(device)) {
        throw new IllegalArgumentException("device must be auto, cpu or gpu, got " + device);
      }
    }
  }

  private final Settings settings;
  private final ZooModel<Image, DetectedObjects> model;
  private final String name;
  private final String version;
  private final DetectorQueue queue = new DetectorQueue();

  private YoloDetector(Settings settings, ZooModel<Image, DetectedObjects> model, String version) {
    this.settings = settings;
    this.model = model;
    this.name = "yolo-" + settings.layout().name().toLowerCase(Locale.ROOT);
    this.version = version;
  }

  /**
   * Loads the export and starts the workers. A missing, unreadable or malformed file, or one whose
   * outputs do not fit the layout and class count, is {@code UNAVAILABLE} with the reason.
   */
  public static YoloDetector open(Settings settings) {
    Path file = settings.file().toAbsolutePath();
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ParleyException(Reason.UNAVAILABLE, "the YOLO export " + file + " is missing or unreadable");
    }
    String engineName = engineFor(file);
    Engine engine = engineName.equals("PyTorch") ? GraphDetector.pytorch(settings.threads()) : onnxRuntime();
    Device device = switch (settings.device()) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (engine.getGpuCount() == 0) {
          throw new ParleyException(Reason.CONFIG, "PARLEY_VISION_DEVICE=gpu, but " + engineName + " sees no GPU");
        }
        yield Device.gpu();
      }
      default -> engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    };
    Criteria<Image, DetectedObjects> criteria = Criteria.builder()
        .setTypes(Image.class, DetectedObjects.class)
        .optModelPath(file)
        .optEngine(engineName)
        .optDevice(device)
        .optOption("intraOpNumThreads", Integer.toString(settings.threads())) // ONNX Runtime; PyTorch's is global
        .optOption("interOpNumThreads", "1")
        .optTranslator(translator(settings))
        .build();
    ZooModel<Image, DetectedObjects> model;
    try {
      model = criteria.loadModel();
    } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "the YOLO export " + file + " could not be loaded on "
          + engineName + ": " + e.getMessage(), e);
    }
    YoloDetector d = new YoloDetector(settings, model, GraphDetector.sha256Prefix(List.of(file), file));
    // One pass on this thread: an export whose outputs do not match the layout fails open(), not a request.
    try (Predictor<Image, DetectedObjects> p = model.newPredictor()) {
      p.predict(ImageFactory.getInstance().fromPixels(new int[settings.size() * settings.size()], settings.size(),
          settings.size()));
    } catch (TranslateException | RuntimeException e) {
      model.close();
      throw new ParleyException(Reason.UNAVAILABLE, "the YOLO export " + file + " does not give " + settings.layout()
          + " output for " + settings.classes().size() + " classes at " + settings.size() + " px: " + rootMessage(e), e);
    }
    d.queue.start(settings.workers(), d::work);
    LOG.info("vision: {} {} from {} on {} {} ({} workers, {} classes, {} px)", d.name, d.version, file.getFileName(),
        engineName, device, settings.workers(), settings.classes().size(), settings.size());
    return d;
  }

  /** ONNX Runtime by file name; TorchScript otherwise; anything else is a configuration error. */
  static String engineFor(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".onnx")) {
      return "OnnxRuntime";
    }
    if (n.endsWith(".pt") || n.endsWith(".torchscript")) {
      return "PyTorch";
    }
    throw new ParleyException(Reason.CONFIG, "PARLEY_VISION_YOLO_FILE: " + file.getFileName()
        + " is neither an ONNX export (.onnx) nor TorchScript (.pt, .torchscript)");
  }

  private static Engine onnxRuntime() {
    OrtEnvironments.shared();
    return Engine.getEngine("OnnxRuntime");
  }

  private static ObjectDetectionTranslator translator(Settings s) {
    Map<String, Object> args = new HashMap<>();
    args.put("width", s.size());
    args.put("height", s.size());
    args.put("resize", "true");
    args.put("optApplyRatio", "true"); // boxes as fractions of the input = fractions of the photo
    args.put("threshold", s.scoreThreshold());
    args.put("nmsThreshold", s.iouThreshold());
    if (s.layout() == Layout.V8) {
      // DJL scans rows (numberRows - 1) down to (numberRows - maxBox), exclusive: one more than the
      // export's rows covers all of them (its default, 8400, skips row 0 at 640 px and reads
      // before the array at smaller sizes).
      args.put("maxBox", rows(s.size()) + 1);
      return YoloV8Translator.builder(args).optSynset(s.classes()).build();
    }
    args.put("outputType", "BOX");
    return YoloV5Translator.builder(args).optSynset(s.classes()).build();
  }

  /** Prediction rows of a stock export: one per cell of the stride 8, 16 and 32 grids. */
  static int rows(int size) {
    int n = 0;
    for (int stride : new int[] {8, 16, 32}) {
      int g = (size + stride - 1) / stride;
      n += g * g;
    }
    return n;
  }

  @Override
  public Future<Detections> detect(RgbImage image) {
    return queue.submit(image);
  }

  private void work() {
    try (Predictor<Image, DetectedObjects> predictor = model.newPredictor()) {
      while (!queue.closed()) {
        DetectorQueue.Request r = queue.poll(100, TimeUnit.MILLISECONDS);
        if (r == null) {
          continue;
        }
        try {
          DetectorQueue.complete(r, run(predictor, r), null);
        } catch (TranslateException | RuntimeException e) {
          LOG.warn("vision: a YOLO pass failed", e);
          DetectorQueue.complete(r, null, new ParleyException(Reason.INTERNAL, "the detector failed: " + rootMessage(e), e));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Detections run(Predictor<Image, DetectedObjects> predictor, DetectorQueue.Request r) throws TranslateException {
    long started = System.nanoTime();
    RgbImage img = r.image();
    Image input = ImageFactory.getInstance().fromPixels(argb(img), img.width(), img.height());
    long prepared = System.nanoTime();
    DetectedObjects found = predictor.predict(input);
    long inferred = System.nanoTime();
    List<Detection> objects = new ArrayList<>();
    for (DetectedObjects.DetectedObject o : found.<DetectedObjects.DetectedObject>items()) {
      BoundingBox box = o.getBoundingBox();
      Rectangle b = box.getBounds();
      float x1 = clamp((float) b.getX() * img.width(), img.width());
      float y1 = clamp((float) b.getY() * img.height(), img.height());
      float x2 = clamp((float) (b.getX() + b.getWidth()) * img.width(), img.width());
      float y2 = clamp((float) (b.getY() + b.getHeight()) * img.height(), img.height());
      if (x2 > x1 && y2 > y1) {
        objects.add(new Detection(o.getClassName(), (float) o.getProbability(), x1, y1, x2, y2));
      }
    }
    objects.sort(Comparator.comparingDouble(Detection::confidence).reversed());
    if (objects.size() > Boxes.MAX_OBJECTS) {
      objects = objects.subList(0, Boxes.MAX_OBJECTS);
    }
    long done = System.nanoTime();
    Detections.Timings t = new Detections.Timings((started - r.queuedAt()) / 1000, (prepared - started) / 1000,
        (inferred - prepared) / 1000, (done - inferred) / 1000, 1);
    return new Detections(objects, img.width(), img.height(), name, version, t);
  }

  private static int[] argb(RgbImage img) {
    byte[] rgb = img.rgb();
    int[] px = new int[img.width() * img.height()];
    for (int i = 0, j = 0; i < px.length; i++, j += 3) {
      px[i] = 0xFF000000 | (rgb[j] & 0xFF) << 16 | (rgb[j + 1] & 0xFF) << 8 | (rgb[j + 2] & 0xFF);
    }
    return px;
  }

  private static float clamp(float v, int max) {
    return Math.max(0, Math.min(max, v));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  @Override
  public String model() {
    return name;
  }

  @Override
  public String modelVersion() {
    return version;
  }

  @Override
  public void close() {
    queue.close();
    model.close();
  }
}
