package io.parley.inference.voice;

import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores VAD frames of all sessions on the VAD workers, batching the streams that have a frame
 * waiting when a worker becomes free into one model run: one frame per stream per run, so each
 * stream's recurrent state advances in order. Idle, a frame runs at once; under load, batches grow
 * by themselves (up to {@link #MAX_BATCH} streams), and streams take turns.
 *
 * <p>Each session opens a {@link Stream}: its frames wait in its own FIFO. One batch runs at a time
 * (the model's own threads, PARLEY_VAD_THREADS, parallelise inside a run), so a stream's frames can
 * never be scored out of order. Results return on the stream's context.
 *
 * <p><b>Backpressure.</b> A stream more than {@link #HIGH_WATER} frames behind (about a second of
 * audio) reports itself backlogged; the session then stops reading its client's socket until the
 * stream is back under {@link #LOW_WATER}. Nothing is dropped: a client sending faster than the
 * VAD keeps up is slowed by TCP, and the audio queued per session stays bounded.
 */
public final class VadScheduler {

  private static final Logger LOG = LoggerFactory.getLogger(VadScheduler.class);

  /** Largest batch per model run. */
  public static final int MAX_BATCH = 64;
  /** Frames waiting in one stream (32 ms each) above which it is backlogged: ~1 s of audio. */
  public static final int HIGH_WATER = 32;
  /** Frames waiting at or below which a backlogged stream reads again. */
  public static final int LOW_WATER = 8;

  private final VoiceActivityModel model;
  private final ConcurrentLinkedQueue<Stream> ready = new ConcurrentLinkedQueue<>();
  private final BatchLoop loop;
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong scored = new AtomicLong();
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicBoolean failing = new AtomicBoolean();

  public VadScheduler(VoiceActivityModel model, WorkerExecutor workers) {
    this.model = model;
    this.loop = new BatchLoop(workers, () -> !ready.isEmpty(), this::runBatch);
  }

  public VoiceActivityModel model() {
    return model;
  }

  /** Frames handed in so far (all sessions). */
  public long submitted() {
    return submitted.get();
  }

  /** Frames scored so far; equal to {@link #submitted} once every queue is drained: none is dropped. */
  public long scored() {
    return scored.get();
  }

  /** Model runs that failed (their frames were delivered as NaN). */
  public long failures() {
    return failures.get();
  }

  /** Model runs so far; scored / runs is the mean batch size. */
  public long runs() {
    return runs.get();
  }

  /**
   * A stream of frames with its own model state. {@code backlog} hears {@code true} when the stream
   * falls more than {@link #HIGH_WATER} frames behind and {@code false} once it is back at
   * {@link #LOW_WATER}; both on {@code context}.
   */
  public Stream open(Context context, Consumer<Boolean> backlog) {
    return new Stream(model.newState(), Objects.requireNonNull(context), Objects.requireNonNull(backlog));
  }

  /** One session's frames, scored in order. Submit from the stream's context. */
  public final class Stream {
    private final VoiceActivityModel.State state;
    private final Context context;
    private final Consumer<Boolean> backlog;
    private final ConcurrentLinkedQueue<Job> frames = new ConcurrentLinkedQueue<>();
    /** Whether this stream is in {@link #ready} (or being scored): it is never there twice. */
    private final AtomicBoolean queued = new AtomicBoolean();
    /** Frames submitted and not yet delivered; touched on the context only. */
    private int pending;
    private boolean backlogged;

    private Stream(VoiceActivityModel.State state, Context context, Consumer<Boolean> backlog) {
      this.state = state;
      this.context = context;
      this.backlog = backlog;
    }

    /** Scores {@code frame}; {@code result} runs on the stream's context, in submission order. */
    public void submit(float[] frame, Consumer<Float> result) {
      submitted.incrementAndGet();
      pending++;
      if (!backlogged && pending > HIGH_WATER) {
        backlogged = true;
        backlog.accept(true);
      }
      frames.add(new Job(frame, result));
      if (queued.compareAndSet(false, true)) {
        ready.add(this);
        kick();
      }
    }

    /** Frames submitted and not yet delivered. */
    public int pending() {
      return pending;
    }

    public boolean backlogged() {
      return backlogged;
    }

    private void delivered(Job job, float p) {
      pending--;
      if (backlogged && pending <= LOW_WATER) {
        backlogged = false;
        backlog.accept(false);
      }
      job.result.accept(p);
    }

    /** After a run: back in line if more frames wait, else out (racing a submit safely). */
    private void requeue() {
      if (!frames.isEmpty()) {
        ready.add(this);
        return;
      }
      queued.set(false);
      if (!frames.isEmpty() && queued.compareAndSet(false, true)) {
        ready.add(this);
      }
    }
  }

  private record Job(float[] frame, Consumer<Float> result) {}

  private void kick() {
    loop.kick();
  }

  private Void runBatch() {
    List<Stream> streams = new ArrayList<>();
    List<Job> jobs = new ArrayList<>();
    Stream s;
    while (streams.size() < MAX_BATCH && (s = ready.poll()) != null) {
      Job j = s.frames.poll();
      if (j == null) {
        s.requeue();
        continue;
      }
      streams.add(s);
      jobs.add(j);
    }
    if (streams.isEmpty()) {
      return null;
    }
    List<VoiceActivityModel.State> states = new ArrayList<>(streams.size());
    List<float[]> frames = new ArrayList<>(streams.size());
    for (int i = 0; i < streams.size(); i++) {
      states.add(streams.get(i).state);
      frames.add(jobs.get(i).frame);
    }
    float[] p;
    try {
      p = model.probabilities(states, frames);
      if (failing.compareAndSet(true, false)) {
        LOG.info("voice: the VAD model scores frames again");
      }
    } catch (RuntimeException e) {
      // Each stream hears NaN for the frame and reports it to its client; the cause is logged here,
      // once per run of failures rather than per frame.
      if (failing.compareAndSet(false, true)) {
        LOG.warn("voice: the VAD model failed on a batch of {} frames", streams.size(), e);
      }
      failures.incrementAndGet();
      p = new float[streams.size()];
      java.util.Arrays.fill(p, Float.NaN);
    }
    runs.incrementAndGet();
    for (int i = 0; i < streams.size(); i++) {
      Stream st = streams.get(i);
      Job job = jobs.get(i);
      float v = p[i];
      st.context.runOnContext(x -> st.delivered(job, v));
      st.requeue();
    }
    // Counted once the results are on their way: whoever sees scored() == submitted() and then hops
    // onto a stream's context finds its results delivered.
    scored.addAndGet(streams.size());
    return null;
  }
}
