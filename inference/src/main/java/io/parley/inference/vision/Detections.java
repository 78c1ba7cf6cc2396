package io.parley.inference.vision;

import java.util.List;

/**
 * What one image gave: the objects (best first), the image's size, the model that ran and where the
 * time went. {@code batchSize} is how many images shared the forward pass this one ran in.
 */
public record Detections(
    List<Detection> objects, int width, int height, String model, String modelVersion, Timings timings) {

  public Detections {
    objects = List.copyOf(objects);
  }

  /** Microseconds spent waiting for a worker, preparing the input, in the forward pass and decoding. */
  public record Timings(long queuedMicros, long preprocessMicros, long inferenceMicros, long postprocessMicros,
      int batchSize) {}
}
