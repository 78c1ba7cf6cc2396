package io.parley.inference.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.LlamaChatModel;
import io.parley.inference.llm.Personality;
import io.parley.inference.llm.TinyGguf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * Tokens per second of in-process llama.cpp on the tiny random-weight GGUF ({@link TinyGguf}: 2
 * layers, width 64, f32), with 1 and 2 decode threads: the median of {@code RUNS} completions of
 * {@code TOKENS} tokens each (after one warm-up), timed from {@code stream()} to {@code done}, so the
 * short prompt's evaluation is included. Prints one JSON line.
 *
 * <p>Not a unit test. Run from the repository root after {@code mvn -o -q verify -pl inference -am
 * -DskipTests}:
 * <pre>
 * mvn -o -q dependency:build-classpath -pl inference -Dmdep.outputFile=/tmp/cp.txt
 * java --enable-native-access=ALL-UNNAMED \
 *   -cp inference/target/test-classes:inference/target/classes:$(cat /tmp/cp.txt) \
 *   io.parley.inference.bench.LlmBench [runs] [tokens]
 * </pre>
 * Ends with {@code System.exit}: a loaded llama.cpp model leaves a non-daemon native thread behind.
 */
public final class LlmBench {

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    if (runs < 5) {
      throw new IllegalArgumentException("at least 5 runs for a median");
    }
    ((Logger) LoggerFactory.getLogger("io.parley")).setLevel(Level.WARN);
    Path dir = Files.createTempDirectory("parley-llm-bench-");
    Path file = TinyGguf.write(dir.resolve("tiny.gguf"));
    StringBuilder json = new StringBuilder();
    json.append("{\"bench\":\"llm\",\"engine\":\"llama.cpp b4916 (de.kherud:llama 4.2.0)\",")
        .append("\"model\":\"tiny random GGUF, 2 layers, width 64, f32, ").append(TinyGguf.vocabulary(TinyGguf.Spec.valid()).size())
        .append(" tokens, ").append(Files.size(file)).append(" bytes\",")
        .append("\"cores\":").append(Runtime.getRuntime().availableProcessors()).append(',')
        .append("\"runs\":").append(runs).append(",\"tokens_per_run\":").append(tokens)
        .append(",\"tokens_per_s_median\":{");
    int exit = 0;
    try {
      for (int threads : new int[] {1, 2}) {
        double median = measure(file, threads, runs, tokens);
        json.append(threads == 1 ? "" : ",").append('"').append(threads).append("_threads\":")
            .append(String.format(Locale.ROOT, "%.1f", median));
      }
      json.append("}}");
      System.out.println(json);
    } catch (Exception e) {
      e.printStackTrace();
      exit = 1;
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
    System.exit(exit);
  }

  static double measure(Path file, int threads, int runs, int tokens) throws Exception {
    ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("llm-bench").factory());
    try (LlamaChatModel model = LlamaChatModel.open(new LlamaChatModel.Settings(file, "tiny", 1, threads, 1024), worker)) {
      List<Double> rates = new ArrayList<>();
      for (int run = -1; run < runs; run++) {
        AtomicInteger pieces = new AtomicInteger();
        CompletableFuture<String> end = new CompletableFuture<>();
        long started = System.nanoTime();
        model.stream(Personality.ASSISTANT.request(List.of(), 0, "Tell me about sleep", tokens, 0.8),
            new ChatModel.Sink() {
              @Override
              public void piece(String text) {
                pieces.incrementAndGet();
              }

              @Override
              public void done(String finishReason) {
                end.complete(finishReason);
              }

              @Override
              public void failed(Throwable error) {
                end.completeExceptionally(error);
              }
            });
        String reason = end.get(60, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - started) / 1e9;
        if (!reason.equals("length")) {
          throw new IllegalStateException("expected " + tokens + " tokens, the run ended with " + reason);
        }
        if (run >= 0) {
          rates.add(tokens / seconds);
        }
      }
      Collections.sort(rates);
      return rates.get(rates.size() / 2);
    } finally {
      worker.shutdown();
    }
  }
}
