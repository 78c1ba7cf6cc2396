package io.parley.inference.voice;

import io.parley.inference.llm.ChatModel;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.tts.VoiceLookup;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.Optional;

/**
 * The engines and helpers a {@link VoiceSession} uses; absent ones give errors naming their fix.
 * Speech to text, streaming and manual alike, runs on {@code sttWorkers}: one executor per model.
 * An answer is spoken by the voice {@code voices} has for its language, else by {@code tts}.
 * {@code endOfTurn} decides semantic turn ends ({@code semantic_vad}); without it pauses end turns
 * only after their silence fallback.
 */
public record VoiceEngines(Optional<VadScheduler> vad, String vadMissing, Optional<SpeechToText> stt, String sttMissing,
                           Optional<ChatModel> chat, String chatMissing, Optional<TextToSpeech> tts,
                           String ttsMissing, WorkerExecutor sttWorkers, WorkerExecutor ttsWorkers,
                           Duration interimEvery, VoiceLookup voices, Optional<EndOfTurnScheduler> endOfTurn) {

  /** Engines without an end-of-turn model. */
  public VoiceEngines(Optional<VadScheduler> vad, String vadMissing, Optional<SpeechToText> stt, String sttMissing,
                      Optional<ChatModel> chat, String chatMissing, Optional<TextToSpeech> tts, String ttsMissing,
                      WorkerExecutor sttWorkers, WorkerExecutor ttsWorkers, Duration interimEvery,
                      VoiceLookup voices) {
    this(vad, vadMissing, stt, sttMissing, chat, chatMissing, tts, ttsMissing, sttWorkers, ttsWorkers, interimEvery,
        voices, Optional.empty());
  }

  /** These engines with {@code endOfTurn} deciding semantic turn ends. */
  public VoiceEngines withEndOfTurn(Optional<EndOfTurnScheduler> endOfTurn) {
    return new VoiceEngines(vad, vadMissing, stt, sttMissing, chat, chatMissing, tts, ttsMissing, sttWorkers,
        ttsWorkers, interimEvery, voices, endOfTurn);
  }

  /** Engines with one voice for every language. */
  public VoiceEngines(Optional<VadScheduler> vad, String vadMissing, Optional<SpeechToText> stt, String sttMissing,
                      Optional<ChatModel> chat, String chatMissing, Optional<TextToSpeech> tts, String ttsMissing,
                      WorkerExecutor sttWorkers, WorkerExecutor ttsWorkers, Duration interimEvery) {
    this(vad, vadMissing, stt, sttMissing, chat, chatMissing, tts, ttsMissing, sttWorkers, ttsWorkers, interimEvery,
        VoiceLookup.NONE);
  }

  /** The voice for an answer in {@code language} (empty: unknown): that language's, else the default. */
  public Optional<TextToSpeech> voice(Optional<String> language) {
    return language.flatMap(voices::voiceFor).or(this::tts);
  }
}
