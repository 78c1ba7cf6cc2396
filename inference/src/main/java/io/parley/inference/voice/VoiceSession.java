package io.parley.inference.voice;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.vad.VadEvent;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One assistant session: audio in, {@link VoiceEvent}s out. Confined to one Vert.x context (its
 * WebSocket's): every field is touched only there; engine work runs on the named workers and comes
 * back with {@code runOnContext}. Time comes from a {@link VoiceClock}.
 *
 * <p>The stages: input ({@link InputStage}: framing, the VAD and the segmenter, or the manual buffer
 * without server VAD); turn detection and the barge-in policy (here, on the segmenter's events);
 * transcription ({@link TranscriptionStage}); one answer at a time ({@link Responder}: LLM,
 * sentences, TTS, audio paced to the playout clock); and the conversation
 * ({@link ConversationMemory}). Interruption travels outside the data path: an interrupted
 * responder drops whatever of it arrives later. Barge-in: user speech lasting {@code bargeIn} from
 * its onset during an answer cancels it, and the answer is stored as far as it was heard (the
 * client's {@code truncate}, else the server's playout clock).
 */
public final class VoiceSession {

  /** Longest audio kept for a manual commit (Whisper's window). */
  public static final int MAX_COMMIT_SAMPLES = 30 * VoiceActivityModel.SAMPLE_RATE;

  /** How long a cancelled answer waits for the client's truncate before it is stored. */
  static final long TRUNCATE_WAIT_MS = 1_000;

  /** Cuts one answer's streaming text into speakable pieces (see {@link SpokenPieces}). */
  public interface Chunker {
    List<String> add(String text);

    List<String> flush();
  }

  /** A streaming converter of PCM16 between two rates. */
  public interface Converter {
    short[] process(short[] in);
  }

  private final VoiceClock clock;
  private final Context context;
  private final VoiceEngines engines;
  private final Consumer<VoiceEvent> events;
  private final ConversationMemory memory;
  private final Converter toVad;
  private final Converter fromTts;
  private final java.util.function.Supplier<Chunker> chunkers;
  private final InputStage input;
  private final TranscriptionStage transcription;
  private final AtomicLong ids = new AtomicLong();
  private VoiceSettings settings;
  private int outputRate = 24_000;

  // Turn detection.
  private String speechItem;
  private long bargeInTimer = -1;
  private String lastItem;
  /** Whether the client's input is paused (see {@link #inputBacklogChanged}). */
  private boolean inputPaused;

  // Output: one answer at a time.
  private Responder active;
  /** A cancelled answer waiting for the client's truncate before it is stored. */
  private Cut pendingTruncation;

  /** A cancelled answer and how much of it the server's playout clock says was heard. */
  private record Cut(Responder responder, long playedMs) {}
  private boolean closed;

  public VoiceSession(VoiceClock clock, Context context, VoiceSettings settings, VoiceEngines engines,
                      Consumer<VoiceEvent> events, ConversationLog log,
                      UUID conversationId, List<ChatMessage> history, Converter toVad, Converter fromTts,
                      VadSegmenter segmenter, java.util.function.Supplier<Chunker> chunkers) {
    this.clock = clock;
    this.context = context;
    this.settings = settings;
    this.engines = engines;
    this.events = events;
    this.memory = new ConversationMemory(conversationId, log, history, context, events);
    this.toVad = toVad;
    this.fromTts = fromTts;
    this.chunkers = chunkers;
    segmenter.update(settings.turnDetection());
    this.input = new InputStage(engines.vad().orElse(null), context, this::inputBacklogChanged, segmenter,
        conversationId, events, this::onScored);
    this.transcription = engines.stt().map(stt -> new TranscriptionStage(stt, engines.sttWorkers(),
        settings.language(), engines.interimEvery(), settings.turnDetection().preRoll(), context, clock, events,
        this::userText, this::inputBacklogChanged)).orElse(null);
  }

  public VoiceSettings settings() {
    return settings;
  }

  /** New settings; new turn detection applies from the next frame on. */
  public void update(VoiceSettings s) {
    if (!s.turnDetection().equals(settings.turnDetection())) {
      input.update(s.turnDetection());
      if (transcription != null) {
        transcription.preRoll(s.turnDetection().preRoll());
      }
    }
    this.settings = s;
  }

  public UUID conversationId() {
    return memory.conversationId();
  }

  /** The rate of the audio this session sends (PCM16 samples per second). */
  public void outputRate(int rate) {
    this.outputRate = rate;
  }

  public boolean responding() {
    return active != null;
  }

  private String next() {
    return Long.toString(System.nanoTime(), 36) + ids.incrementAndGet();
  }

  private void error(VoiceEvent.Code code, String message) {
    events.accept(new VoiceEvent.Error(code, message));
  }

  /**
   * The client's input is paused while the VAD is more than a second behind or finals queue up for
   * Whisper (a client sending bursts of speech faster than real time): nothing is dropped, TCP
   * slows the client.
   */
  private void inputBacklogChanged() {
    boolean now = input.backlogged() || (transcription != null && transcription.backlogged());
    if (now != inputPaused && !closed) {
      inputPaused = now;
      events.accept(new VoiceEvent.InputBacklog(now));
    }
  }

  // --- input ---------------------------------------------------------------------------------

  /** Audio from the client at the input rate. */
  public void appendAudio(short[] pcm) {
    if (closed) {
      return;
    }
    input.append(toVad.process(pcm), settings.serverVad());
  }

  private void onScored(float[] f, boolean voiced, List<VadEvent> decided, long position) {
    if (closed) {
      return;
    }
    if (transcription != null) {
      transcription.audio(f, voiced);
    }
    for (VadEvent e : decided) {
      if (transcription != null) {
        transcription.event(e);
      }
      switch (e) {
        case VadEvent.SpeechStarted s -> onSpeechStarted(s, position);
        case VadEvent.SpeechStopped s -> onSpeechStopped(s);
      }
    }
  }

  private void onSpeechStarted(VadEvent.SpeechStarted s, long position) {
    speechItem = "item_" + next();
    if (transcription != null) {
      transcription.started(speechItem);
    }
    events.accept(new VoiceEvent.SpeechStarted(speechItem, s.startSample() * 1000 / VoiceActivityModel.SAMPLE_RATE));
    if (active != null && settings.interruptResponse()) {
      String item = speechItem;
      // speech_started comes once speech has lasted the session's minimum: the barge-in wait counts
      // from the onset, so only what is left of it after the speech already heard is waited for.
      long heardMs = (position - s.onsetSample()) * 1000 / VoiceActivityModel.SAMPLE_RATE;
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
    committed(item);
    if (transcription == null) {
      sttMissing(item);
      return;
    }
    transcription.stopped(item, timings);
  }

  private void committed(String item) {
    String previous = lastItem;
    lastItem = item;
    events.accept(new VoiceEvent.TurnCommitted(item, previous));
  }

  private void sttMissing(String item) {
    events.accept(new VoiceEvent.TranscriptFailed(item, engines.sttMissing()));
    error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.sttMissing());
  }

  /** input_audio_buffer.commit (without server VAD): the buffered audio becomes a user turn. */
  public void commit() {
    float[] audio = input.takeManual();
    if (audio.length == 0) {
      error(VoiceEvent.Code.COMMIT_EMPTY, "the input audio buffer is empty");
      return;
    }
    String item = "item_" + next();
    TurnTimings timings = new TurnTimings(clock.nanoTime());
    committed(item);
    if (transcription == null) {
      sttMissing(item);
      return;
    }
    transcription.transcribe(item, audio, settings.language(), timings);
  }

  /** input_audio_buffer.clear: the manual buffer and a partly filled frame are dropped. */
  public void clear() {
    input.clear();
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
    memory.user(text);
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
    Responder r = new Responder("resp_" + next(), "item_" + next(),
        timings == null ? new TurnTimings(clock.nanoTime()) : timings, clock, context, engines, fromTts,
        chunkers.get(), outputRate, settings.audioOut(), new Responder.Host() {
          @Override
          public void emit(VoiceEvent event) {
            events.accept(event);
          }

          @Override
          public void finished(Responder responder, VoiceEvent.Status status, VoiceEvent.Reason reason) {
            if (active == responder) {
              done(responder, status, reason);
              memory.assistant(responder.transcript(), false);
            }
          }
        });
    active = r;
    events.accept(new VoiceEvent.ResponseStarted(r.id, r.itemId));
    r.start(engines.chat().get(), new ChatRequest(memory.prompt(settings.instructions(), settings.contextMessages()),
        settings.maxTokens(), settings.temperature()));
  }

  private void done(Responder r, VoiceEvent.Status status, VoiceEvent.Reason reason) {
    active = null;
    r.timings.done(clock.nanoTime());
    events.accept(new VoiceEvent.ResponseDone(r.id, r.itemId, status, reason, r.transcript(), r.timings));
    lastItem = r.itemId;
  }

  /** response.cancel, or a barge-in. The answer is stored as far as it was heard. */
  public void cancelResponse(VoiceEvent.Reason reason) {
    Responder r = active;
    if (r == null) {
      return;
    }
    r.interrupt();
    Cut cut = new Cut(r, r.playedMs());
    done(r, VoiceEvent.Status.CANCELLED, reason);
    if (pendingTruncation != null) {
      storeCut(pendingTruncation.playedMs()); // an earlier cut whose truncate did not come: kept as heard
    }
    pendingTruncation = cut;
    clock.setTimer(TRUNCATE_WAIT_MS, () -> {
      if (pendingTruncation == cut) {
        storeCut(cut.playedMs());
      }
    });
  }

  /** conversation.item.truncate: the client says how much of an answer it played. */
  public void truncate(String itemId, long audioEndMs) {
    if (pendingTruncation != null && pendingTruncation.responder().itemId.equals(itemId)) {
      storeCut(audioEndMs);
    }
  }

  private void storeCut(long playedMs) {
    Responder r = pendingTruncation.responder();
    pendingTruncation = null;
    memory.assistant(r.heardText(playedMs), true);
  }

  /** The socket closed: stop everything this session started. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    input.close();
    Responder r = active;
    active = null;
    if (r != null) {
      r.interrupt();
      // Stored as far as it was heard (the server's playout clock), as a barge-in stores it: the
      // conversation, and a session that resumes it, know what the user heard of the answer.
      memory.assistant(r.heardText(r.playedMs()), true);
    }
    if (bargeInTimer >= 0) {
      clock.cancelTimer(bargeInTimer);
    }
    if (transcription != null) {
      transcription.close();
    }
  }
}
