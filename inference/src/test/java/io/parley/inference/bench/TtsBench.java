package io.parley.inference.bench;

import io.parley.inference.tts.FreeTts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FreeTTS real-time factor (synthesis time / audio duration, lower is faster), warm, median of
 * {@value #RUNS} runs, on one thread and on two threads synthesizing at once; plus the time to the
 * first audio chunk. Prints one JSON line. Not a unit test: run its {@code main} on the test class
 * path.
 */
public final class TtsBench {

  static final int RUNS = 7;
  static final int WARM_UP_RUNS = 3;
  static final String TEXT = "Good morning. Based on what you told me yesterday, I would suggest a lighter "
      + "breakfast today, with some fruit, a bowl of oats and a glass of water. Try to take a short walk "
      + "after lunch, and let me know how you feel in the evening.";

  private record Run(double seconds, double audioSeconds, double firstAudioMillis) {}

  public static void main(String[] args) throws Exception {
    try (FreeTts tts = new FreeTts(FreeTts.VOICE, 2)) {
      ExecutorService workers = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("tts-bench-", 0).factory());
      try {
        for (int i = 0; i < WARM_UP_RUNS; i++) { // allocate both voices, warm the JIT
          parallel(workers, tts, 2);
        }
        List<Run> single = new ArrayList<>();
        List<Run> pair = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
          single.addAll(parallel(workers, tts, 1));
          pair.addAll(parallel(workers, tts, 2));
        }
        double audio = single.get(0).audioSeconds();
        double rtf1 = median(single.stream().mapToDouble(r -> r.seconds() / r.audioSeconds()).toArray());
        double rtf2 = median(pair.stream().mapToDouble(r -> r.seconds() / r.audioSeconds()).toArray());
        double first1 = median(single.stream().mapToDouble(Run::firstAudioMillis).toArray());
        double first2 = median(pair.stream().mapToDouble(Run::firstAudioMillis).toArray());
        System.out.println(String.format(Locale.ROOT,
            "{\"bench\":\"tts\",\"engine\":\"freetts\",\"voice\":\"%s\",\"cores\":%d,\"java\":\"%s\",\"runs\":%d,"
                + "\"text_chars\":%d,\"audio_s\":%.3f,\"rtf_1thread\":%.4f,\"rtf_2threads_per_stream\":%.4f,"
                + "\"rtf_2threads_aggregate\":%.4f,\"speedup_2threads\":%.2f,\"first_audio_ms_1thread\":%.1f,"
                + "\"first_audio_ms_2threads\":%.1f}",
            FreeTts.VOICE, Runtime.getRuntime().availableProcessors(), Runtime.version(), RUNS, TEXT.length(), audio,
            rtf1, rtf2, rtf2 / 2, 2 * rtf1 / rtf2, first1, first2));
      } finally {
        workers.shutdown();
        workers.awaitTermination(1, TimeUnit.MINUTES);
      }
    }
  }

  /** {@code threads} syntheses of the text started together; each timed on its own thread. */
  private static List<Run> parallel(ExecutorService workers, FreeTts tts, int threads) throws Exception {
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Future<Run>> runs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      runs.add(workers.submit(() -> {
        start.await();
        AtomicLong samples = new AtomicLong();
        AtomicLong firstAudio = new AtomicLong();
        long t0 = System.nanoTime();
        tts.synthesize(TEXT, s -> {
          firstAudio.compareAndSet(0, System.nanoTime());
          samples.addAndGet(s.length);
        }, () -> false);
        long t1 = System.nanoTime();
        return new Run((t1 - t0) / 1e9, samples.get() / (double) tts.sampleRate(), (firstAudio.get() - t0) / 1e6);
      }));
    }
    List<Run> out = new ArrayList<>();
    for (Future<Run> f : runs) {
      out.add(f.get(5, TimeUnit.MINUTES));
    }
    return out;
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private TtsBench() {}
}
