package io.parley.inference.voice;

import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Scores VAD frames of all sessions on the VAD workers, batching whatever frames are waiting when a
 * worker becomes free into one model run (one frame per stream per run, so each stream's recurrent
 * state advances in order). Idle, a frame runs at once; under load, batches grow by themselves.
 * One batch runs at a time, so that a stream's frames can never be scored out of order; the
 * model's own threads (PARLEY_VAD_THREADS) parallelise inside a run. Results return on the
 * submitting session's context.
 */
public final class VadScheduler {

  /** Largest batch per model run. */
  public static final int MAX_BATCH = 64;

  private record Job(VoiceActivityModel.State state, float[] frame, Context context, Consumer<Float> result) {}

  private final VoiceActivityModel model;
  private final WorkerExecutor workers;
  private final int parallelism = 1;
  private final ConcurrentLinkedQueue<Job> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger running = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong submitted = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong scored = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong runs = new java.util.concurrent.atomic.AtomicLong();

  public VadScheduler(VoiceActivityModel model, WorkerExecutor workers) {
    this.model = model;
    this.workers = workers;
  }

  public VoiceActivityModel model() {
    return model;
  }

  /** Frames handed in so far (all sessions). */
  public long submitted() {
    return submitted.get();
  }

  /** Frames scored so far; equal to {@link #submitted} once the queue is drained: none is dropped. */
  public long scored() {
    return scored.get();
  }

  /** Model runs so far; scored / runs is the mean batch size. */
  public long runs() {
    return runs.get();
  }

  /** Scores {@code frame} for the stream of {@code state}; {@code result} runs on {@code context}. */
  public void submit(VoiceActivityModel.State state, float[] frame, Context context, Consumer<Float> result) {
    submitted.incrementAndGet();
    queue.add(new Job(state, frame, context, result));
    kick();
  }

  private void kick() {
    while (true) {
      int n = running.get();
      if (n >= parallelism || queue.isEmpty()) {
        return;
      }
      if (running.compareAndSet(n, n + 1)) {
        break;
      }
    }
    workers.executeBlocking(this::runBatch, false).onComplete(ar -> {
      running.decrementAndGet();
      kick();
    });
  }

  private Void runBatch() {
    List<Job> batch = new ArrayList<>();
    List<Job> later = new ArrayList<>();
    java.util.Set<VoiceActivityModel.State> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    Job j;
    while (batch.size() < MAX_BATCH && (j = queue.poll()) != null) {
      if (seen.add(j.state)) {
        batch.add(j);
      } else {
        later.add(j);
      }
    }
    // A stream's second frame waits for the next run (its state must advance first); keep order.
    if (!later.isEmpty()) {
      List<Job> rest = new ArrayList<>(later);
      Job k;
      while ((k = queue.poll()) != null) {
        rest.add(k);
      }
      queue.addAll(rest);
    }
    if (batch.isEmpty()) {
      return null;
    }
    List<VoiceActivityModel.State> states = new ArrayList<>(batch.size());
    List<float[]> frames = new ArrayList<>(batch.size());
    for (Job b : batch) {
      states.add(b.state);
      frames.add(b.frame);
    }
    float[] p;
    try {
      p = model.probabilities(states, frames);
    } catch (RuntimeException e) {
      p = new float[batch.size()];
      java.util.Arrays.fill(p, Float.NaN);
    }
    runs.incrementAndGet();
    scored.addAndGet(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Job b = batch.get(i);
      float v = p[i];
      b.context.runOnContext(x -> b.result.accept(v));
    }
    return null;
  }
}
