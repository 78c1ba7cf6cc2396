package io.parley.inference.voice;

import io.parley.inference.llm.ChatModel;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.tts.TextToSpeech;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.Optional;

/**
 * The engines and helpers a {@link VoiceSession} uses; absent ones give errors naming their fix.
 * Speech to text, streaming and manual alike, runs on {@code sttWorkers}: one executor per model.
 */
public record VoiceEngines(Optional<VadScheduler> vad, String vadMissing, Optional<SpeechToText> stt, String sttMissing,
                           Optional<ChatModel> chat, String chatMissing, Optional<TextToSpeech> tts,
                           String ttsMissing, WorkerExecutor sttWorkers, WorkerExecutor ttsWorkers,
                           Duration interimEvery) {}
