package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How workers form batches ({@link DetectorQueue#nextBatch}), with a stand-in pass: each worker
 * takes its share of the photos in the detector, so two workers split four photos two and two
 * instead of one taking all four while the other idles, and a worker that holds every photo in the
 * detector runs them at once instead of waiting out its window.
 */
class DetectorQueueTest {

  private static final RgbImage PHOTO = new RgbImage(2, 2, new byte[12]);

  /**
   * Starts {@code workers} workers whose pass records the batch size and answers each photo with it,
   * once all {@code photos} photos are in some batch (as a real pass would still be running).
   */
  private static List<Integer> run(DetectorQueue q, int workers, int maxBatch, long windowNanos, int photos) {
    List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.CountDownLatch taken = new java.util.concurrent.CountDownLatch(photos);
    q.start(workers, () -> {
      List<DetectorQueue.Request> batch = new ArrayList<>();
      while (!q.closed()) {
        batch.clear();
        try {
          q.nextBatch(batch, maxBatch, windowNanos, 50);
        } catch (InterruptedException e) {
          return;
        }
        if (!batch.isEmpty()) {
          sizes.add(batch.size());
          batch.forEach(r -> taken.countDown());
          try {
            taken.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            return;
          }
          for (DetectorQueue.Request r : batch) {
            DetectorQueue.complete(r, new Detections(List.of(), 2, 2, "test", "0",
                new Detections.Timings(0, 0, 0, 0, batch.size())), null);
          }
        }
      }
    });
    return sizes;
  }

  private static int batchOf(Future<Detections> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).timings().batchSize();
  }

  @Test
  void twoWorkersSplitFourWaitingPhotos() throws Exception {
    DetectorQueue q = new DetectorQueue();
    List<Future<Detections>> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      answers.add(q.submit(PHOTO));
    }
    // A window of an hour: a worker that waited for photos the other one holds would never finish.
    List<Integer> sizes = run(q, 2, 8, TimeUnit.HOURS.toNanos(1), 4);
    for (Future<Detections> f : answers) {
      assertThat(batchOf(f)).isEqualTo(2);
    }
    q.close();
    assertThat(sizes).containsExactly(2, 2);
  }

  @Test
  void aWorkerHoldingEveryPhotoDoesNotWaitOutItsWindow() throws Exception {
    DetectorQueue q = new DetectorQueue();
    List<Future<Detections>> answers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      answers.add(q.submit(PHOTO));
    }
    run(q, 1, 8, TimeUnit.HOURS.toNanos(1), 3);
    for (Future<Detections> f : answers) {
      assertThat(batchOf(f)).isEqualTo(3);
    }
    q.close();
  }

  @Test
  void theBatchIsCappedAndTheQueueBounded() throws Exception {
    DetectorQueue q = new DetectorQueue();
    List<Future<Detections>> answers = new ArrayList<>();
    for (int i = 0; i < DetectorQueue.MAX_QUEUED; i++) {
      answers.add(q.submit(PHOTO));
    }
    Future<Detections> refused = q.submit(PHOTO);
    assertThat(refused.failed()).isTrue();
    assertThat(refused.cause()).hasMessageContaining("busy");
    List<Integer> sizes = run(q, 1, 8, 0, 0);
    for (Future<Detections> f : answers) {
      assertThat(batchOf(f)).isEqualTo(8);
    }
    q.close();
    assertThat(sizes).hasSize(DetectorQueue.MAX_QUEUED / 8).containsOnly(8);
  }
}
