package io.parley.inference.vision;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The waiting room of a detector: a bounded queue of photos, the worker threads that take them, and
 * answers delivered on each caller's Vert.x context. At most {@link #MAX_QUEUED} photos wait; past
 * that a photo is refused at once with {@code LIMITED} (bounded memory). Closing stops the workers
 * and fails whatever still waits with {@code UNAVAILABLE}.
 */
final class DetectorQueue {

  static final int MAX_QUEUED = 64;

  /** One photo waiting for a worker, with where and when it came from. */
  record Request(RgbImage image, Promise<Detections> promise, Context context, long queuedAt, AtomicInteger inDetector) {}

  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
  private final List<Thread> workers = new ArrayList<>();
  /** Photos submitted and not yet answered. */
  private final AtomicInteger inDetector = new AtomicInteger();
  private volatile boolean closed;
  private volatile int workerCount;

  /** Queues {@code image}; the answer completes on the caller's context. */
  Future<Detections> submit(RgbImage image) {
    Promise<Detections> promise = Promise.promise();
    if (closed) {
      return Future.failedFuture(new ParleyException(Reason.UNAVAILABLE, "the detector is closed"));
    }
    inDetector.incrementAndGet();
    if (!queue.offer(new Request(image, promise, Vertx.currentContext(), System.nanoTime(), inDetector))) {
      inDetector.decrementAndGet();
      return Future.failedFuture(new ParleyException(Reason.LIMITED,
          "photo analysis is busy (" + MAX_QUEUED + " images waiting); try again shortly"));
    }
    return promise.future();
  }

  /** Starts {@code count} platform threads {@code parley-vision-N} running {@code work}. */
  void start(int count, Runnable work) {
    for (int i = 0; i < count; i++) {
      Thread t = Thread.ofPlatform().name("parley-vision-" + i).daemon(true).unstarted(() -> {
        try {
          work.run();
        } finally {
          failWaiting();
        }
      });
      workers.add(t);
    }
    workerCount = workers.size();
    workers.forEach(Thread::start);
  }

  boolean closed() {
    return closed;
  }

  /** The next photo, waiting at most {@code timeout}; null if none came. */
  Request poll(long timeout, TimeUnit unit) throws InterruptedException {
    return timeout <= 0 ? queue.poll() : queue.poll(timeout, unit);
  }

  /**
   * Fills {@code batch} with the next batch: waits up to {@code pollMillis} for a first photo
   * (none: {@code batch} stays empty), then up to {@code windowNanos} for more, until the batch has
   * {@code maxBatch} photos or this worker's share of the photos in the detector (waiting or being
   * analysed) across all workers. The share stops a worker from waiting for photos another worker
   * could take (with 4 callers and 2 workers, batches of 2 on both rather than 4 on one while the
   * other idles), and from waiting out the window once every caller's photo is in hand.
   */
  void nextBatch(List<Request> batch, int maxBatch, long windowNanos, long pollMillis) throws InterruptedException {
    Request first = queue.poll(pollMillis, TimeUnit.MILLISECONDS);
    if (first == null) {
      return;
    }
    batch.add(first);
    long deadline = System.nanoTime() + windowNanos;
    while (batch.size() < maxBatch) {
      int share = (inDetector.get() + workerCount - 1) / workerCount; // ceil
      if (batch.size() >= share) {
        break;
      }
      long wait = deadline - System.nanoTime();
      Request next = wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS);
      if (next == null) {
        break;
      }
      batch.add(next);
    }
  }

  /** Answers {@code r} with {@code d}, or with {@code error} when it is not null, on the caller's context. */
  static void complete(Request r, Detections d, ParleyException error) {
    r.inDetector().decrementAndGet();
    Runnable done = () -> {
      if (error != null) {
        r.promise().tryFail(error);
      } else {
        r.promise().tryComplete(d);
      }
    };
    if (r.context() != null) {
      r.context().runOnContext(v -> done.run());
    } else {
      done.run();
    }
  }

  private void failWaiting() {
    Request r;
    while ((r = queue.poll()) != null) {
      complete(r, null, new ParleyException(Reason.UNAVAILABLE, "the detector is closed"));
    }
  }

  /** Stops taking photos, lets each worker finish its pass (up to 5 s each), fails what still waits. */
  void close() {
    closed = true;
    for (Thread t : workers) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    failWaiting();
  }
}
