package io.parley.inference.voice;

import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the end-of-turn model ({@link io.parley.inference.vad.SmartTurn}) whether paused turns are
 * complete, for every session of the node, on its worker: the turns waiting when the worker
 * becomes free go into one model run (up to {@link #MAX_BATCH}), so under load sessions share runs
 * instead of queueing one by one. Each answer returns on its session's context; a failed run
 * answers NaN (the turn then waits for its silence fallback) and is logged once per run of failures.
 */
public final class EndOfTurnScheduler {

  private static final Logger LOG = LoggerFactory.getLogger(EndOfTurnScheduler.class);

  /** Largest batch per model run (each turn is 80 x 800 features, 256 KB). */
  public static final int MAX_BATCH = 16;

  /** The model: the probability that each turn (16 kHz audio so far) is complete. Blocking. */
  public interface Model {
    float[] complete(List<float[]> turns);
  }

  private record Job(Context context, float[] turn, Consumer<Float> result) {}

  private final Model model;
  private final ConcurrentLinkedQueue<Job> waiting = new ConcurrentLinkedQueue<>();
  private final BatchLoop loop;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong scored = new AtomicLong();

  public EndOfTurnScheduler(Model model, WorkerExecutor workers) {
    this.model = Objects.requireNonNull(model);
    this.loop = new BatchLoop(Objects.requireNonNull(workers), () -> !waiting.isEmpty(), this::runBatch);
  }

  /** Model runs so far (counted before their answers go out); {@link #scored} / runs is the mean batch. */
  public long runs() {
    return runs.get();
  }

  /** Turns answered so far. */
  public long scored() {
    return scored.get();
  }

  /** Asks about {@code turn}; {@code result} hears the probability (NaN: the run failed) on {@code context}. */
  public void submit(Context context, float[] turn, Consumer<Float> result) {
    waiting.add(new Job(Objects.requireNonNull(context), turn, Objects.requireNonNull(result)));
    loop.kick();
  }

  private Void runBatch() {
    List<Job> jobs = new ArrayList<>();
    Job job;
    while (jobs.size() < MAX_BATCH && (job = waiting.poll()) != null) {
      jobs.add(job);
    }
    if (jobs.isEmpty()) {
      return null;
    }
    float[] p;
    try {
      p = model.complete(jobs.stream().map(Job::turn).toList());
      if (failing.compareAndSet(true, false)) {
        LOG.info("voice: the end-of-turn model answers again");
      }
    } catch (RuntimeException e) {
      if (failing.compareAndSet(false, true)) {
        LOG.warn("voice: the end-of-turn model failed on a batch of {} turns; turns end on their silence fallback",
            jobs.size(), e);
      }
      p = new float[jobs.size()];
      Arrays.fill(p, Float.NaN);
    }
    runs.incrementAndGet();
    for (int i = 0; i < jobs.size(); i++) {
      Job j = jobs.get(i);
      float v = p[i];
      j.context().runOnContext(x -> j.result().accept(v));
    }
    scored.addAndGet(jobs.size());
    return null;
  }
}
