package io.parley.inference.vad;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;

/**
 * The process's one ONNX Runtime environment. ONNX Runtime allows a single environment per process,
 * and DJL's ONNX Runtime engine (used for operator-supplied YOLO exports) insists on creating it
 * itself, with its thread-pool options: created anywhere else first, DJL's engine fails to start. So
 * every direct user (Silero VAD) asks DJL's engine to start first and then shares its environment.
 */
public final class OrtEnvironments {

  private OrtEnvironments() {}

  /** The shared environment, created through DJL's ONNX Runtime engine on first use. */
  public static synchronized OrtEnvironment shared() {
    Engine.getEngine("OnnxRuntime");
    return OrtEnvironment.getEnvironment();
  }
}
