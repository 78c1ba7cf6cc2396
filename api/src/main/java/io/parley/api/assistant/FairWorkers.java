package io.parley.api.assistant;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The speech-to-text workers shared fairly: work is queued per key (a user's transcription
 * requests, a realtime session's turns) and the keys with work waiting are served round-robin, one
 * job each, as workers free up. A user who sends ten transcriptions at once gets one worker turn in
 * every round, not the whole queue: someone else's single request waits for at most one job of each
 * other key. At most {@code slots} jobs (the executor's size) run at once; the rest wait here, where
 * a job whose client has gone can be withdrawn ({@link Job#cancel()}) before it runs, counted by
 * {@code parley_stt_cancelled_total}. Safe from any thread; each job's result is delivered on the
 * context that submitted it.
 */
public final class FairWorkers {

  /** A submitted job: its result, and a way to withdraw it while it waits. */
  public final class Job<T> {
    private final String key;
    private final Callable<T> work;
    private final Promise<T> promise = Promise.promise();
    private final Context context = Vertx.currentContext();

    private Job(String key, Callable<T> work) {
      this.key = key;
      this.work = work;
    }

    public Future<T> result() {
      return promise.future();
    }

    /**
     * Withdraws the job if it has not started: it never runs and its result fails with
     * {@link CancellationException}. Returns whether it was withdrawn (false once running or done).
     */
    public boolean cancel() {
      lock.lock();
      try {
        ArrayDeque<Job<?>> queue = waiting.get(key);
        if (queue == null || !queue.remove(this)) {
          return false;
        }
        if (queue.isEmpty()) {
          waiting.remove(key);
        }
      } finally {
        lock.unlock();
      }
      cancelled.increment();
      deliver(() -> promise.tryFail(new CancellationException("the client went away before its turn")));
      return true;
    }

    private void run() {
      workers.<T>executeBlocking(work, false).onComplete(ar -> {
        deliver(() -> {
          if (ar.succeeded()) {
            promise.tryComplete(ar.result());
          } else {
            promise.tryFail(ar.cause());
          }
        });
        finished();
      });
    }

    private void deliver(Runnable r) {
      if (context == null) {
        r.run();
      } else {
        context.runOnContext(v -> r.run());
      }
    }
  }

  private final WorkerExecutor workers;
  private final int slots;
  private final Counter cancelled;
  private final ReentrantLock lock = new ReentrantLock();
  /** Keys with waiting jobs, in the order they are served next. */
  private final LinkedHashMap<String, ArrayDeque<Job<?>>> waiting = new LinkedHashMap<>();
  private int running;

  /** {@code workers} must have exactly {@code slots} threads: this class keeps it that full and no more. */
  public FairWorkers(WorkerExecutor workers, int slots, MeterRegistry registry) {
    this.workers = workers;
    this.slots = slots;
    this.cancelled = Counter.builder("parley.stt.cancelled")
        .description("Speech-to-text jobs withdrawn before they ran because their client went away")
        .register(registry);
  }

  /** Queues {@code work} under {@code key}; it runs when its key's turn comes and a worker is free. */
  public <T> Job<T> submit(String key, Callable<T> work) {
    Job<T> job = new Job<>(key, work);
    lock.lock();
    try {
      waiting.computeIfAbsent(key, k -> new ArrayDeque<>()).add(job);
    } finally {
      lock.unlock();
    }
    startWhatFits();
    return job;
  }

  /** The workers as one key sees them (a realtime session's STT executor); closing it closes nothing. */
  public WorkerExecutor forKey(String key) {
    return new WorkerExecutor() {
      @Override
      public <T> Future<T> executeBlocking(Callable<T> work, boolean ordered) {
        return submit(key, work).result();
      }

      @Override
      public Future<Void> close() {
        return Future.succeededFuture();
      }
    };
  }

  /** Jobs waiting for a worker, over all keys. */
  int waiting() {
    lock.lock();
    try {
      return waiting.values().stream().mapToInt(ArrayDeque::size).sum();
    } finally {
      lock.unlock();
    }
  }

  private void finished() {
    lock.lock();
    try {
      running--;
    } finally {
      lock.unlock();
    }
    startWhatFits();
  }

  private void startWhatFits() {
    while (true) {
      Job<?> next;
      lock.lock();
      try {
        if (running >= slots || waiting.isEmpty()) {
          return;
        }
        Iterator<Map.Entry<String, ArrayDeque<Job<?>>>> first = waiting.entrySet().iterator();
        Map.Entry<String, ArrayDeque<Job<?>>> turn = first.next();
        first.remove();
        next = turn.getValue().poll();
        if (!turn.getValue().isEmpty()) {
          waiting.put(turn.getKey(), turn.getValue()); // to the back of the round
        }
        running++;
      } finally {
        lock.unlock();
      }
      next.run();
    }
  }
}
