package io.parley.api.meals;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Photo analysis: the detector and the photo limits, the {@code PARLEY_VISION_*}, {@code
 * PARLEY_PHOTO_*} and {@code PARLEY_MEAL_IMAGE_RETENTION} keys, read and validated by {@link #from}.
 */
public record VisionOptions(boolean enabled, VisionModel model, Optional<Path> yoloFile, YoloLayout yoloLayout,
                            int yoloSize, Optional<Path> yoloClasses, int workers, int threads, Duration batchWindow,
                            int maxBatch, double scoreThreshold, double iouThreshold, VisionDevice device,
                            boolean compile, int maxPhotoBytes, int maxPixels, long uploadMemory, Duration cacheTtl,
                            Duration imageRetention) {
  public VisionOptions {
    if (enabled && model == VisionModel.YOLO && yoloFile.isEmpty()) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_VISION_YOLO_FILE: required with PARLEY_VISION_MODEL=yolo");
    }
    if (uploadMemory < maxPhotoBytes) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_PHOTO_UPLOAD_MEMORY (" + uploadMemory
          + " bytes) must be at least PARLEY_PHOTO_MAX_BYTES (" + maxPhotoBytes + "): no photo would fit");
    }
  }

  /** The same settings with the detector off (a node without the vision role). */
  public VisionOptions withoutDetector() {
    return new VisionOptions(false, model, yoloFile, yoloLayout, yoloSize, yoloClasses, workers, threads, batchWindow,
        maxBatch, scoreThreshold, iouThreshold, device, compile, maxPhotoBytes, maxPixels, uploadMemory, cacheTtl,
        imageRetention);
  }

  /** Threads for a forward pass: the configured count, or one per core. */
  public int effectiveThreads() {
    return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** Detector workers: the configured count, or one per core (at most 64). */
  public int effectiveWorkers() {
    return workers > 0 ? workers : Math.min(64, Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  /** Where the detector runs. */
  public enum VisionDevice { AUTO, CPU, GPU }

  /** Which detector: a bundled one (NanoDet-m, the MobileNetV3 CenterNet) or an operator's YOLO export. */
  public enum VisionModel { NANODET, CENTERNET, YOLO }

  /** A YOLO export's output layout: v8 (also YOLO11) or v5. */
  public enum YoloLayout { V5, V8 }

  /** The photo settings of {@code c}; fails naming the key of the first bad value. */
  public static VisionOptions from(ConfigSource c) {
    return new VisionOptions(
        c.bool(PARLEY_VISION_ENABLED),
        c.choice(PARLEY_VISION_MODEL, VisionModel.class),
        Optional.ofNullable(c.string(PARLEY_VISION_YOLO_FILE)).map(Path::of),
        c.choice(PARLEY_VISION_YOLO_LAYOUT, YoloLayout.class),
        c.integer(PARLEY_VISION_YOLO_SIZE, 32, 4096),
        Optional.ofNullable(c.string(PARLEY_VISION_YOLO_CLASSES)).map(Path::of),
        c.integer(PARLEY_VISION_WORKERS, 0, 64),
        c.integer(PARLEY_VISION_THREADS, 0, 256),
        Duration.ofMillis(c.integer(PARLEY_VISION_BATCH_WINDOW_MS, 0, 1000)),
        c.integer(PARLEY_VISION_MAX_BATCH, 1, 64),
        c.decimal(PARLEY_VISION_SCORE_THRESHOLD, 0.01, 0.99),
        c.decimal(PARLEY_VISION_IOU_THRESHOLD, 0.01, 0.99),
        c.choice(PARLEY_VISION_DEVICE, VisionDevice.class),
        c.bool(PARLEY_VISION_COMPILE),
        c.integer(PARLEY_PHOTO_MAX_BYTES, 1024, 256 * 1024 * 1024),
        c.integer(PARLEY_PHOTO_MAX_PIXELS, 1024, 500_000_000),
        c.integer(PARLEY_PHOTO_UPLOAD_MEMORY, 1024, Integer.MAX_VALUE),
        c.seconds(PARLEY_PHOTO_CACHE_TTL, 0, 30 * 86_400),
        Duration.ofDays(c.integer(PARLEY_MEAL_IMAGE_RETENTION, 1, 3650)));
  }
}
