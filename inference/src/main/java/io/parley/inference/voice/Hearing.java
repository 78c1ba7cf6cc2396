package io.parley.inference.voice;

import io.parley.inference.vad.VadEvent;
import io.parley.inference.vad.VadSegmenter;
import io.vertx.core.Context;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a {@link VoiceSession} hears, up to a transcribed user turn: the input ({@link InputStage}:
 * framing, the VAD and the segmenter, or the manual buffer without server VAD), turn detection with
 * the barge-in policy ({@link TurnDetector}), semantic end of turn (the end-of-turn model asked at
 * each pause), and transcription ({@link TranscriptionStage}). A finished turn goes to the
 * session as {@link Listener#spoken}. Confined to the session's context.
 */
final class Hearing {

  /** What hearing needs from the answering side. */
  interface Listener {
    /** Whether an answer is in progress (a turn that starts during one may be a barge-in). */
    boolean answering();

    /** The user's speech cut the answer in progress. */
    void bargeIn();

    /** User turn {@code item} was transcribed as {@code text} in {@code language}. */
    void spoken(String item, String text, String language, TurnTimings timings);
  }

  private final VoiceClock clock;
  private final Context context;
  private final VoiceEngines engines;
  private final Consumer<VoiceEvent> events;
  private final ItemIds items;
  private final Supplier<VoiceSettings> settings;
  private final VoiceSession.Converter toVad;
  private final InputStage input;
  private final TurnDetector turns;
  private final TranscriptionStage transcription;
  /** Whether the client's input is paused (see {@link #backlogChanged}). */
  private boolean inputPaused;
  private boolean closed;

  Hearing(VoiceClock clock, Context context, VoiceEngines engines, Consumer<VoiceEvent> events, ItemIds items,
          Supplier<VoiceSettings> settings, VoiceSession.Converter toVad, VadSegmenter segmenter,
          UUID conversationId, Listener listener) {
    this.clock = clock;
    this.context = context;
    this.engines = engines;
    this.events = events;
    this.items = items;
    this.settings = settings;
    this.toVad = toVad;
    VoiceSettings now = settings.get();
    segmenter.update(now.turnDetection());
    this.input = new InputStage(engines.vad().orElse(null), context, this::backlogChanged, segmenter,
        conversationId, events, this::onScored);
    this.transcription = engines.stt().map(stt -> new TranscriptionStage(stt, engines.sttWorkers(),
        now.language(), engines.interimEvery(), now.turnDetection().preRoll(), context, clock, events,
        listener::spoken, this::backlogChanged)).orElse(null);
    this.turns = new TurnDetector(clock, items, settings, events, new TurnDetector.Turns() {
      @Override
      public boolean answering() {
        return listener.answering();
      }

      @Override
      public void started(String item) {
        if (transcription != null) {
          transcription.started(item);
        }
      }

      @Override
      public void bargeIn() {
        listener.bargeIn();
      }

      @Override
      public void ended(String item, TurnTimings timings) {
        if (transcription == null) {
          sttMissing(item);
        } else {
          transcription.stopped(item, timings);
        }
      }
    });
  }

  /** New settings: turn detection from the next frame on, a language from the next transcription on. */
  void update(VoiceSettings before, VoiceSettings s) {
    if (!s.turnDetection().equals(before.turnDetection())) {
      input.update(s.turnDetection());
      if (transcription != null) {
        transcription.preRoll(s.turnDetection().preRoll());
      }
    }
    if (!s.language().equals(before.language()) && transcription != null) {
      transcription.language(s.language());
    }
  }

  /** Whisper's initial prompt from the next transcription on, or null for none. */
  void transcriptionPrompt(String prompt) {
    if (transcription != null) {
      transcription.prompt(prompt);
    }
  }

  /** Audio from the client at the input rate. */
  void append(short[] pcm) {
    if (!closed) {
      input.append(toVad.process(pcm), settings.get().serverVad());
    }
  }

  /** input_audio_buffer.commit (without server VAD): the buffered audio becomes a user turn. */
  void commit() {
    float[] audio = input.takeManual();
    if (audio.length == 0) {
      events.accept(new VoiceEvent.Error(VoiceEvent.Code.COMMIT_EMPTY, "the input audio buffer is empty"));
      return;
    }
    String item = items.newItem();
    TurnTimings timings = new TurnTimings(clock.nanoTime());
    events.accept(items.committed(item));
    if (transcription == null) {
      sttMissing(item);
      return;
    }
    transcription.transcribe(item, audio, settings.get().language(), timings);
  }

  /** input_audio_buffer.clear: the manual buffer and a partly filled frame are dropped. */
  void clear() {
    input.clear();
  }

  /**
   * The client's input is paused while the VAD is more than a second behind or finals queue up for
   * Whisper (a client sending bursts of speech faster than real time): nothing is dropped, TCP
   * slows the client.
   */
  private void backlogChanged() {
    boolean now = input.backlogged() || (transcription != null && transcription.backlogged());
    if (now != inputPaused && !closed) {
      inputPaused = now;
      events.accept(new VoiceEvent.InputBacklog(now));
    }
  }

  private void onScored(float[] f, boolean voiced, List<VadEvent> decided, long position) {
    if (closed) {
      return;
    }
    if (transcription != null) {
      transcription.audio(f, voiced);
    }
    decided(decided, position);
  }

  private void decided(List<VadEvent> decided, long position) {
    for (VadEvent e : decided) {
      if (e instanceof VadEvent.Paused p) {
        paused(p);
        continue;
      }
      if (transcription != null) {
        transcription.event(e);
      }
      turns.accept(e, position);
    }
  }

  /**
   * Semantic turn detection: the user paused; the end-of-turn model says whether the turn is
   * complete. At or above the eagerness's threshold it ends at the pause (if the user has not spoken
   * again meanwhile); otherwise it goes on, until speech resumes or the silence fallback ends it.
   */
  private void paused(VadEvent.Paused p) {
    var eagerness = settings.get().turnDetection().eagerness();
    if (eagerness.isEmpty() || engines.endOfTurn().isEmpty()) {
      return;
    }
    double threshold = eagerness.get().threshold();
    engines.endOfTurn().get().submit(context, p.audio(), complete -> {
      if (!closed && complete >= threshold) {
        decided(input.endPause(p), input.segmented());
      }
    });
  }

  private void sttMissing(String item) {
    events.accept(new VoiceEvent.TranscriptFailed(item, engines.sttMissing()));
    events.accept(new VoiceEvent.Error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.sttMissing()));
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    input.close();
    turns.close();
    if (transcription != null) {
      transcription.close();
    }
  }
}
