package io.parley.inference.bench;

import io.parley.inference.stt.EspeakSpeech;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.stt.Transcript;
import io.parley.inference.stt.WhisperStt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * Real-time factor of {@link WhisperStt} (compute time / audio time; below 1 is faster than real
 * time) at 1 and 2 whisper.cpp threads, median of {@code runs} transcriptions each after 2 warm-up
 * runs, on 3 s of espeak-ng speech. Prints one JSON line on stdout, nothing else there.
 *
 * <p>A benchmark, not a test. By default it writes the tiny random-weight model the tests use
 * (1+1 layers, width 64, f16): that measures the JNI path and whisper.cpp's fixed costs (mel, the
 * 1500-position encoder, decoding), not a real model's accuracy or speed. Give a real model to
 * measure that. core/target/classes comes first: ~/.m2 may hold an older parley-core snapshot.
 *
 * <pre>
 * mvn -B -o -q verify -pl inference -am -DskipTests
 * mvn -B -o -q -pl inference -am dependency:build-classpath -Dmdep.includeScope=test \
 *   -Dmdep.outputFile=/tmp/parley-inference.cp     # every module writes it; inference, last, wins
 * java --enable-native-access=ALL-UNNAMED \
 *   -cp inference/target/test-classes:inference/target/classes:core/target/classes:$(cat /tmp/parley-inference.cp) \
 *   io.parley.inference.bench.WhisperBench [RUNS] [MODEL.bin]
 * </pre>
 */
public final class WhisperBench {

  private static final int WARMUP = 2;
  private static final double AUDIO_SECONDS = 3.0;

  private WhisperBench() {}

  public static void main(String[] args) throws IOException {
    quietLogs();
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    if (runs < 5) {
      throw new IllegalArgumentException("runs must be >= 5 (medians of at least 5)");
    }
    Path work = Files.createTempDirectory("whisper-bench");
    try {
      Path model;
      String modelName;
      if (args.length > 1) {
        model = Path.of(args[1]);
        modelName = model.getFileName().toString();
      } else {
        model = TinyWhisperModel.builder().write(work.resolve("ggml-tiny-random.bin"));
        modelName = "tiny-random (1+1 layers, width 64, f16, generated)";
      }
      float[] speech = EspeakSpeech.speak(
          "Please book a call with my nutritionist for tomorrow morning.", AUDIO_SECONDS, work);

      double[] rtf1 = measure(model, 1, runs, speech);
      double[] rtf2 = measure(model, 2, runs, speech);
      System.out.println(String.format(Locale.ROOT,
          "{\"bench\":\"whisper\",\"model\":\"%s\",\"audio_s\":%.1f,\"runs\":%d,\"cores\":%d,"
              + "\"rtf_1_thread\":%.4f,\"rtf_2_threads\":%.4f,\"ms_1_thread\":%.1f,\"ms_2_threads\":%.1f,"
              + "\"speedup_2_vs_1\":%.2f}",
          modelName.replace("\"", "'"), AUDIO_SECONDS, runs, Runtime.getRuntime().availableProcessors(),
          rtf1[0], rtf2[0], rtf1[1], rtf2[1], rtf1[0] / rtf2[0]));
    } finally {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** {median real-time factor, median milliseconds}. */
  private static double[] measure(Path model, int threads, int runs, float[] speech) {
    try (WhisperStt stt = new WhisperStt(model, threads, 1)) {
      for (int i = 0; i < WARMUP; i++) {
        stt.transcribe(speech, Optional.of("en"));
      }
      double[] ms = new double[runs];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        Transcript t = stt.transcribe(speech, Optional.of("en"));
        ms[i] = (System.nanoTime() - t0) / 1e6;
        if (t.text() == null) {
          throw new IllegalStateException("no text");
        }
      }
      Arrays.sort(ms);
      double median = runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
      return new double[] {median / 1000 / (speech.length / (double) EspeakSpeech.SAMPLE_RATE), median};
    }
  }

  /** stdout carries the JSON line only: raise the test logging binding's level when it is logback. */
  private static void quietLogs() {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }
}
