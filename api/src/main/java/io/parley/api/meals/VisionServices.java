package io.parley.api.meals;

import io.parley.core.ParleyException;
import io.parley.inference.vision.ObjectDetector;
import io.parley.api.engines.LocalEngines;
import io.parley.api.engines.NativeEngines;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.parley.inference.vision.Detection;
import io.parley.inference.vision.Detections;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's photo analysis: the detector (absent, with the reason, when it could not be set up:
 * the server runs without it and photo requests get that reason), the photo decoder with its
 * limits, and the named worker pool that decodes ({@code parley-photo}, never an event loop).
 */
public final class VisionServices implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(VisionServices.class);

  /** Photos decoded at once per node (each may hold up to PARLEY_PHOTO_MAX_PIXELS x 3 bytes). */
  public static final int DECODERS = 2;

  private final Optional<ObjectDetector> detector;
  private final String missing;
  private final ImageInput input;
  private final WorkerExecutor decoders;
  private final VisionOptions config;
  /** Analyses stopped because their client had gone. */
  private final java.util.concurrent.atomic.AtomicLong cancelled = new java.util.concurrent.atomic.AtomicLong();

  public VisionServices(Optional<ObjectDetector> detector, String missing, ImageInput input, WorkerExecutor decoders,
                        VisionOptions config) {
    this.detector = detector;
    this.missing = missing;
    this.input = input;
    this.decoders = decoders;
    this.config = config;
  }

  /** The photo services of this node, the detector in this JVM; the models directory holds the bundled detectors' folders. */
  public static VisionServices start(Vertx vertx, VisionOptions v, java.nio.file.Path models) {
    return start(vertx, v, new LocalEngines(
        io.parley.api.assistant.VoiceOptions.from(io.parley.core.config.ConfigSource.of(java.util.Map.of())), v, models));
  }

  /** The photo services of this node, the detector from {@code engines} (this JVM's, or a worker process's). */
  public static VisionServices start(Vertx vertx, VisionOptions v, NativeEngines engines) {
    ImageInput input = new ImageInput(v.maxPhotoBytes(), v.maxPixels());
    WorkerExecutor decoders = vertx.createSharedWorkerExecutor("parley-photo", DECODERS);
    if (!v.enabled()) {
      return new VisionServices(Optional.empty(), "photo analysis is off on this node (PARLEY_VISION_ENABLED=false, or PARLEY_ROLES without vision)",
          input, decoders, v);
    }
    io.parley.api.assistant.VoiceServices.Slot<ObjectDetector> slot = engines.detector();
    return new VisionServices(slot.engine(), slot.missing(), input, decoders, v);
  }

  public Optional<ObjectDetector> detector() {
    return detector;
  }

  /** Why there is no detector, naming the fix. */
  public String missing() {
    return missing;
  }

  public ImageInput input() {
    return input;
  }

  public WorkerExecutor decoders() {
    return decoders;
  }

  /** Analyses stopped before decoding or detecting because their client had gone, since start. */
  public long cancelled() {
    return cancelled.get();
  }

  public VisionOptions config() {
    return config;
  }

  /**
   * A photo analysed: the decoded picture, how long decoding took, the detector's answer and its
   * objects in the full upright picture's pixels (the picture may have been decoded subsampled).
   */
  public record Analysis(ImageInput.Decoded decoded, double decodeMs, Detections detections, List<Detection> objects) {}

  /**
   * Decodes {@code bytes} on the photo workers and detects on the detector's; fails with the input's
   * {@code ApiProblem}s, or {@code UNAVAILABLE} naming the fix when this node has no detector.
   */
  public Future<Analysis> analyze(byte[] bytes) {
    return analyze(bytes, () -> false);
  }

  /**
   * {@link #analyze(byte[])} for a client that may go away: {@code gone} is asked before decoding
   * and before detecting, and once it says so the work stops there, failing with
   * {@link java.util.concurrent.CancellationException} (nothing is done for nobody).
   */
  public Future<Analysis> analyze(byte[] bytes, java.util.function.BooleanSupplier gone) {
    if (detector.isEmpty()) {
      return Future.failedFuture(new ParleyException(ParleyException.Reason.UNAVAILABLE, missing));
    }
    ObjectDetector d = detector.get();
    return decoders.executeBlocking(() -> {
      if (gone.getAsBoolean()) {
        cancelled.incrementAndGet();
        throw new java.util.concurrent.CancellationException("the client went away before its photo was decoded");
      }
      long t0 = System.nanoTime();
      ImageInput.Decoded decoded = input.decode(bytes);
      return new Object[] {decoded, (System.nanoTime() - t0) / 1e6};
    }, false).compose(r -> {
      if (gone.getAsBoolean()) {
        cancelled.incrementAndGet();
        return Future.failedFuture(new java.util.concurrent.CancellationException(
            "the client went away before its photo was analysed"));
      }
      ImageInput.Decoded decoded = (ImageInput.Decoded) r[0];
      return d.detect(decoded.image()).map(det -> {
        double sx = decoded.scaleX();
        double sy = decoded.scaleY();
        List<Detection> full = new ArrayList<>(det.objects().size());
        for (Detection o : det.objects()) {
          full.add(new Detection(o.label(), o.confidence(), (float) Math.min(decoded.width(), o.x1() * sx),
              (float) Math.min(decoded.height(), o.y1() * sy), (float) Math.min(decoded.width(), o.x2() * sx),
              (float) Math.min(decoded.height(), o.y2() * sy)));
        }
        return new Analysis(decoded, (double) r[1], det, full);
      });
    });
  }

  @Override
  public void close() {
    detector.ifPresent(ObjectDetector::close);
    decoders.close();
  }
}
