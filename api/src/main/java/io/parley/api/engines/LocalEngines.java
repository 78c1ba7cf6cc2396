package io.parley.api.engines;

import io.parley.api.assistant.VoiceOptions;
import io.parley.api.assistant.VoiceServices.Slot;
import io.parley.api.meals.VisionOptions;
import io.parley.core.ParleyException;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.LlamaChatModel;
import io.parley.inference.llm.LlmOptions;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.stt.WhisperStt;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.vision.GraphDetector;
import io.parley.inference.vision.GraphModel;
import io.parley.inference.vision.NanoDet;
import io.parley.inference.vision.ObjectDetector;
import io.parley.inference.vision.YoloDetector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native engines opened in this JVM: the node's own with {@code PARLEY_ENGINE_ISOLATION=inline},
 * and what each engine worker process opens and serves. An engine that cannot be opened is a missing
 * slot whose message names the setting that fixes it; the others open regardless.
 */
public final class LocalEngines implements NativeEngines {

  private static final Logger LOG = LoggerFactory.getLogger(LocalEngines.class);

  private final VoiceOptions voice;
  private final VisionOptions vision;
  private final Path models;
  private final List<Runnable> stops = new ArrayList<>();

  public LocalEngines(VoiceOptions voice, VisionOptions vision, Path models) {
    this.voice = voice;
    this.vision = vision;
    this.models = models;
  }

  @Override
  public Slot<SpeechToText> speechToText() {
    try {
      return Slot.of(WhisperStt.open(voice.stt()));
    } catch (ParleyException e) {
      LOG.warn("voice: speech to text unavailable: {}", e.getMessage());
      return Slot.missing(e.getMessage());
    }
  }

  @Override
  public Slot<ChatModel> llama() {
    if (voice.llm().effectiveEngine() != LlmOptions.LlmEngine.LLAMA) {
      return Slot.missing("the chat model is not llama.cpp on this node (PARLEY_LLM_ENGINE)");
    }
    ExecutorService llmExecutor = Executors.newFixedThreadPool(voice.llm().workers(),
        Thread.ofPlatform().name("parley-llm-", 0).daemon(true).factory());
    try {
      ChatModel model = LlamaChatModel.open(LlamaChatModel.Settings.of(voice.llm()), llmExecutor);
      synchronized (stops) {
        stops.add(llmExecutor::shutdownNow);
      }
      return Slot.of(model);
    } catch (ParleyException e) {
      llmExecutor.shutdownNow();
      LOG.warn("voice: chat model unavailable: {}", e.getMessage());
      return Slot.missing(e.getMessage());
    }
  }

  @Override
  public Slot<TextToSpeech> textToSpeech() {
    try {
      return Slot.of(voice.tts().open(warning -> LOG.warn("voice: {}", warning)));
    } catch (ParleyException e) {
      LOG.warn("voice: speech synthesis unavailable: {}", e.getMessage());
      return Slot.missing(e.getMessage());
    }
  }

  @Override
  public Slot<ObjectDetector> detector() {
    VisionOptions v = vision;
    String device = v.device().name().toLowerCase(Locale.ROOT);
    try {
      return Slot.of(switch (v.model()) {
        case YOLO -> YoloDetector.open(new YoloDetector.Settings(v.yoloFile().orElseThrow(),
            YoloDetector.Layout.valueOf(v.yoloLayout().name()), v.yoloSize(), yoloClasses(v), v.effectiveWorkers(),
            v.effectiveThreads(), (float) v.scoreThreshold(), (float) v.iouThreshold(), device));
        case NANODET, CENTERNET -> {
          GraphModel model = GraphModel.valueOf(v.model().name());
          yield GraphDetector.open(model, new GraphDetector.Settings(models.resolve(model.directory()),
              v.effectiveWorkers(), v.effectiveThreads(), v.batchWindow(), v.maxBatch(), (float) v.scoreThreshold(),
              (float) v.iouThreshold(), device, v.compile()));
        }
      });
    } catch (ParleyException | IllegalArgumentException e) {
      LOG.warn("vision: the detector is unavailable: {}", e.getMessage());
      String fix = v.model() == VisionOptions.VisionModel.YOLO
          ? " (check PARLEY_VISION_YOLO_FILE, PARLEY_VISION_YOLO_LAYOUT, PARLEY_VISION_YOLO_SIZE and PARLEY_VISION_YOLO_CLASSES)"
          : " (the " + v.model().name().toLowerCase(Locale.ROOT) + " model comes with ./parley models)";
      return Slot.missing(e.getMessage() + fix);
    }
  }

  /** The YOLO export's class names: the configured file (one per line, blank lines skipped) or COCO's 80. */
  static List<String> yoloClasses(VisionOptions v) {
    if (v.yoloClasses().isEmpty()) {
      return NanoDet.COCO;
    }
    Path file = v.yoloClasses().get();
    try {
      return Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    } catch (java.io.IOException e) {
      throw new ParleyException(ParleyException.Reason.CONFIG, "PARLEY_VISION_YOLO_CLASSES: cannot read " + file
          + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    synchronized (stops) {
      stops.forEach(Runnable::run);
      stops.clear();
    }
  }
}
