package io.parley.api.engines;

import java.util.Locale;

/**
 * The engine worker processes a node runs: each group's engines share one process, so a native crash
 * in one takes down only its group's calls.
 */
public enum EngineGroup {
  /** Whisper and speech synthesis: a voice turn's two ends. */
  SPEECH,
  /** llama.cpp (only when it is the chat model). */
  CHAT,
  /** The photo detector (DJL with libtorch or ONNX Runtime). */
  VISION;

  /** The group's name in logs, metrics and process arguments. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
