package io.parley.inference.voice;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.stt.StreamingTranscriber;
import io.parley.inference.stt.Transcript;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.vad.VadEvent;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One assistant session: audio in, turns out. Confined to one Vert.x context (its WebSocket's):
 * every field is touched only there; engine work runs on the named workers and comes back with
 * {@code runOnContext}.
 *
 * <p>Turn-taking: with server VAD, speech start/stop come from the segmenter; at the end of speech
 * the segment is transcribed, the user message stored and a response created. A response streams
 * LLM text, cut at sentence boundaries into TTS, whose audio streams out while the LLM still writes.
 * Interruption travels outside the data path: {@link #turn} advances, so queued sentences and late
 * audio or text of the old turn are dropped where they arrive. Barge-in: user speech lasting
 * {@code bargeIn} during a response cancels it, and the assistant message is stored truncated to
 * what was played (the client's {@code truncate}, else the server's playout clock).
 */
public final class VoiceSession {

  private static final Logger LOG = LoggerFactory.getLogger(VoiceSession.class);

  /** Longest audio kept for a manual commit (Whisper's window). */
  public static final int MAX_COMMIT_SAMPLES = 30 * VoiceActivityModel.SAMPLE_RATE;
  /** Speech probability from which a frame counts as voiced for interim transcripts (Silero's usual cut). */
  static final float VOICED = 0.5f;

  /** How long a cancelled answer waits for the client's truncate before it is stored. */
  static final long TRUNCATE_WAIT_MS = 1_000;

  /**
   * Session settings (changed by session.update), the one place they live: {@code turnDetection}
   * drives the segmenter, the transcriber's pre-roll and the barge-in wait alike.
   *
   * @param bargeIn how long the user speaks over an answer, from the onset of speech, before it is cancelled
   * @param turnDetection the segmenting settings (the server's until the client sets its own)
   */
  public record Settings(boolean serverVad, boolean createResponse, boolean interruptResponse, Duration bargeIn,
                         String instructions, Optional<String> language, boolean audioOut, int maxTokens,
                         double temperature, int contextMessages, VadSegmenter.Settings turnDetection) {
    public Settings {
      java.util.Objects.requireNonNull(bargeIn, "bargeIn");
      java.util.Objects.requireNonNull(turnDetection, "turnDetection");
    }

    public Settings withCreateResponse(boolean create) {
      return new Settings(serverVad, create, interruptResponse, bargeIn, instructions, language, audioOut, maxTokens,
          temperature, contextMessages, turnDetection);
    }

    public Settings withTurnDetection(VadSegmenter.Settings vad) {
      return new Settings(serverVad, createResponse, interruptResponse, bargeIn, instructions, language, audioOut,
          maxTokens, temperature, contextMessages, vad);
    }
  }

  /** Cuts one answer's streaming text into speakable pieces (see {@link SpokenPieces}). */
  public interface Chunker {
    List<String> add(String text);

    List<String> flush();
  }

  /** A streaming converter of PCM16 between two rates. */
  public interface Converter {
    short[] process(short[] in);
  }

  /**
   * The engines and helpers a session uses; absent ones give errors naming their fix. Speech to
   * text, streaming and manual alike, runs on {@code sttWorkers}: one executor per model.
   */
  public record Engines(Optional<VadScheduler> vad, String vadMissing, Optional<SpeechToText> stt, String sttMissing,
                        Optional<ChatModel> chat, String chatMissing, Optional<TextToSpeech> tts, String ttsMissing,
                        WorkerExecutor sttWorkers, WorkerExecutor ttsWorkers, Duration interimEvery) {}

  private final VoiceClock clock;
  private final Context context;
  private final Engines engines;
  private final java.util.function.Consumer<VoiceEvent> events;
  private final ConversationLog log;
  private final UUID conversationId;
  private final Converter toVad;
  private final Converter fromTts;
  private final VadSegmenter segmenter;
  private final java.util.function.Supplier<Chunker> chunkers;
  private final VadScheduler.Stream vadStream;
  private final StreamingTranscriber transcriber;
  private final java.util.Map<Long, String> segmentItems = new java.util.HashMap<>();
  private final java.util.Map<Long, String> interimText = new java.util.HashMap<>();
  private final java.util.Map<Long, TurnTimings> segmentTimings = new java.util.HashMap<>();
  private final List<ChatMessage> history;
  private final AtomicLong ids = new AtomicLong();
  private Settings settings;

  // Input side.
  private float[] frame = new float[VoiceActivityModel.FRAME_SAMPLES];
  private int frameFill;
  private final Deque<float[]> manual = new ArrayDeque<>();
  private int manualSamples;
  private String speechItem;
  private long bargeInTimer = -1;
  /** Samples handed to the segmenter: its clock, on which speech onsets are given. */
  private long segmented;
  private String lastItem;

  // Output side: one response at a time.
  private long turn;
  private Response active;
  private boolean closed;
  /** Whether the client's input is paused (see {@link #inputBacklogChanged}); on the context. */
  private boolean inputPaused;
  /** Whether the last VAD result was a model failure: reported once per run of failures. */
  private boolean vadFailing;

  /** The response in progress. */
  private final class Response {
    final long turn;
    final String id;
    final String itemId;
    final StringBuilder transcript = new StringBuilder();
    final Deque<String> sentences = new ArrayDeque<>();
    final List<long[]> spoken = new ArrayList<>();
    final List<String> spokenText = new ArrayList<>();
    final TurnTimings timings;
    ChatModel.Completion completion;
    boolean llmDone;
    boolean ttsBusy;
    boolean ttsStarted;
    /** A fresh one per answer: a cancelled answer's unfinished sentence never leaks into the next. */
    final Chunker chunker = chunkers.get();
    long audioSamplesOut;
    long firstAudioNanos;
    /** Audio made but not yet sent: it leaves at the pace of playback (see {@link #pumpAudio}). */
    final Deque<short[]> audioQueue = new ArrayDeque<>();
    long queuedSamples;
    long pacer = -1;

    Response(long turn, TurnTimings timings) {
      this.turn = turn;
      this.id = "resp_" + next();
      this.itemId = "item_" + next();
      this.timings = timings;
    }
  }

  public VoiceSession(VoiceClock clock, Context context, Settings settings, Engines engines,
                      java.util.function.Consumer<VoiceEvent> events, ConversationLog log,
                      UUID conversationId, List<ChatMessage> history, Converter toVad, Converter fromTts,
                      VadSegmenter segmenter, java.util.function.Supplier<Chunker> chunkers) {
    this.clock = clock;
    this.context = context;
    this.settings = settings;
    this.engines = engines;
    this.events = events;
    this.log = log;
    this.conversationId = conversationId;
    this.history = new ArrayList<>(history);
    this.toVad = toVad;
    this.fromTts = fromTts;
    this.segmenter = segmenter;
    this.chunkers = chunkers;
    this.vadStream = engines.vad().map(v -> v.open(context, b -> inputBacklogChanged())).orElse(null);
    java.util.concurrent.Executor sttExecutor = job -> engines.sttWorkers().executeBlocking(() -> {
      job.run();
      return null;
    }, false).onFailure(e -> LOG.error("voice: a speech-to-text job failed", e));
    segmenter.update(settings.turnDetection());
    this.transcriber = engines.stt().map(stt -> new StreamingTranscriber(stt, sttExecutor, settings.language(),
        engines.interimEvery(), settings.turnDetection().preRoll(), new StreamingTranscriber.Listener() {
          @Override
          public void interim(long segmentId, String text) {
            context.runOnContext(v -> onInterim(segmentId, text));
          }

          @Override
          public void completed(long segmentId, Transcript transcript) {
            context.runOnContext(v -> onFinal(segmentId, transcript));
          }

          @Override
          public void failed(long segmentId, io.parley.core.ParleyException error) {
            context.runOnContext(v -> {
              String item = segmentItems.remove(segmentId);
              if (item != null && !closed) {
                events.accept(new VoiceEvent.TranscriptFailed(item, error.getMessage()));
              }
            });
          }
        }, () -> context.runOnContext(v -> inputBacklogChanged()))).orElse(null);
  }

  /**
   * The client's input is paused while the VAD is more than a second behind or finals queue up for
   * Whisper (a client sending bursts of speech faster than real time): nothing is dropped, TCP
   * slows the client. On the session's context.
   */
  private void inputBacklogChanged() {
    boolean now = (vadStream != null && vadStream.backlogged()) || (transcriber != null && transcriber.backlogged());
    if (now != inputPaused && !closed) {
      inputPaused = now;
      events.accept(new VoiceEvent.InputBacklog(now));
    }
  }

  /** Interim transcripts become deltas only while they extend what was sent (clients append deltas). */
  private void onInterim(long segmentId, String text) {
    String item = segmentItems.get(segmentId);
    if (item == null || closed) {
      return;
    }
    String sent = interimText.getOrDefault(segmentId, "");
    String now = text.strip();
    if (now.length() > sent.length() && now.startsWith(sent)) {
      events.accept(new VoiceEvent.TranscriptDelta(item, now.substring(sent.length())));
      interimText.put(segmentId, now);
    }
  }

  private void onFinal(long segmentId, Transcript t) {
    String item = segmentItems.remove(segmentId);
    interimText.remove(segmentId);
    TurnTimings timings = segmentTimings.remove(segmentId);
    if (item == null || closed) {
      return;
    }
    if (timings == null) {
      timings = new TurnTimings(clock.nanoTime());
    }
    timings.transcribed(clock.nanoTime(), t.compute());
    String text = t.text().strip();
    events.accept(new VoiceEvent.TranscriptFinal(item, text));
    if (!text.isEmpty()) {
      userText(text, timings);
    }
  }

  public Settings settings() {
    return settings;
  }

  /** New settings; new turn detection applies from the next frame on. */
  public void update(Settings s) {
    if (!s.turnDetection().equals(settings.turnDetection())) {
      segmenter.update(s.turnDetection());
      if (transcriber != null) {
        transcriber.preRoll(s.turnDetection().preRoll());
      }
    }
    this.settings = s;
  }

  public UUID conversationId() {
    return conversationId;
  }

  private String next() {
    return Long.toString(System.nanoTime(), 36) + ids.incrementAndGet();
  }

  // --- input ---------------------------------------------------------------------------------

  /** Audio from the client at the input rate. */
  public void appendAudio(short[] pcm) {
    if (closed) {
      return;
    }
    short[] pcm16k = toVad.process(pcm);
    for (short s : pcm16k) {
      frame[frameFill++] = s / 32768f;
      if (frameFill == frame.length) {
        float[] full = frame;
        frame = new float[VoiceActivityModel.FRAME_SAMPLES];
        frameFill = 0;
        onFrame(full);
      }
    }
  }

  private void onFrame(float[] f) {
    if (!settings.serverVad()) {
      manual.add(f);
      manualSamples += f.length;
      while (manualSamples > MAX_COMMIT_SAMPLES) {
        manualSamples -= manual.removeFirst().length;
      }
      return;
    }
    if (engines.vad().isEmpty()) {
      return;
    }
    vadStream.submit(f, p -> onProbability(f, p));
  }

  private void onProbability(float[] f, float p) {
    if (closed) {
      return;
    }
    if (Float.isNaN(p)) {
      // The scheduler's model run failed (it logged why): the frame cannot be segmented.
      if (!vadFailing) {
        vadFailing = true;
        LOG.warn("voice: conversation {}: the VAD model failed; speech is not detected until it works again",
            conversationId);
        error(VoiceEvent.Code.VAD_FAILED, "voice activity detection failed on the server: speech is not detected until it"
            + " recovers; use input_audio_buffer.commit to send audio meanwhile");
      }
      return;
    }
    vadFailing = false;
    List<VadEvent> decided = segmenter.accept(f, p);
    segmented += f.length;
    if (transcriber != null) {
      transcriber.audio(f, p >= VOICED);
    }
    for (VadEvent e : decided) {
      if (transcriber != null) {
        transcriber.event(e);
      }
      switch (e) {
        case VadEvent.SpeechStarted s -> onSpeechStarted(s);
        case VadEvent.SpeechStopped s -> onSpeechStopped(s);
      }
    }
  }

  private void onSpeechStarted(VadEvent.SpeechStarted s) {
    speechItem = "item_" + next();
    if (transcriber != null) {
      segmentItems.put(transcriber.segmentId(), speechItem);
    }
    events.accept(new VoiceEvent.SpeechStarted(speechItem, s.startSample() * 1000 / VoiceActivityModel.SAMPLE_RATE));
    if (active != null && settings.interruptResponse()) {
      String item = speechItem;
      // speech_started comes once speech has lasted the session's minimum: the barge-in wait counts
      // from the onset, so only what is left of it after the speech already heard is waited for.
      long heardMs = (segmented - s.onsetSample()) * 1000 / VoiceActivityModel.SAMPLE_RATE;
      long wait = Math.max(0, settings.bargeIn().toMillis() - heardMs);
      if (wait == 0) {
        cancelResponse(VoiceEvent.Reason.TURN_DETECTED);
      } else {
        bargeInTimer = clock.setTimer(wait, () -> {
          bargeInTimer = -1;
          if (item.equals(speechItem) && active != null) {
            cancelResponse(VoiceEvent.Reason.TURN_DETECTED);
          }
        });
      }
    }
  }

  private void onSpeechStopped(VadEvent.SpeechStopped s) {
    if (bargeInTimer >= 0) {
      clock.cancelTimer(bargeInTimer);
      bargeInTimer = -1;
    }
    String item = speechItem == null ? "item_" + next() : speechItem;
    speechItem = null;
    TurnTimings timings = new TurnTimings(clock.nanoTime());
    events.accept(new VoiceEvent.SpeechStopped(item, s.endSample() * 1000 / VoiceActivityModel.SAMPLE_RATE));
    String previous = lastItem;
    lastItem = item;
    events.accept(new VoiceEvent.TurnCommitted(item, previous));
    if (transcriber == null) {
      events.accept(new VoiceEvent.TranscriptFailed(item, engines.sttMissing()));
      error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.sttMissing());
      return;
    }
    long segment = transcriber.segmentId();
    segmentItems.put(segment, item);
    segmentTimings.put(segment, timings);
  }

  /** input_audio_buffer.commit (without server VAD): the buffered audio becomes a user turn. */
  public void commit() {
    if (manualSamples == 0) {
      error(VoiceEvent.Code.COMMIT_EMPTY, "the input audio buffer is empty");
      return;
    }
    float[] audio = new float[manualSamples];
    int at = 0;
    for (float[] f : manual) {
      System.arraycopy(f, 0, audio, at, f.length);
      at += f.length;
    }
    manual.clear();
    manualSamples = 0;
    userTurn("item_" + next(), audio, new TurnTimings(clock.nanoTime()));
  }

  /** input_audio_buffer.clear. */
  public void clear() {
    manual.clear();
    manualSamples = 0;
    frameFill = 0;
  }

  private void userTurn(String item, float[] audio, TurnTimings timings) {
    String previous = lastItem;
    lastItem = item;
    events.accept(new VoiceEvent.TurnCommitted(item, previous));
    if (engines.stt().isEmpty()) {
      events.accept(new VoiceEvent.TranscriptFailed(item, engines.sttMissing()));
      error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.sttMissing());
      return;
    }
    SpeechToText stt = engines.stt().get();
    Optional<String> language = settings.language();
    engines.sttWorkers().executeBlocking(() -> stt.transcribe(audio, language), false).onComplete(ar -> {
      if (closed) {
        return;
      }
      if (ar.failed()) {
        events.accept(new VoiceEvent.TranscriptFailed(item, ar.cause().getMessage()));
        return;
      }
      Transcript t = ar.result();
      timings.transcribed(clock.nanoTime(), t.compute());
      String text = t.text().strip();
      events.accept(new VoiceEvent.TranscriptFinal(item, text));
      if (text.isEmpty()) {
        return;
      }
      userText(text, timings);
    });
  }

  /** A user message (transcribed, or sent as text): stored, and answered when so configured. */
  public void userText(String text, TurnTimings timings) {
    addUserText(text);
    if (settings.createResponse()) {
      createResponse(timings);
    }
  }

  /** A user message added to the conversation without answering it (the client asks when). */
  public void addUserText(String text) {
    history.add(ChatMessage.user(text));
    store(new ConversationLog.Message("user", text, false));
  }

  private void error(VoiceEvent.Code code, String message) {
    events.accept(new VoiceEvent.Error(code, message));
  }

  // --- output --------------------------------------------------------------------------------

  /** response.create, or the automatic one after a user turn. */
  public void createResponse(TurnTimings timings) {
    if (closed) {
      return;
    }
    if (active != null) {
      error(VoiceEvent.Code.RESPONSE_IN_PROGRESS, "a response is in progress; cancel it first");
      return;
    }
    if (engines.chat().isEmpty()) {
      error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.chatMissing());
      return;
    }
    Response r = new Response(++turn, timings == null ? new TurnTimings(clock.nanoTime()) : timings);
    active = r;
    events.accept(new VoiceEvent.ResponseStarted(r.id, r.itemId));
    List<ChatMessage> messages = new ArrayList<>();
    messages.add(ChatMessage.system(settings.instructions()));
    int from = Math.max(0, history.size() - settings.contextMessages());
    messages.addAll(history.subList(from, history.size()));
    r.timings.llmStarted(clock.nanoTime());
    r.completion = engines.chat().get().stream(new ChatRequest(messages, settings.maxTokens(), settings.temperature()),
        new ChatModel.Sink() {
          @Override
          public void piece(String text) {
            context.runOnContext(v -> onPiece(r, text));
          }

          @Override
          public void done(String finishReason) {
            context.runOnContext(v -> onLlmDone(r));
          }

          @Override
          public void failed(Throwable error) {
            context.runOnContext(v -> {
              if (active == r) {
                error(VoiceEvent.Code.MODEL_FAILED, "the chat model failed: " + error.getMessage());
                finish(r, VoiceEvent.Status.FAILED, VoiceEvent.Reason.MODEL_FAILED, r.transcript.toString(), false);
              }
            });
          }
        });
  }

  private void onPiece(Response r, String text) {
    if (active != r) {
      return;
    }
    r.timings.firstToken(clock.nanoTime());
    r.transcript.append(text);
    events.accept(new VoiceEvent.TextDelta(r.id, r.itemId, text));
    if (settings.audioOut()) {
      r.sentences.addAll(r.chunker.add(text));
      pumpTts(r);
    }
  }

  private void onLlmDone(Response r) {
    if (active != r) {
      return;
    }
    r.llmDone = true;
    if (settings.audioOut()) {
      r.sentences.addAll(r.chunker.flush());
      pumpTts(r);
    }
    maybeFinish(r);
  }

  /** Audio leaves at most this far ahead of the playout clock. */
  static final long LEAD_MS = 500;
  /** Synthesis stops this far ahead of playback, bounding the audio held per session. */
  static final long MAX_AHEAD_MS = 10_000;
  /** How often paced audio is sent. */
  static final long PACE_MS = 40;

  /**
   * Sends queued audio no faster than it plays (plus {@link #LEAD_MS}): the response lasts as long
   * as its audio, so a barge-in finds it active and cuts what has not been heard, and a client that
   * reads slowly never makes the server hold more than the queue.
   */
  private void pumpAudio(Response r) {
    if (active != r) {
      return;
    }
    long now = clock.nanoTime();
    if (r.firstAudioNanos == 0 && !r.audioQueue.isEmpty()) {
      r.firstAudioNanos = now;
      r.timings.firstAudio(now);
    }
    long allowed = (now - r.firstAudioNanos) / 1_000_000 * outputRate / 1000 + LEAD_MS * outputRate / 1000;
    while (!r.audioQueue.isEmpty() && r.audioSamplesOut < allowed) {
      short[] chunk = r.audioQueue.poll();
      r.queuedSamples -= chunk.length;
      r.audioSamplesOut += chunk.length;
      events.accept(new VoiceEvent.AudioChunk(r.id, r.itemId, chunk));
    }
    if (!r.audioQueue.isEmpty() && r.pacer < 0) {
      r.pacer = clock.setTimer(PACE_MS, () -> {
        r.pacer = -1;
        pumpAudio(r);
      });
    }
    if (r.audioQueue.isEmpty()) {
      pumpTts(r);
      maybeFinish(r);
    }
  }

  private void pumpTts(Response r) {
    if (r.ttsBusy || r.sentences.isEmpty() || active != r) {
      return;
    }
    if (r.queuedSamples * 1000 / outputRate > MAX_AHEAD_MS) {
      return; // pumpAudio starts the next sentence once the queue has drained
    }
    if (engines.tts().isEmpty()) {
      error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.ttsMissing());
      r.sentences.clear();
      return;
    }
    TextToSpeech tts = engines.tts().get();
    String sentence = r.sentences.poll();
    r.ttsBusy = true;
    boolean firstSentence = !r.ttsStarted;
    r.ttsStarted = true;
    if (firstSentence) {
      r.timings.firstSentence(clock.nanoTime());
    }
    long[] produced = {0};
    engines.ttsWorkers().executeBlocking(() -> {
      long started = System.nanoTime();
      boolean[] chunked = {false};
      RuntimeException failure = null;
      try {
        tts.synthesize(sentence, samples -> {
          // The engine's own time to its first audio of the answer (worker clock, same nanoTime).
          long firstChunkCompute = firstSentence && !chunked[0] ? System.nanoTime() - started : -1;
          chunked[0] = true;
          context.runOnContext(v -> onSpeech(r, samples, firstChunkCompute, produced));
        }, () -> closed || active != r);
      } catch (RuntimeException e) {
        failure = e;
      }
      // Posted from the thread that posted the audio, so it runs after every chunk of the sentence
      // (the executeBlocking completion is not ordered after them).
      RuntimeException failed = failure;
      context.runOnContext(v -> onSentenceSpoken(r, sentence, produced[0], failed));
      return null;
    }, false).onFailure(e -> LOG.error("voice: speech synthesis ended abnormally", e));
  }

  private void onSpeech(Response r, short[] samples, long firstChunkCompute, long[] produced) {
    if (firstChunkCompute >= 0) {
      r.timings.ttsFirstChunk(firstChunkCompute);
    }
    if (active != r) {
      return;
    }
    short[] out = fromTts.process(samples);
    if (out.length == 0) {
      return;
    }
    produced[0] += out.length;
    // Queued in slices of one pacing step: an engine that hands over a whole sentence at once would
    // otherwise send it all in one go and end the response (and the barge-in window) while most of
    // it is still to be played.
    int slice = (int) (PACE_MS * outputRate / 1000);
    for (int at = 0; at < out.length; at += slice) {
      r.audioQueue.add(out.length <= slice ? out : java.util.Arrays.copyOfRange(out, at, Math.min(out.length, at + slice)));
    }
    r.queuedSamples += out.length;
    pumpAudio(r);
  }

  private void onSentenceSpoken(Response r, String sentence, long samples, RuntimeException failure) {
    r.ttsBusy = false;
    r.spoken.add(new long[] {samples});
    r.spokenText.add(sentence);
    if (failure != null && active == r) {
      error(VoiceEvent.Code.TTS_FAILED, "speech synthesis failed: " + failure.getMessage());
    }
    pumpTts(r);
    maybeFinish(r);
  }

  private void maybeFinish(Response r) {
    if (active == r && r.llmDone && !r.ttsBusy && r.sentences.isEmpty() && r.audioQueue.isEmpty()) {
      finish(r, VoiceEvent.Status.COMPLETED, null, r.transcript.toString(), false);
    }
  }

  private void finish(Response r, VoiceEvent.Status status, VoiceEvent.Reason reason, String stored,
                      boolean truncated) {
    active = null;
    r.timings.done(clock.nanoTime());
    events.accept(new VoiceEvent.ResponseDone(r.id, r.itemId, status, reason, r.transcript.toString(), r.timings));
    lastItem = r.itemId;
    if (!stored.isEmpty()) {
      history.add(ChatMessage.assistant(stored));
      store(new ConversationLog.Message("assistant", stored, truncated));
    }
  }

  /** Stops a response's work: its LLM completion, the sentences not yet spoken, the audio not yet sent. */
  private void halt(Response r) {
    if (r.completion != null) {
      r.completion.cancel();
    }
    r.sentences.clear();
    r.audioQueue.clear();
    if (r.pacer >= 0) {
      clock.cancelTimer(r.pacer);
      r.pacer = -1;
    }
  }

  /** response.cancel, or a barge-in. The answer is stored as far as it was heard. */
  public void cancelResponse(VoiceEvent.Reason reason) {
    Response r = active;
    if (r == null) {
      return;
    }
    turn++;
    halt(r);
    long playedMs = playedMs(r);
    active = null;
    r.timings.done(clock.nanoTime());
    events.accept(new VoiceEvent.ResponseDone(r.id, r.itemId, VoiceEvent.Status.CANCELLED, reason,
        r.transcript.toString(), r.timings));
    lastItem = r.itemId;
    pendingTruncation = r;
    long playedAtCancel = playedMs;
    clock.setTimer(TRUNCATE_WAIT_MS, () -> {
      if (pendingTruncation == r) {
        pendingTruncation = null;
        storeTruncated(r, playedAtCancel);
      }
    });
  }

  private Response pendingTruncation;

  /** conversation.item.truncate: the client says how much of an answer it played. */
  public void truncate(String itemId, long audioEndMs) {
    Response r = pendingTruncation;
    if (r != null && r.itemId.equals(itemId)) {
      pendingTruncation = null;
      storeTruncated(r, audioEndMs);
    }
  }

  private void storeTruncated(Response r, long playedMs) {
    String heard = heardText(r, playedMs);
    if (!heard.isEmpty()) {
      history.add(ChatMessage.assistant(heard));
    }
    store(new ConversationLog.Message("assistant", heard, true));
  }

  /** Appends to the conversation log; a failed write is logged and reported, never lost silently. */
  private void store(ConversationLog.Message m) {
    log.append(conversationId, m).onFailure(e -> context.runOnContext(v -> {
      LOG.warn("voice: conversation {}: {} message of {} characters (truncated: {}) not stored: {}", conversationId,
          m.role(), m.content().length(), m.truncated(), e.toString());
      error(VoiceEvent.Code.NOT_STORED, "the " + m.role() + " message could not be stored in the conversation: "
          + e.getMessage());
    }));
  }

  /** Server-side playout estimate: audio plays in real time from the first sample sent. */
  private long playedMs(Response r) {
    if (r.firstAudioNanos == 0) {
      return 0;
    }
    long elapsed = (clock.nanoTime() - r.firstAudioNanos) / 1_000_000;
    return Math.min(elapsed, r.audioSamplesOut * 1000 / outputRate);
  }

  private int outputRate = 24_000;

  public void outputRate(int rate) {
    this.outputRate = rate;
  }

  /** The text of the sentences heard by {@code playedMs}, the last one cut in proportion (at a word). */
  private String heardText(Response r, long playedMs) {
    long budget = playedMs * outputRate / 1000;
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < r.spoken.size(); i++) {
      long samples = r.spoken.get(i)[0];
      String text = r.spokenText.get(i);
      if (!out.isEmpty()) {
        out.append(' '); // the chunker's sentences come without the space between them
      }
      if (budget >= samples) {
        out.append(text);
        budget -= samples;
        continue;
      }
      if (budget > 0 && samples > 0) {
        int cut = (int) (text.length() * budget / samples);
        int space = text.lastIndexOf(' ', cut);
        out.append(text, 0, Math.max(0, space));
      }
      break;
    }
    return out.toString().strip();
  }

  /** The socket closed: stop everything this session started. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    turn++;
    Response r = active;
    active = null;
    if (r != null) {
      halt(r);
      // Stored as far as it was heard (the server's playout clock), as a barge-in stores it: the
      // conversation, and a session that resumes it, know what the user heard of the answer.
      storeTruncated(r, playedMs(r));
    }
    if (bargeInTimer >= 0) {
      clock.cancelTimer(bargeInTimer);
    }
    if (transcriber != null) {
      transcriber.close();
    }
  }

  public boolean responding() {
    return active != null;
  }
}
