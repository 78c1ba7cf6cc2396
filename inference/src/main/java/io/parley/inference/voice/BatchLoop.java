package io.parley.inference.voice;

import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * One model run at a time on a worker, and the next as soon as it ends while work waits: what the
 * batching schedulers ({@link VadScheduler}, {@link EndOfTurnScheduler}) share. Whatever waits when
 * a run starts goes into that run, so batches grow by themselves under load.
 */
final class BatchLoop {

  private final WorkerExecutor workers;
  private final BooleanSupplier waiting;
  private final Callable<Void> run;
  private final AtomicBoolean running = new AtomicBoolean();

  /** {@code run} takes what is {@code waiting} and scores it, on {@code workers}. */
  BatchLoop(WorkerExecutor workers, BooleanSupplier waiting, Callable<Void> run) {
    this.workers = workers;
    this.waiting = waiting;
    this.run = run;
  }

  /** Starts a run unless one is in progress (it starts the next itself) or nothing waits. Any thread. */
  void kick() {
    if (!waiting.getAsBoolean() || !running.compareAndSet(false, true)) {
      return;
    }
    workers.executeBlocking(run, false).onComplete(ar -> {
      running.set(false);
      kick();
    });
  }
}
