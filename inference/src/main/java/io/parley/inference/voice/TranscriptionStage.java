package io.parley.inference.voice;

import io.parley.core.ParleyException;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.stt.StreamingTranscriber;
import io.parley.inference.stt.Transcript;
import io.parley.inference.vad.VadEvent;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speech to text for one session: the {@link StreamingTranscriber} fed with the segmented audio,
 * and which conversation item each of its segments became. Interim transcripts become
 * {@link VoiceEvent.TranscriptDelta}s while they extend what was sent (clients append deltas); a
 * final one becomes a {@link VoiceEvent.TranscriptFinal} and, when it says something, a user turn.
 * A manual commit's audio is transcribed whole ({@link #transcribe}). On the session's context; the
 * engine runs on the model's one executor.
 */
final class TranscriptionStage {

  /** A transcript that says something: user turn {@code item}, in {@code language}, with its timings. */
  interface UserTurn {
    void said(String item, String text, String language, TurnTimings timings);
  }

  private static final Logger LOG = LoggerFactory.getLogger(TranscriptionStage.class);

  private final StreamingTranscriber transcriber;
  /** For manual commits (the streaming transcriber keeps its own); set and read on the session's context. */
  private String prompt;
  private final SpeechToText stt;
  private final WorkerExecutor workers;
  private final VoiceClock clock;
  private final Consumer<VoiceEvent> events;
  private final UserTurn userText;
  private final Map<Long, String> segmentItems = new HashMap<>();
  private final Map<Long, String> interimText = new HashMap<>();
  private final Map<Long, TurnTimings> segmentTimings = new HashMap<>();
  private boolean closed;

  /**
   * @param language the language of the speech (ISO 639-1), or empty to detect it
   * @param userText a transcript that says something, with its language and its turn's timings
   * @param backlogChanged runs on the context when {@link #backlogged()} may have changed
   */
  TranscriptionStage(SpeechToText stt, WorkerExecutor workers, Optional<String> language, Duration interimEvery,
                     Duration preRoll, Context context, VoiceClock clock, Consumer<VoiceEvent> events,
                     UserTurn userText, Runnable backlogChanged) {
    this.stt = stt;
    this.workers = workers;
    this.clock = clock;
    this.events = events;
    this.userText = userText;
    java.util.concurrent.Executor executor = job -> workers.executeBlocking(() -> {
      job.run();
      return null;
    }, false).onFailure(e -> LOG.error("voice: a speech-to-text job failed", e));
    this.transcriber = new StreamingTranscriber(stt, executor, language, interimEvery, preRoll,
        new StreamingTranscriber.Listener() {
          @Override
          public void interim(long segmentId, String text) {
            context.runOnContext(v -> onInterim(segmentId, text));
          }

          @Override
          public void completed(long segmentId, Transcript transcript) {
            context.runOnContext(v -> onFinal(segmentId, transcript));
          }

          @Override
          public void failed(long segmentId, ParleyException error) {
            context.runOnContext(v -> {
              String item = segmentItems.remove(segmentId);
              if (item != null && !closed) {
                transcriptFailed(item, error);
              }
            });
          }
        }, () -> context.runOnContext(v -> backlogChanged.run()));
  }

  /**
   * The turn {@code item} has no transcript; when its engine's process died, the session is also told
   * so with an {@code engine_restarted} error (its next turn works once the engine is back).
   */
  private void transcriptFailed(String item, Throwable error) {
    events.accept(new VoiceEvent.TranscriptFailed(item, error.getMessage()));
    if (VoiceEvent.Code.of(error, null) == VoiceEvent.Code.ENGINE_RESTARTED) {
      events.accept(new VoiceEvent.Error(VoiceEvent.Code.ENGINE_RESTARTED, "speech to text: " + error.getMessage()));
    }
  }

  /** A scored frame; {@code voiced} frames are what interims wait for. */
  void audio(float[] frame, boolean voiced) {
    transcriber.audio(frame, voiced);
  }

  /** A segmenter decision, before the session acts on it. */
  void event(VadEvent e) {
    transcriber.event(e);
  }

  /** The segment that just started shows as {@code item}. */
  void started(String item) {
    segmentItems.put(transcriber.segmentId(), item);
  }

  /** The segment that just stopped is user turn {@code item}: its final transcript is on the way. */
  void stopped(String item, TurnTimings timings) {
    long segment = transcriber.segmentId();
    segmentItems.put(segment, item);
    segmentTimings.put(segment, timings);
  }

  /** A manual commit: {@code audio} is user turn {@code item}, transcribed whole. */
  void transcribe(String item, float[] audio, Optional<String> language, TurnTimings timings) {
    String prompt = this.prompt;
    workers.executeBlocking(() -> stt.transcribe(audio, language, prompt), false).onComplete(ar -> {
      if (closed) {
        return;
      }
      if (ar.failed()) {
        transcriptFailed(item, ar.cause());
        return;
      }
      finished(item, timings, ar.result());
    });
  }

  void preRoll(Duration preRoll) {
    transcriber.preRoll(preRoll);
  }

  /** The language of the speech from the next engine call on (ISO 639-1), or empty to detect it. */
  void language(Optional<String> language) {
    transcriber.language(language);
  }

  /** The engine's prompt from the next engine call on (Whisper's initial prompt), or null for none. */
  void prompt(String prompt) {
    this.prompt = prompt;
    transcriber.prompt(prompt);
  }

  boolean backlogged() {
    return transcriber.backlogged();
  }

  void close() {
    closed = true;
    transcriber.close();
  }

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
    finished(item, timings == null ? new TurnTimings(clock.nanoTime()) : timings, t);
  }

  /** The final transcript of user turn {@code item}. */
  private void finished(String item, TurnTimings timings, Transcript t) {
    timings.transcribed(clock.nanoTime(), t.compute());
    String text = t.text().strip();
    events.accept(new VoiceEvent.TranscriptFinal(item, text, t.language()));
    if (!text.isEmpty()) {
      userText.said(item, text, t.language(), timings);
    }
  }
}
