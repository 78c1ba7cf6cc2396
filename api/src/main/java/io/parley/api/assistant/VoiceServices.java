package io.parley.api.assistant;

import io.parley.inference.llm.ChatModel;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.tts.TtsVoice;
import io.parley.inference.tts.VoiceLookup;
import io.parley.inference.voice.EndOfTurnScheduler;
import io.parley.inference.voice.VadScheduler;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The voice engines of this node and the named worker executors they run on. An engine that could
 * not be set up (no model configured, a bad file) is absent, with a message that names the setting
 * and the command that fixes it; the server runs without it and requests that need it get that
 * message.
 */
public final class VoiceServices implements AutoCloseable {

  /** An engine, or why there is none. */
  public record Slot<T>(Optional<T> engine, String missing) {
    public static <T> Slot<T> of(T engine) {
      return new Slot<>(Optional.of(engine), null);
    }

    public static <T> Slot<T> missing(String why) {
      return new Slot<>(Optional.empty(), why);
    }
  }

  private final Slot<VadScheduler> vad;
  private final Slot<SpeechToText> stt;
  private final Slot<ChatModel> chat;
  private final Slot<TextToSpeech> tts;
  private final VoiceLookup voices;
  private final FairWorkers sttWorkers;
  private final WorkerExecutor ttsWorkers;
  private final Codecs codecs;
  private final List<AutoCloseable> closers = new ArrayList<>();
  private final Slot<EndOfTurnScheduler> endOfTurn;

  /** The audio codec layer: the upload decoder and the executor that decodes and encodes. */
  public record Codecs(io.parley.inference.audio.codec.AudioDecoder decoder, WorkerExecutor workers) {}

  /**
   * @param tts the default voice, for every answer whose language {@code voices} has none for
   * @param voices the voice for each language an answer may be in
   * @param endOfTurn the end-of-turn model of {@code semantic_vad}
   */
  public VoiceServices(Slot<VadScheduler> vad, Slot<SpeechToText> stt, Slot<ChatModel> chat, Slot<TextToSpeech> tts,
                       VoiceLookup voices, FairWorkers sttWorkers, WorkerExecutor ttsWorkers, Codecs codecs,
                       List<AutoCloseable> closers, Slot<EndOfTurnScheduler> endOfTurn) {
    this.vad = vad;
    this.stt = stt;
    this.chat = chat;
    this.tts = tts;
    this.voices = voices;
    this.sttWorkers = sttWorkers;
    this.ttsWorkers = ttsWorkers;
    this.codecs = codecs;
    this.closers.addAll(closers);
    this.endOfTurn = endOfTurn;
  }

  /**
   * The end-of-turn model's scheduler, when this node has one: {@code semantic_vad} works only then
   * (without it a session asking for it is refused with {@link #semanticTurnsMissing()}).
   */
  public Optional<EndOfTurnScheduler> semanticTurns() {
    return endOfTurn.engine();
  }

  /** Why {@code semantic_vad} is unavailable: the missing model and the command that fetches it. */
  public String semanticTurnsMissing() {
    return endOfTurn.missing();
  }

  /** Which engines this node has, for the start banner. */
  public String summary() {
    return "vad " + (vad.engine().isPresent() ? "on" : "off") + ", speech-to-text "
        + stt.engine().map(SpeechToText::model).orElse("off") + ", chat "
        + chat.engine().map(ChatModel::model).orElse("off") + ", speech " + tts.engine().map(TextToSpeech::voice)
        .orElse("off");
  }

  public Optional<VadScheduler> vad() {
    return vad.engine();
  }

  public String vadMissing() {
    return vad.missing();
  }

  public Optional<SpeechToText> speechToText() {
    return stt.engine();
  }

  public String speechToTextMissing() {
    return stt.missing();
  }

  public Optional<ChatModel> chatModel() {
    return chat.engine();
  }

  public String chatModelMissing() {
    return chat.missing();
  }

  public Optional<TextToSpeech> textToSpeech() {
    return tts.engine();
  }

  public String textToSpeechMissing() {
    return tts.missing();
  }

  /**
   * The name of the voice {@code asked} stands for (a voice name, a language code, an OpenAI voice
   * name; null: the default voice); fails {@code INVALID} naming the valid ones. Without speech
   * synthesis on this node, the name as asked (answers then say speech is missing).
   */
  public String voiceName(String asked) {
    return tts.engine().map(t -> t.voiceNamed(asked).name()).orElse(asked);
  }

  /** The voice for a language ({@code es}, {@code pt-BR}, {@code zh}), if this node speaks it. */
  public Optional<TtsVoice> voiceFor(String languageCode) {
    return tts.engine().flatMap(t -> t.voiceFor(languageCode));
  }

  /**
   * The speech-to-text model's workers (platform threads: JNI never on virtual threads), for every
   * use, shared round-robin between users' requests and sessions.
   */
  public FairWorkers sttWorkers() {
    return sttWorkers;
  }

  public WorkerExecutor ttsWorkers() {
    return ttsWorkers;
  }

  /** The decoder of uploaded audio (FFmpeg; blocking: run it on {@link #codecWorkers()}). */
  public io.parley.inference.audio.codec.AudioDecoder decoder() {
    return codecs.decoder();
  }

  /** The audio codec executor (platform threads): decoding uploads, encoding speech. */
  public WorkerExecutor codecWorkers() {
    return codecs.workers();
  }

  /**
   * A realtime session for {@code events}: this node's engines, a VAD segmenter with the configured
   * settings, resamplers between the client's rates and the engines' (16 kHz in; out, from the rate
   * of each answer's voice) and a sentence chunker between the LLM and TTS.
   */
  public io.parley.inference.voice.VoiceSession session(io.vertx.core.Vertx vertx, io.vertx.core.Context context,
      VoiceOptions config, io.parley.inference.voice.VoiceSettings settings,
      java.util.function.Consumer<io.parley.inference.voice.VoiceEvent> events, io.parley.core.voice.ConversationLog log,
      java.util.UUID conversationId, List<io.parley.inference.llm.ChatMessage> history, int inputRate, int outputRate) {
    var engines = new io.parley.inference.voice.VoiceEngines(vad.engine(), vad.missing(), stt.engine(),
        stt.missing(), chat.engine(), chat.missing(), tts.engine(), tts.missing(),
        sttWorkers.forKey("session:" + conversationId), ttsWorkers,
        config.stt().interimEvery(), voices).withEndOfTurn(endOfTurn.engine());
    var toVad = new io.parley.inference.audio.Resampler(inputRate, io.parley.inference.vad.VoiceActivityModel.SAMPLE_RATE);
    var segmenter = new io.parley.inference.vad.VadSegmenter(settings.turnDetection());
    var session = new io.parley.inference.voice.VoiceSession(io.parley.inference.voice.VoiceClock.of(vertx), context,
        settings, engines, events, log,
        conversationId, history, toVad::process,
        rate -> new io.parley.inference.audio.Resampler(rate, outputRate)::process,
        segmenter,
        io.parley.inference.voice.SpokenPieces::new);
    session.outputRate(outputRate);
    return session;
  }

  @Override
  public void close() {
    for (int i = closers.size() - 1; i >= 0; i--) {
      try {
        closers.get(i).close();
      } catch (Exception ignored) {
        // Closing the rest matters more.
      }
    }
  }
}
