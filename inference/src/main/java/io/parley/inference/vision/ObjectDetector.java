package io.parley.inference.vision;

import io.vertx.core.Future;

/**
 * Object detection, asynchronous: the work runs on the detector's own worker threads (never the
 * caller's event loop) and may be batched with other callers' images. Failures arrive as a failed
 * future carrying a {@link io.parley.core.ParleyException}.
 */
public interface ObjectDetector extends AutoCloseable {

  /** Detects objects in one upright RGB image. */
  Future<Detections> detect(RgbImage image);

  /** The model's name, e.g. {@code nanodet-m}. */
  String model();

  /** The model's version (for NanoDet the weights' sha256 prefix). */
  String modelVersion();

  @Override
  void close();
}
