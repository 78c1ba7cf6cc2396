package io.parley.inference.voice;

import io.parley.inference.llm.ChatModel;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One answer of a {@link VoiceSession} (livekit's {@code SpeechHandle}): LLM text streams out, is
 * cut into sentences ({@link VoiceSession.Chunker}) for TTS, whose audio leaves paced to the
 * playout clock ({@link AudioPacer}) while the LLM still writes. It keeps what it said, sentence by
 * sentence, so the text heard by any moment of playout can be told ({@link #heardText}).
 * {@link #interrupt} stops its work at once; results that arrive later are dropped where they
 * arrive. The model's rounds ({@link ModelRounds}): when it calls tools, the server's are run and
 * the answer goes on with a new request carrying their results; the client's end it. Confined to
 * the session's context, like the session.
 */
final class Responder {

  private static final Logger LOG = LoggerFactory.getLogger(Responder.class);

  /** Hears that an answer ended by itself (completed, or its model failed). */
  interface Finished {
    void finished(Responder responder, VoiceEvent.Status status, VoiceEvent.Reason reason);
  }

  final String id;
  final String itemId;
  final TurnTimings timings;
  private final VoiceClock clock;
  private final Context context;
  private final VoiceEngines engines;
  /** The voice the answer is spoken with (for its language), and its audio to the output rate. */
  private final Optional<TextToSpeech> voice;
  private final VoiceSession.Converter fromTts;
  private final VoiceSession.Chunker chunker;
  private final boolean audioOut;
  private final SpeechStyle speech;
  private final Consumer<VoiceEvent> events;
  private final Finished finished;
  private final AudioPacer audio;

  private final Deque<String> sentences = new ArrayDeque<>();
  private final SpokenText spoken;
  private final ModelRounds model;
  private int messageIndex = -1;
  /** False once finished or interrupted; read by TTS workers. */
  private volatile boolean live = true;
  private boolean llmDone;
  private boolean ended;
  private boolean ttsBusy;
  private boolean ttsStarted;

  Responder(String id, String itemId, TurnTimings timings, VoiceClock clock, Context context,
            VoiceEngines engines, ChatModel chat, ModelRounds.Rounds rounds, Optional<TextToSpeech> voice,
            VoiceSession.Converter fromTts, VoiceSession.Chunker chunker, int outputRate, boolean audioOut,
            SpeechStyle speech, Consumer<VoiceEvent> events, Finished finished) {
    this.id = id;
    this.model = new ModelRounds(id, context, chat, rounds, events, new ModelRounds.Listener() {
      @Override
      public void text(String piece) {
        onPiece(piece);
      }

      @Override
      public void roundCalled() {
        // What was said before the calls is spoken while the tools run.
        if (audioOut) {
          sentences.addAll(chunker.flush());
          pumpTts();
        }
      }

      @Override
      public void finished(String finishReason, String lastRoundText) {
        onLlmDone();
      }

      @Override
      public void failed(Throwable error) {
        if (live) {
          VoiceEvent.Code code = VoiceEvent.Code.of(error, VoiceEvent.Code.MODEL_FAILED);
          events.accept(new VoiceEvent.Error(code, "the chat model failed: " + error.getMessage()));
          end(VoiceEvent.Status.FAILED, code == VoiceEvent.Code.ENGINE_RESTARTED
              ? VoiceEvent.Reason.ENGINE_RESTARTED : VoiceEvent.Reason.MODEL_FAILED);
        }
      }
    });
    this.itemId = itemId;
    this.timings = timings;
    this.clock = clock;
    this.context = context;
    this.engines = engines;
    this.voice = voice;
    this.fromTts = fromTts;
    this.chunker = chunker;
    this.spoken = new SpokenText(outputRate);
    this.audioOut = audioOut;
    this.speech = speech;
    this.events = events;
    this.finished = finished;
    this.audio = new AudioPacer(clock, outputRate, new AudioPacer.Sink() {
      @Override
      public void started(long nanos) {
        timings.firstAudio(nanos);
      }

      @Override
      public void send(short[] pcm) {
        events.accept(new VoiceEvent.AudioChunk(id, itemId, messageIndex, pcm));
      }

      @Override
      public void drained() {
        pumpTts(); // a sentence that waited for the queue to drain
        maybeFinish();
      }
    });
  }

  /** Starts the LLM on the first request. */
  void start() {
    timings.llmStarted(clock.nanoTime());
    model.start();
  }

  /** The text generated so far. */
  String transcript() {
    return model.transcript();
  }

  /** The text generated since the last round of tool calls (the earlier text is stored with the calls). */
  String lastRoundText() {
    return model.lastRoundText();
  }

  /** The output index of the answer's message, or -1 when it has none (yet). */
  int messageIndex() {
    return messageIndex;
  }

  /** The client's function calls of this answer. */
  List<VoiceEvent.FunctionCall> functionCalls() {
    return model.clientCalls();
  }

  /**
   * Before the answer's response.done: an answer that output nothing still has its (empty)
   * message, so that every response shows an item.
   */
  void ensureOutput() {
    if (messageIndex < 0 && model.clientCalls().isEmpty()) {
      startMessage();
    }
  }

  private void startMessage() {
    messageIndex = model.nextOutput();
    events.accept(new VoiceEvent.MessageStarted(id, itemId, messageIndex));
  }

  /** Stops the LLM, the sentences not yet spoken and the audio not yet sent; no event follows. */
  void interrupt() {
    live = false;
    model.interrupt();
    sentences.clear();
    audio.stop();
  }

  /** Server-side playout estimate: audio plays in real time from the first sample sent. */
  long playedMs() {
    return audio.playedMs();
  }

  /** The text of the sentences heard by {@code playedMs}, the last one cut in proportion (at a word). */
  String heardText(long playedMs) {
    return spoken.heardBy(playedMs);
  }

  /** How the answer's text was spoken so far: what a later truncate cuts it by. */
  SpokenText spoken() {
    return spoken;
  }

  /** True once it ended by itself (completed, or its model failed). */
  boolean ended() {
    return ended;
  }

  private void end(VoiceEvent.Status status, VoiceEvent.Reason reason) {
    live = false;
    ended = true;
    audio.stop();
    finished.finished(this, status, reason);
  }

  private void onPiece(String text) {
    if (!live) {
      return;
    }
    timings.firstToken(clock.nanoTime());
    if (messageIndex < 0) {
      startMessage();
    }
    events.accept(new VoiceEvent.TextDelta(id, itemId, messageIndex, text));
    if (audioOut) {
      sentences.addAll(chunker.add(text));
      pumpTts();
    }
  }

  private void onLlmDone() {
    if (!live) {
      return;
    }
    llmDone = true;
    if (audioOut) {
      sentences.addAll(chunker.flush());
      pumpTts();
    }
    maybeFinish();
  }

  private void pumpTts() {
    if (ttsBusy || sentences.isEmpty() || !live) {
      return;
    }
    if (audio.full()) {
      return; // the next sentence starts once the queue has drained
    }
    if (voice.isEmpty()) {
      events.accept(new VoiceEvent.Error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.ttsMissing()));
      sentences.clear();
      return;
    }
    TextToSpeech tts = voice.get();
    String sentence = sentences.poll();
    ttsBusy = true;
    boolean firstSentence = !ttsStarted;
    ttsStarted = true;
    if (firstSentence) {
      timings.firstSentence(clock.nanoTime());
    }
    long[] produced = {0};
    engines.ttsWorkers().executeBlocking(() -> {
      long started = System.nanoTime();
      boolean[] chunked = {false};
      RuntimeException failure = null;
      try {
        tts.synthesize(sentence, speech, samples -> {
          // The engine's own time to its first audio of the answer (worker clock, same nanoTime).
          long firstChunkCompute = firstSentence && !chunked[0] ? System.nanoTime() - started : -1;
          chunked[0] = true;
          context.runOnContext(v -> onSpeech(samples, firstChunkCompute, produced));
        }, () -> !live);
      } catch (RuntimeException e) {
        failure = e;
      }
      // Posted from the thread that posted the audio, so it runs after every chunk of the sentence
      // (the executeBlocking completion is not ordered after them).
      RuntimeException failed = failure;
      context.runOnContext(v -> onSentenceSpoken(sentence, produced[0], failed));
      return null;
    }, false).onFailure(e -> LOG.error("voice: speech synthesis ended abnormally", e));
  }

  private void onSpeech(short[] samples, long firstChunkCompute, long[] produced) {
    if (firstChunkCompute >= 0) {
      timings.ttsFirstChunk(firstChunkCompute);
    }
    if (!live) {
      return;
    }
    short[] out = fromTts.process(samples);
    produced[0] += out.length;
    audio.add(out);
  }

  private void onSentenceSpoken(String sentence, long samples, RuntimeException failure) {
    ttsBusy = false;
    spoken.add(sentence, samples);
    if (failure != null && live) {
      VoiceEvent.Code code = VoiceEvent.Code.of(failure, VoiceEvent.Code.TTS_FAILED);
      events.accept(new VoiceEvent.Error(code, "speech synthesis failed: " + failure.getMessage()));
      if (code == VoiceEvent.Code.ENGINE_RESTARTED) {
        // The engine is gone until its worker is back: the rest of this answer cannot be spoken.
        model.interrupt();
        sentences.clear();
        end(VoiceEvent.Status.FAILED, VoiceEvent.Reason.ENGINE_RESTARTED);
        return;
      }
    }
    pumpTts();
    maybeFinish();
  }

  private void maybeFinish() {
    if (live && llmDone && !ttsBusy && sentences.isEmpty() && audio.empty()) {
      end(VoiceEvent.Status.COMPLETED, null);
    }
  }
}
