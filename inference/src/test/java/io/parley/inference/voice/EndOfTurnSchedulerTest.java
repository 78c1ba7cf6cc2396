package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.vad.SmartTurn;
import io.parley.inference.vad.TinySmartTurn;
import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-of-turn scheduler with the real Smart Turn path (features, ONNX Runtime) on a generated
 * model: turns of many sessions share model runs while one is in progress, every answer returns on
 * its own session's context, and a failing model answers NaN.
 */
class EndOfTurnSchedulerTest {

  private static final float SCALE = 2f;
  private static final float BIAS = 0.5f;

  private Vertx vertx;
  private WorkerExecutor workers;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    workers = vertx.createSharedWorkerExecutor("turn-test", 1);
  }

  @AfterEach
  void tearDown() throws Exception {
    workers.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void turnsWaitingTogetherShareARunAndEachAnswerReturnsOnItsContext(@TempDir Path dir) throws Exception {
    try (SmartTurn model = SmartTurn.openFile(TinySmartTurn.write(dir.resolve("t.onnx"), SCALE, BIAS), 1)) {
      CountDownLatch firstRunStarted = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
      EndOfTurnScheduler scheduler = new EndOfTurnScheduler(turns -> {
        batches.add(turns.size());
        if (batches.size() == 1) {
          firstRunStarted.countDown();
          await(release); // hold the worker: the others queue up meanwhile
        }
        return model.complete(turns);
      }, workers);

      int sessions = 6;
      List<String> wrong = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch answered = new CountDownLatch(sessions);
      CountDownLatch submitted = new CountDownLatch(sessions);
      float[][] audio = new float[sessions][];
      for (int s = 0; s < sessions; s++) {
        audio[s] = tone(200 + 300 * s, VoiceActivityModel.SAMPLE_RATE * (s + 1) / 2);
        Context context = vertx.getOrCreateContext();
        int session = s;
        context.runOnContext(v -> {
          scheduler.submit(context, audio[session], p -> {
            if (Vertx.currentContext() != context) {
              wrong.add("session " + session + " answered off its context");
            }
            float expected = TinySmartTurn.expected(audio[session], SCALE, BIAS);
            if (Math.abs(p - expected) > 1e-4) {
              wrong.add("session " + session + ": " + p + " instead of " + expected);
            }
            answered.countDown();
          });
          submitted.countDown();
        });
        if (s == 0) {
          assertThat(firstRunStarted.await(10, TimeUnit.SECONDS)).isTrue();
        }
      }
      // The other five are queued behind the held run (submit only enqueues): let it go.
      assertThat(submitted.await(10, TimeUnit.SECONDS)).isTrue();
      release.countDown();
      assertThat(answered.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(wrong).isEmpty();
      assertThat(batches.getFirst()).isEqualTo(1);
      assertThat(batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(sessions);
      assertThat(batches.size()).as("the waiting turns shared runs").isLessThan(sessions);
    }
  }

  @Test
  void aFailingModelAnswersNaN() throws Exception {
    EndOfTurnScheduler scheduler = new EndOfTurnScheduler(turns -> {
      throw new IllegalStateException("broken model");
    }, workers);
    Context context = vertx.getOrCreateContext();
    CountDownLatch done = new CountDownLatch(1);
    float[] got = new float[1];
    context.runOnContext(v -> scheduler.submit(context, new float[16_000], p -> {
      got[0] = p;
      done.countDown();
    }));
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(got[0]).isNaN();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static float[] tone(double hz, int samples) {
    float[] x = new float[samples];
    for (int i = 0; i < samples; i++) {
      x[i] = (float) (0.4 * Math.sin(2 * Math.PI * hz * i / VoiceActivityModel.SAMPLE_RATE));
    }
    return x;
  }
}
