package io.parley.api.engines;

import io.parley.api.assistant.VoiceServices.Slot;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.vision.ObjectDetector;

/**
 * Where a node's native engines run: in its own JVM ({@link LocalEngines}) or in supervised worker
 * processes ({@link EngineWorkers}), behind the same interfaces either way. Each engine is a
 * {@link Slot}: the engine, or why this node has none (naming the setting that fixes it). The node
 * closes what it gets through the slots' engines.
 */
public interface NativeEngines extends AutoCloseable {

  /** Whisper, through JNI. */
  Slot<SpeechToText> speechToText();

  /** llama.cpp, when {@code PARLEY_LLM_ENGINE} picks the local model (an OpenAI-compatible server stays in the node). */
  Slot<ChatModel> llama();

  /** The configured speech synthesis. */
  Slot<TextToSpeech> textToSpeech();

  /** The photo detector (DJL: libtorch or ONNX Runtime). */
  Slot<ObjectDetector> detector();

  /** Stops what the engines run in (worker processes); the engines themselves are closed by their users. */
  @Override
  void close();
}
