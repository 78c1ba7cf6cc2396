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

/**
 * The waiting room of a detector: a bounded queue of photos, the worker threads that take them, and
 * answers delivered on each caller's Vert.x context. At most {@link #MAX_QUEUED} photos wait; past
 * that a photo is refused at once with {@code LIMITED} (bounded memory). Closing stops the workers
 * and fails whatever still waits with {@code UNAVAILABLE}.
 */
final class DetectorQueue {

  static final int MAX_QUEUED = 64;

  /** One photo waiting for a worker, with where and when it came from. */
  record Request(RgbImage image, Promise<Detections> promise, Context context, long queuedAt) {}

  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean closed;

  /** Queues {@code image}; the answer completes on the caller's context. */
  Future<Detections> submit(RgbImage image) {
    Promise<Detections> promise = Promise.promise();
    if (closed) {
      return Future.failedFuture(new ParleyException(Reason.UNAVAILABLE, "the detector is closed"));
    }
    if (!queue.offer(new Request(image, promise, Vertx.currentContext(), System.nanoTime()))) {
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
      t.start();
    }
  }

  boolean closed() {
    return closed;
  }

  /** The next photo, waiting at most {@code timeout}; null if none came. */
  Request poll(long timeout, TimeUnit unit) throws InterruptedException {
    return timeout <= 0 ? queue.poll() : queue.poll(timeout, unit);
  }

  /** Answers {@code r} with {@code d}, or with {@code error} when it is not null, on the caller's context. */
  static void complete(Request r, Detections d, ParleyException error) {
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
