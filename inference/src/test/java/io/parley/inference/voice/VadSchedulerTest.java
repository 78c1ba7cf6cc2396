package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's logic with a scripted model (the real Silero model is exercised by the VAD tests
 * and the realtime load test): every stream's frames are scored in order with its own state, none
 * is lost under concurrency, batches mix streams, and a stream that falls behind says so once and
 * recovers once.
 */
class VadSchedulerTest {

  /** Scores a frame as its first sample and checks each state sees its frames in order. */
  static final class ScriptedModel implements VoiceActivityModel {
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger largestBatch = new AtomicInteger();
    volatile long runMillis;

    static final class Counter implements State {
      float last = -1;

      @Override
      public void reset() {
        last = -1;
      }
    }

    @Override
    public State newState() {
      return new Counter();
    }

    @Override
    public float[] probabilities(List<State> states, List<float[]> frames) {
      largestBatch.accumulateAndGet(states.size(), Math::max);
      if (new java.util.HashSet<>(states).size() != states.size()) {
        violations.add("a state twice in one batch");
      }
      float[] out = new float[frames.size()];
      for (int i = 0; i < frames.size(); i++) {
        Counter c = (Counter) states.get(i);
        float index = frames.get(i)[0];
        if (index != c.last + 1) {
          violations.add("frame " + index + " after " + c.last);
        }
        c.last = index;
        out[i] = index;
      }
      if (runMillis > 0) {
        try {
          Thread.sleep(runMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return out;
    }

    @Override
    public void close() {}
  }

  private Vertx vertx;
  private WorkerExecutor workers;
  private ScriptedModel model;
  private VadScheduler scheduler;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    workers = vertx.createSharedWorkerExecutor("vad-test", 1);
    model = new ScriptedModel();
    scheduler = new VadScheduler(model, workers);
  }

  @AfterEach
  void tearDown() throws Exception {
    workers.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static float[] frame(int index) {
    float[] f = new float[VoiceActivityModel.FRAME_SAMPLES];
    f[0] = index;
    return f;
  }

  @Test
  void manyStreamsOnManyContextsAreEachScoredInOrderAndNoneIsLost() throws Exception {
    int streams = 16;
    int framesEach = 400;
    CountDownLatch done = new CountDownLatch(streams);
    List<String> outOfOrder = Collections.synchronizedList(new ArrayList<>());
    for (int s = 0; s < streams; s++) {
      Context context = vertx.getOrCreateContext();
      context.runOnContext(v -> {
        VadScheduler.Stream stream = scheduler.open(context, backlogged -> { });
        int[] expected = {0};
        // Bursts of frames from the context, as audio arrives: many are waiting at once.
        for (int i = 0; i < framesEach; i++) {
          stream.submit(frame(i), p -> {
            if (p != expected[0]) {
              outOfOrder.add("got " + p + ", expected " + expected[0]);
            }
            if (++expected[0] == framesEach) {
              done.countDown();
            }
          });
        }
      });
    }
    assertThat(done.await(60, TimeUnit.SECONDS)).as("every stream's results delivered").isTrue();
    assertThat(outOfOrder).isEmpty();
    assertThat(model.violations).as("states advanced one frame at a time, in order").isEmpty();
    assertThat(scheduler.submitted()).isEqualTo((long) streams * framesEach);
    // Read on the scorer's one worker thread, after its last run has counted (see below).
    assertThat(workers.executeBlocking(() -> scheduler.scored()).await(10, TimeUnit.SECONDS))
        .isEqualTo(scheduler.submitted());
    assertThat(model.largestBatch.get()).as("frames of several streams shared model runs").isGreaterThan(1);
    assertThat(scheduler.runs()).as("batches were used").isLessThan(scheduler.scored());
  }

  @Test
  void aStreamThatFallsBehindReportsItOnceAndRecoversOnce() throws Exception {
    model.runMillis = 2;
    Context context = vertx.getOrCreateContext();
    List<Boolean> signals = Collections.synchronizedList(new ArrayList<>());
    List<Integer> pendingAtSignal = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(1);
    int frames = 120;
    AtomicInteger delivered = new AtomicInteger();
    VadScheduler.Stream[] stream = new VadScheduler.Stream[1];
    context.runOnContext(v -> {
      stream[0] = scheduler.open(context, backlogged -> {
        signals.add(backlogged);
        pendingAtSignal.add(stream[0].pending());
      });
      for (int i = 0; i < frames; i++) {
        stream[0].submit(frame(i), p -> {
          if (delivered.incrementAndGet() == frames) {
            done.countDown();
          }
        });
      }
    });
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(signals).as("backlogged once, then caught up once").containsExactly(true, false);
    assertThat(pendingAtSignal.get(0)).isEqualTo(VadScheduler.HIGH_WATER + 1);
    assertThat(pendingAtSignal.get(1)).isEqualTo(VadScheduler.LOW_WATER);
    assertThat(model.violations).isEmpty();
    // The scorer counts a batch after it has handed the results to the stream's context, so the last
    // result can arrive before the count: read it on the scorer's one worker thread, after that run.
    assertThat(workers.executeBlocking(() -> scheduler.scored()).await(10, TimeUnit.SECONDS)).isEqualTo(frames);
  }
}
