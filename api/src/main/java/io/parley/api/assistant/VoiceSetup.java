package io.parley.api.assistant;

import io.parley.api.engines.LocalEngines;
import io.parley.api.engines.NativeEngines;
import io.parley.core.ParleyException;
import io.parley.inference.DefaultModel;
import io.parley.inference.audio.codec.AudioDecoder;
import io.parley.inference.llm.OpenAiChatModel;
import io.parley.inference.vad.SileroVad;
import io.parley.inference.vad.SmartTurn;
import io.parley.inference.voice.EndOfTurnScheduler;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.tts.VoiceLookup;
import io.parley.inference.voice.VadScheduler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds this node's voice engines from their options. Each engine is optional: one that cannot
 * be set up is logged and left out with a message naming the setting that fixes it, and the rest of
 * the server starts regardless.
 */
public final class VoiceSetup {

  private static final Logger LOG = LoggerFactory.getLogger(VoiceSetup.class);

  /** Threads decoding uploads and encoding speech: a transcription or speech request holds one briefly. */
  static final int CODEC_WORKERS = 2;

  private VoiceSetup() {}

  /** The engines {@code v} configures, all in this JVM; Silero's model file under {@code models}. */
  public static VoiceServices start(Vertx vertx, VoiceOptions v, Path models,
                                    io.micrometer.core.instrument.MeterRegistry registry) {
    return start(vertx, v, models, registry, new LocalEngines(v, io.parley.api.meals.VisionOptions.from(io.parley.core.config.ConfigSource.of(java.util.Map.of())), models));
  }

  /**
   * The engines {@code v} configures; Silero's model file under {@code models}; Whisper, llama.cpp and
   * speech synthesis from {@code engines} (this JVM's, or worker processes'). VAD and the end-of-turn
   * model always run in this JVM: they score every 32 ms frame of every session, where a process hop
   * per frame would cost more than the model.
   */
  public static VoiceServices start(Vertx vertx, VoiceOptions v, Path models,
                                    io.micrometer.core.instrument.MeterRegistry registry, NativeEngines engines) {
    EngineMeters meters = new EngineMeters(registry);
    List<AutoCloseable> closers = new ArrayList<>();
    closers.add(engines);
    WorkerExecutor vadWorker = vertx.createSharedWorkerExecutor("parley-vad", 1);
    WorkerExecutor sttExecutor = vertx.createSharedWorkerExecutor("parley-stt", v.stt().workers());
    FairWorkers sttWorkers = new FairWorkers(sttExecutor, v.stt().workers(), registry);
    WorkerExecutor ttsWorkers = vertx.createSharedWorkerExecutor("parley-tts", v.tts().workers());
    closers.add(vadWorker::close);
    closers.add(sttExecutor::close);
    closers.add(ttsWorkers::close);
    WorkerExecutor codecWorkers = vertx.createSharedWorkerExecutor("parley-audio", CODEC_WORKERS);
    closers.add(codecWorkers::close);
    var codecs = new VoiceServices.Codecs(new AudioDecoder(v.codec()), codecWorkers);

    if (!v.enabled()) {
      String off = "the voice engines are off on this node (PARLEY_VOICE_ENABLED=false, or PARLEY_ROLES without voice)";
      LOG.info("voice: {}", off);
      return new VoiceServices(VoiceServices.Slot.missing(off), VoiceServices.Slot.missing(off),
          VoiceServices.Slot.missing(off), VoiceServices.Slot.missing(off), VoiceLookup.NONE, sttWorkers, ttsWorkers,
          codecs, closers, VoiceServices.Slot.missing(off));
    }
    VoiceServices.Slot<VadScheduler> vad;
    try {
      SileroVad silero = SileroVad.open(models, v.vad().silero());
      closers.add(silero);
      vad = VoiceServices.Slot.of(new VadScheduler(silero, vadWorker));
    } catch (ParleyException e) {
      LOG.warn("voice: voice activity detection unavailable: {}", e.getMessage());
      vad = VoiceServices.Slot.missing(e.getMessage());
    }
    VoiceServices.Slot<SpeechToText> stt = engines.speechToText();
    stt.engine().ifPresent(closers::add);
    VoiceServices.Slot<ChatModel> chat;
    try {
      ChatModel model = switch (v.llm().effectiveEngine()) {
        case LLAMA -> {
          VoiceServices.Slot<ChatModel> llama = engines.llama();
          yield llama.engine().orElseThrow(() -> new ParleyException(ParleyException.Reason.UNAVAILABLE, llama.missing()));
        }
        case OPENAI -> new OpenAiChatModel(vertx, OpenAiChatModel.Settings.of(v.llm()));
        default -> throw new ParleyException(ParleyException.Reason.UNAVAILABLE, DefaultModel.CHAT.missing()
            + ", or PARLEY_LLM_BASE_URL to an OpenAI-compatible server (vLLM, llama.cpp server, Ollama)");
      };
      closers.add(model);
      chat = VoiceServices.Slot.of(meters.count(model));
    } catch (ParleyException e) {
      LOG.warn("voice: chat model unavailable: {}", e.getMessage());
      chat = VoiceServices.Slot.missing(e.getMessage());
    }
    // One engine speaks every language it has voices for: an answer's language picks the voice within
    // it (VoiceSession: eSpeak NG's Spanish for Spanish under `auto`). VoiceLookup is where a separate
    // engine for some language would be wired; none is.
    VoiceServices.Slot<TextToSpeech> tts = engines.textToSpeech();
    tts.engine().ifPresent(closers::add);
    tts = tts.engine().map(e -> VoiceServices.Slot.of(meters.count(e))).orElse(tts);
    VoiceLookup voices = VoiceLookup.NONE;
    VoiceServices.Slot<EndOfTurnScheduler> endOfTurn = endOfTurn(vertx, v, closers);
    LOG.info("voice: vad={}, stt={}, chat={}, tts={}, semantic_vad={}", vad.engine().isPresent(),
        stt.engine().isPresent(), chat.engine().isPresent(), tts.engine().isPresent(),
        endOfTurn.engine().isPresent());
    return new VoiceServices(vad, stt, chat, tts, voices, sttWorkers, ttsWorkers, codecs, closers, endOfTurn);
  }

  /** Smart Turn on its own worker ({@code parley-turn}), when a model file is configured or fetched. */
  private static VoiceServices.Slot<EndOfTurnScheduler> endOfTurn(Vertx vertx, VoiceOptions v,
                                                                  List<AutoCloseable> closers) {
    if (v.semanticVad().model().isEmpty()) {
      String missing = DefaultModel.SMART_TURN.missing();
      LOG.info("voice: semantic_vad unavailable: {}", missing);
      return VoiceServices.Slot.missing(missing);
    }
    try {
      SmartTurn model = SmartTurn.openFile(v.semanticVad().model().get(), v.semanticVad().threads());
      WorkerExecutor worker = vertx.createSharedWorkerExecutor("parley-turn", 1);
      closers.add(worker::close);
      closers.add(model);
      return VoiceServices.Slot.of(new EndOfTurnScheduler(model::complete, worker));
    } catch (ParleyException e) {
      LOG.warn("voice: semantic_vad unavailable: {}", e.getMessage());
      return VoiceServices.Slot.missing(e.getMessage());
    }
  }
}
