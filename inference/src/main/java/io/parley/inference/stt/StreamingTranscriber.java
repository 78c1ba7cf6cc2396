package io.parley.inference.stt;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.vad.VadEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a batch {@link SpeechToText} streaming for one audio stream by segmenting it with the VAD:
 * while the user speaks, an interim transcript of the speech so far every {@code interimEvery}
 * ({@code PARLEY_STT_INTERIM_MS}); at {@link VadEvent.SpeechStopped}, one final transcript of the
 * whole segment. Audio the VAD did not call speech is never transcribed; silence costs nothing.
 *
 * <h2>Feeding</h2>
 * Call {@link #audio} with every frame of the stream, in order, and {@link #event} with the VAD's
 * decisions as they are made (after the frame that caused them). Sample offsets in the events are
 * on the same clock as the fed audio: sample 0 is the first sample given to {@link #audio}. Both
 * methods are cheap and never block (an event loop may call them) and are thread-safe.
 *
 * <h2>Work</h2>
 * Engine calls run on {@code executor}, which must use platform threads (JNI engines refuse virtual
 * ones). Per stream at most one call is in flight: an interim that falls due while a call runs is
 * skipped (the next one covers more speech anyway); a final waits for the running call and finals
 * run in segment order. Interims fall due only on voiced audio. When speech stops while an interim
 * runs that already has every voiced sample of the segment (only silence came after it started),
 * that interim's result is delivered as the final: no second pass and no wait, which matters because
 * the VAD calls the end of speech only after its minimum silence, time in which an interim started
 * on the last words is still running. Interims cover at most the last {@link #MAX_INTERIM_SAMPLES} of speech; the
 * final is the segment the VAD reported, which a {@link WhisperStt} transcribes in 30 s windows.
 * Buffered audio is bounded: the pre-roll while silent, 30 s while speaking.
 *
 * <h2>Backpressure</h2>
 * Finals are never dropped, so a client that speaks in short bursts faster than the engine keeps
 * up (audio sent faster than real time) would grow the queue of finals without bound. When
 * {@link #BACKLOG_HIGH} finals wait behind the running call, the stream reports itself backlogged
 * (the {@code backlogChanged} hook runs; {@link #backlogged()} says true) and the session stops
 * reading its client until no more than {@link #BACKLOG_LOW} wait. The queued audio stays bounded
 * by those finals (each at most the segment the VAD reported).
 *
 * <h2>Results</h2>
 * Each {@link VadEvent.SpeechStarted} opens a segment with the next id (1, 2, ...). Engine calls
 * cannot be aborted, so stale results are discarded when they arrive: an interim is delivered only
 * while its segment is still being spoken; a final is delivered unless {@link #reset()} or
 * {@link #close()} came after it was requested. The listener is called on the executor's threads,
 * one call at a time and in order (a final of segment n before anything of segment n + 1); hop to
 * your own context from there. A failed interim is only logged (the final will tell); a failed final
 * is reported to {@link Listener#failed}.
 */
public final class StreamingTranscriber implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StreamingTranscriber.class);

  public static final int SAMPLE_RATE = 16_000;
  /** The most speech one interim covers (the latest 30 s): Whisper's window, and a bound on memory. */
  public static final int MAX_INTERIM_SAMPLES = 30 * SAMPLE_RATE;
  /** The most pre-roll kept while silent (PARLEY_VAD_PREROLL_MS allows up to 5 s). */
  public static final int MAX_PREROLL_SAMPLES = 5 * SAMPLE_RATE;

  /** Finals waiting behind the running call at which the stream is backlogged. */
  public static final int BACKLOG_HIGH = 4;
  /** Finals waiting at or below which a backlogged stream is not any more. */
  public static final int BACKLOG_LOW = 1;

  /** Receives the transcripts of one stream. */
  public interface Listener {

    /** The speech of segment {@code segmentId} so far. Later interims supersede earlier ones. */
    void interim(long segmentId, String text);

    /** The final transcript of segment {@code segmentId}. ("final" is a Java keyword.) */
    void completed(long segmentId, Transcript transcript);

    /** The final transcript of segment {@code segmentId} failed; no {@link #completed} follows. */
    void failed(long segmentId, ParleyException error);
  }

  /**
   * One engine call. {@code coversAllFrom} / {@code coversTo}: the stream offsets an interim's audio
   * spans ({@code coversAllFrom} is the segment's start when it has all of it, else -1).
   */
  private record Job(long segment, long epoch, boolean isFinal, float[] audio, long coversAllFrom, long coversTo,
                     Optional<String> language, String prompt) {}

  private final SpeechToText engine;
  private final Executor executor;
  private final long interimSamples; // 0: finals only
  private int preRollSamples; // guarded by lock
  private Optional<String> language; // guarded by lock
  private String prompt; // guarded by lock; null for none
  private final Listener listener;
  private final Runnable backlogChanged;

  private final Object lock = new Object();
  // all guarded by lock:
  private float[] buf = new float[SAMPLE_RATE];
  private int len;
  private long bufStart;          // stream offset of buf[0]
  private boolean speaking;
  private long segmentStart;      // stream offset where the current segment's audio begins
  private long segmentId;         // the current (or last) segment
  private long nextInterimAt;     // stream offset at which the next interim falls due
  private long epoch;             // advanced by reset()
  private boolean running;        // an engine call is in flight
  private boolean closed;
  private final ArrayDeque<Job> finals = new ArrayDeque<>();
  private Job inFlight;           // the engine call running, if any
  private boolean promoted;       // inFlight, an interim, is to be delivered as its segment's final
  private long lastVoicedEnd;     // stream offset just after the last voiced sample
  private boolean backlogged;     // BACKLOG_HIGH finals waited, not yet back to BACKLOG_LOW
  private long promotions;
  private long interimsStarted;
  private long interimsSkipped;

  /**
   * @param engine the batch engine, shared by many streams
   * @param executor runs engine calls; platform threads (the STT worker executor)
   * @param language ISO 639-1 code, or empty to let the engine detect it
   * @param interimEvery speech between interims; zero for finals only
   * @param preRoll audio kept before speech starts, to serve {@link VadEvent.SpeechStarted}'s pre-roll
   */
  public StreamingTranscriber(SpeechToText engine, Executor executor, Optional<String> language,
                              Duration interimEvery, Duration preRoll, Listener listener) {
    this(engine, executor, language, interimEvery, preRoll, listener, () -> { });
  }

  /**
   * As above, with {@code backlogChanged} run (on whichever thread changed it, outside the stream's
   * lock) each time {@link #backlogged()} may have changed; read it there, the hook carries no value.
   */
  public StreamingTranscriber(SpeechToText engine, Executor executor, Optional<String> language,
                              Duration interimEvery, Duration preRoll, Listener listener, Runnable backlogChanged) {
    this.backlogChanged = Objects.requireNonNull(backlogChanged, "backlogChanged");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.language = Objects.requireNonNull(language, "language");
    this.listener = Objects.requireNonNull(listener, "listener");
    if (interimEvery.isNegative() || preRoll.isNegative()) {
      throw new IllegalArgumentException("interimEvery and preRoll must not be negative");
    }
    this.interimSamples = interimEvery.toMillis() * SAMPLE_RATE / 1000;
    this.preRollSamples = preRollSamples(preRoll);
  }

  private static int preRollSamples(Duration preRoll) {
    return (int) Math.min(MAX_PREROLL_SAMPLES, preRoll.toMillis() * SAMPLE_RATE / 1000);
  }

  /**
   * A new pre-roll (a client's {@code prefix_padding_ms}): what is kept while silent from now on,
   * so a longer one is served in full once that much audio has come in.
   */
  public void preRoll(Duration preRoll) {
    if (preRoll.isNegative()) {
      throw new IllegalArgumentException("preRoll must not be negative");
    }
    synchronized (lock) {
      preRollSamples = preRollSamples(preRoll);
    }
  }

  /**
   * The language of the speech from now on (a session's {@code session.update}): an ISO 639-1 code,
   * or empty to let the engine detect it. Engine calls already made keep the one they had.
   */
  public void language(Optional<String> language) {
    Objects.requireNonNull(language, "language");
    synchronized (lock) {
      this.language = language;
    }
  }

  /** The engine's prompt from now on (Whisper's initial prompt), or null for none. */
  public void prompt(String prompt) {
    synchronized (lock) {
      this.prompt = prompt;
    }
  }

  /** The next samples of the stream (16 kHz mono, [-1, 1]), taken as voiced; the array is copied. */
  public void audio(float[] samples) {
    audio(samples, true);
  }

  /**
   * The next samples of the stream (16 kHz mono, [-1, 1]); the array is copied. An interim falls
   * due only on {@code voiced} audio: in a pause, and in the silence that ends a turn before the
   * VAD calls it, there is nothing new to transcribe, and an interim started there would only hold
   * up the final, which waits for the running call.
   */
  public void audio(float[] samples, boolean voiced) {
    Job interim = null;
    synchronized (lock) {
      if (closed) {
        return;
      }
      append(samples);
      long fed = bufStart + len;
      if (voiced) {
        lastVoicedEnd = fed;
      }
      if (speaking && voiced && interimSamples > 0 && fed >= nextInterimAt) {
        while (nextInterimAt <= fed) {
          nextInterimAt += interimSamples;
        }
        if (running) {
          interimsSkipped++;
        } else {
          long from = Math.max(segmentStart, fed - MAX_INTERIM_SAMPLES);
          float[] speech = Arrays.copyOfRange(buf, (int) (from - bufStart), len);
          interim = new Job(segmentId, epoch, false, speech, from == segmentStart ? from : -1, fed, language,
              prompt);
          inFlight = interim;
          promoted = false;
          running = true;
          interimsStarted++;
        }
      }
      trim();
    }
    if (interim != null) {
      submit(interim);
    }
  }

  /** A decision of the VAD about this stream. */
  public void event(VadEvent event) {
    Job job = null;
    boolean backlogFlip = false;
    synchronized (lock) {
      if (closed) {
        return;
      }
      long fed = bufStart + len;
      switch (event) {
        case VadEvent.Paused paused -> {
          return; // the segment goes on: only its end matters here
        }
        case VadEvent.SpeechStarted started -> {
          segmentId++;
          speaking = true;
          segmentStart = Math.clamp(started.startSample(), bufStart, fed);
          nextInterimAt = fed + interimSamples;
        }
        case VadEvent.SpeechStopped stopped -> {
          if (!speaking) {
            segmentId++; // a stop without a start: still a segment of its own
          }
          speaking = false;
          Job f = new Job(segmentId, epoch, true, stopped.audio(), -1, fed, language, prompt);
          if (running && finals.isEmpty() && promotable(inFlight)) {
            // The interim in flight already has every voiced sample of this segment (only silence
            // came after it started): its result is the final. No second pass, no wait.
            promoted = true;
            promotions++;
          } else if (running) {
            finals.addLast(f);
            backlogFlip = updateBacklog();
          } else {
            running = true;
            inFlight = f;
            job = f;
          }
          trim();
        }
      }
    }
    if (backlogFlip) {
      backlogChanged.run();
    }
    if (job != null) {
      submit(job);
    }
  }

  /** Whether {@link #BACKLOG_HIGH} finals wait (and not yet back down to {@link #BACKLOG_LOW}). */
  public boolean backlogged() {
    synchronized (lock) {
      return backlogged;
    }
  }

  /** Finals waiting behind the running call. */
  public int queuedFinals() {
    synchronized (lock) {
      return finals.size();
    }
  }

  /** Under the lock: updates {@link #backlogged}; true when it changed (run the hook after the lock). */
  private boolean updateBacklog() {
    boolean now = backlogged ? finals.size() > BACKLOG_LOW : finals.size() >= BACKLOG_HIGH;
    if (now == backlogged) {
      return false;
    }
    backlogged = now;
    return true;
  }

  /**
   * Forgets the stream's state (the stream restarts, e.g. a session resumed on a new connection):
   * pending and running work is discarded when it completes, sample offsets start again at 0, and
   * segment ids continue upwards (so a late result can never be mistaken for a new one).
   */
  public void reset() {
    boolean backlogFlip;
    synchronized (lock) {
      epoch++;
      speaking = false;
      finals.clear();
      backlogFlip = updateBacklog();
      len = 0;
      bufStart = 0;
      buf = new float[SAMPLE_RATE];
    }
    if (backlogFlip) {
      backlogChanged.run();
    }
  }

  /** The id of the current or most recent segment (0 before the first). */
  public long segmentId() {
    synchronized (lock) {
      return segmentId;
    }
  }

  /** Interims started so far. */
  public long interimsStarted() {
    synchronized (lock) {
      return interimsStarted;
    }
  }

  /** Interims skipped because a call was still running. */
  public long interimsSkipped() {
    synchronized (lock) {
      return interimsSkipped;
    }
  }

  /** Stops the stream: later input is ignored, running work is discarded when it completes. */
  @Override
  public void close() {
    boolean backlogFlip;
    synchronized (lock) {
      closed = true;
      finals.clear();
      backlogFlip = updateBacklog();
      buf = new float[0];
      len = 0;
    }
    if (backlogFlip) {
      backlogChanged.run();
    }
  }

  /** Finals delivered from an interim that already covered the whole segment's speech. */
  public long promotions() {
    synchronized (lock) {
      return promotions;
    }
  }

  /** Whether {@code job}, running, is an interim of the current segment with all of its voiced audio. */
  private boolean promotable(Job job) {
    return job != null && !job.isFinal() && job.epoch() == epoch && job.segment() == segmentId
        && job.coversAllFrom() >= 0 && job.coversAllFrom() <= segmentStart && job.coversTo() >= lastVoicedEnd;
  }

  // --- buffer -------------------------------------------------------------------------------------

  private void append(float[] samples) {
    if (len + samples.length > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + samples.length));
    }
    System.arraycopy(samples, 0, buf, len, samples.length);
    len += samples.length;
  }

  /** Drops audio no interim can need any more; compacts once at least half the buffer is dead. */
  private void trim() {
    long fed = bufStart + len;
    long keepFrom = speaking ? Math.max(segmentStart, fed - MAX_INTERIM_SAMPLES) : fed - preRollSamples;
    int drop = (int) Math.max(0, keepFrom - bufStart);
    if (drop == 0 || drop < len / 2) {
      return;
    }
    System.arraycopy(buf, drop, buf, 0, len - drop);
    len -= drop;
    bufStart += drop;
    int want = Math.max(SAMPLE_RATE, len * 2);
    if (buf.length > 4 * want) {
      buf = Arrays.copyOf(buf, want); // give memory back after a long segment
    }
  }

  // --- engine calls -------------------------------------------------------------------------------

  private void submit(Job job) {
    try {
      executor.execute(() -> run(job));
    } catch (RejectedExecutionException e) {
      done(job, null, new ParleyException(Reason.UNAVAILABLE, "speech to text is overloaded or shutting down", e));
    }
  }

  private void run(Job job) {
    Transcript t;
    try {
      t = engine.transcribe(job.audio(), job.language(), job.prompt());
    } catch (RuntimeException e) {
      done(job, null, e);
      return;
    } catch (Error e) {
      done(job, null, new ParleyException(Reason.INTERNAL, "speech to text failed: " + e, e));
      throw e;
    }
    done(job, t, null);
  }

  private void done(Job job, Transcript result, RuntimeException error) {
    boolean deliver;
    boolean asFinal;
    synchronized (lock) {
      asFinal = job.isFinal() || (promoted && job == inFlight);
      deliver = !closed && job.epoch() == epoch
          && (asFinal || (speaking && job.segment() == segmentId));
      if (asFinal && !job.isFinal() && error != null) {
        // The promoted interim failed: the segment still gets its own final pass.
        asFinal = false;
        deliver = false;
        finals.addFirst(new Job(job.segment(), job.epoch(), true, job.audio(), -1, job.coversTo(), job.language(),
            job.prompt()));
      }
      promoted = false;
      inFlight = null;
    }
    if (deliver) {
      try {
        if (error == null && asFinal) {
          listener.completed(job.segment(), result);
        } else if (error == null) {
          listener.interim(job.segment(), result.text());
        } else if (job.isFinal()) {
          listener.failed(job.segment(), error instanceof ParleyException pe ? pe
              : new ParleyException(Reason.INTERNAL, "speech to text failed: " + error, error));
        } else {
          LOG.debug("interim transcript of segment {} failed (the final will report)", job.segment(), error);
        }
      } catch (RuntimeException e) {
        LOG.warn("transcript listener failed on segment {}", job.segment(), e);
      }
    } else {
      LOG.trace("discarded a late {} of segment {}", job.isFinal() ? "final" : "interim", job.segment());
    }
    Job next;
    boolean backlogFlip;
    synchronized (lock) {
      next = closed ? null : finals.pollFirst();
      running = next != null;
      inFlight = next;
      backlogFlip = updateBacklog();
    }
    if (backlogFlip) {
      backlogChanged.run();
    }
    if (next != null) {
      submit(next);
    }
  }
}
