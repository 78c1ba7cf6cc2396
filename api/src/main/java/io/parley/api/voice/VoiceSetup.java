package io.parley.api.voice;

import io.parley.core.ParleyException;
import io.parley.core.config.ParleyConfig;
import io.parley.inference.stt.WhisperStt;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.voice.VadScheduler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds this node's voice engines from the configuration. Each engine is optional: one that cannot
 * be set up is logged and left out with a message naming the setting that fixes it, and the rest of
 * the server starts regardless.
 */
public final class VoiceSetup {

  private static final Logger LOG = LoggerFactory.getLogger(VoiceSetup.class);

  private VoiceSetup() {}

  public static VoiceServices start(Vertx vertx, ParleyConfig config) {
    ParleyConfig.Voice v = config.voice();
    List<AutoCloseable> closers = new ArrayList<>();
    WorkerExecutor vadWorker = vertx.createSharedWorkerExecutor("parley-vad", 1);
    WorkerExecutor sttWorkers = vertx.createSharedWorkerExecutor("parley-stt", v.sttWorkers());
    WorkerExecutor ttsWorkers = vertx.createSharedWorkerExecutor("parley-tts", v.ttsWorkers());
    closers.add(vadWorker::close);
    closers.add(sttWorkers::close);
    closers.add(ttsWorkers::close);
    java.util.concurrent.ExecutorService sttExecutor = java.util.concurrent.Executors.newFixedThreadPool(v.sttWorkers(),
        Thread.ofPlatform().name("parley-stt-stream-", 0).daemon(true).factory());
    closers.add(sttExecutor::shutdownNow);

    VoiceServices.Slot<VadScheduler> vad = VoiceServices.Slot.missing(
        "voice activity detection needs " + config.models().resolve(Path.of("vad", "silero_vad_v5.onnx"))
            + " (PARLEY_MODELS): run ./parley models");
    VoiceServices.Slot<SpeechToText> stt;
    try {
      SpeechToText whisper = WhisperStt.open(v);
      closers.add(whisper);
      stt = VoiceServices.Slot.of(whisper);
    } catch (ParleyException e) {
      LOG.warn("voice: speech to text unavailable: {}", e.getMessage());
      stt = VoiceServices.Slot.missing(e.getMessage());
    }
    VoiceServices.Slot<ChatModel> chat = VoiceServices.Slot.missing(
        "no chat model: set PARLEY_LLAMA_MODEL to a GGUF file, or PARLEY_LLM_BASE_URL to an OpenAI-compatible server"
            + " (./parley models --llm downloads a small GGUF where the internet is reachable)");
    VoiceServices.Slot<TextToSpeech> tts = VoiceServices.Slot.missing(
        "no speech synthesis: PARLEY_TTS_ENGINE=freetts needs nothing else; see the server log for why it failed");
    LOG.info("voice: vad={}, stt={}, chat={}, tts={}", vad.engine().isPresent(), stt.engine().isPresent(),
        chat.engine().isPresent(), tts.engine().isPresent());
    return new VoiceServices(vad, stt, chat, tts, sttWorkers, sttExecutor, ttsWorkers, closers);
  }
}
