package io.parley.api.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.api.assistant.VoiceOptions;
import io.parley.api.assistant.VoiceServices.Slot;
import io.parley.api.engines.EngineGroup;
import io.parley.api.engines.EngineOptions;
import io.parley.api.engines.EngineWorkers;
import io.parley.api.engines.NativeEngines;
import io.parley.api.engines.WorkerEcho;
import io.parley.api.meals.VisionOptions;
import io.parley.core.config.ConfigSource;
import io.parley.core.config.ParleyConfig;
import io.parley.inference.bench.PipelineBench;
import io.parley.inference.bench.PipelineBench.Engines;
import io.parley.inference.bench.PipelineBench.Turn;
import io.parley.inference.support.Tools;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.LongStream;

/**
 * The voice pipeline's overhead with the engines in this JVM and in the node's engine worker
 * processes, side by side in one run: {@link PipelineBench}'s measurement on the engines a node opens
 * with {@code PARLEY_ENGINE_ISOLATION=inline} ({@code LocalEngines}) and on the proxies of the real
 * {@link EngineWorkers} ({@code process}), both from the same settings (the tiny Whisper and llama
 * files, 2 threads each, FreeTTS). Silero VAD stays in this JVM for both, as in the node. Rounds
 * alternate between the two (which goes first alternates too), so a loaded machine weighs on both
 * alike.
 *
 * <p>Also the hop itself: one frame's round trip through the speech worker ({@code ECHO}: a 2 KB frame,
 * the size of one 32 ms VAD frame of floats, and 192 KB, 3 s of speech as a final transcription sends
 * it), beside Silero VAD's own compute for one 32 ms frame: what scoring VAD in a worker would add to
 * each frame, and what it costs here.
 *
 * <p>Run by {@code ./parley bench voice pipeline}, with {@code GOMP_SPINCOUNT=100} for both columns
 * (the inline JVM's OpenMP spin count anyway; bench/voice.sh says why); the last line printed is JSON.
 *
 * <pre>  java ... io.parley.api.bench.PipelineHopBench [rounds] [turns]</pre>
 */
public final class PipelineHopBench {

  private static final int ECHOES = 1_000;
  private static final int BIG_ECHOES = 100;
  private static final int VAD_FRAMES = 2_000;
  private static final int CPU_ECHOES = 20_000;

  private PipelineHopBench() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int turns = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    PipelineBench.requireRounds(rounds);
    int exit = 0;
    try (PipelineBench bench = PipelineBench.open()) {
      ConfigSource config = ConfigSource.of(Map.ofEntries(
          Map.entry("PARLEY_MODELS", Tools.modelsDir().toString()),
          Map.entry("PARLEY_VOICE_ENABLED", "true"), Map.entry("PARLEY_VISION_ENABLED", "false"),
          Map.entry("PARLEY_WHISPER_MODEL", bench.whisperFile().toString()), Map.entry("PARLEY_WHISPER_THREADS", "2"),
          Map.entry("PARLEY_STT_WORKERS", "1"),
          Map.entry("PARLEY_LLM_ENGINE", "llama"), Map.entry("PARLEY_LLAMA_MODEL", bench.llamaFile().toString()),
          Map.entry("PARLEY_LLM_MODEL", "tiny"), Map.entry("PARLEY_LLM_WORKERS", "1"),
          Map.entry("PARLEY_TTS_ENGINE", "freetts"), Map.entry("PARLEY_TTS_WORKERS", "1")));
      VoiceOptions voice = VoiceOptions.from(config);
      VisionOptions vision = VisionOptions.from(config);
      var models = ParleyConfig.from(config).models();
      EngineOptions isolated = EngineOptions.from(config);
      EngineOptions inline = new EngineOptions(false, isolated.javaOpts(), isolated.startTimeout(),
          isolated.answerTimeout(), isolated.queueBytes());
      try (NativeEngines local = EngineWorkers.start(inline, config, voice, vision, models, new SimpleMeterRegistry());
           NativeEngines workers = EngineWorkers.start(isolated, config, voice, vision, models,
               new SimpleMeterRegistry())) {
        Engines inProcess = engines(local);
        Engines remote = engines(workers);
        // The micro-measures first: seconds, on a quiet pipeline.
        JsonObject json = new JsonObject().put("bench", "pipeline").put("rounds", rounds)
            .put("turns_per_round", turns).put("cores", Runtime.getRuntime().availableProcessors());
        JsonObject micro = new JsonObject();
        hop((EngineWorkers) workers, rounds, micro);
        vad(bench, rounds, micro);
        System.err.println("round trips and VAD: " + micro.encode());
        bench.round(inProcess, 1);
        bench.round(remote, 1);
        List<List<Turn>> inlineRounds = new ArrayList<>();
        List<List<Turn>> processRounds = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          boolean inlineFirst = r % 2 == 0;
          List<Turn> first = bench.round(inlineFirst ? inProcess : remote, turns);
          List<Turn> second = bench.round(inlineFirst ? remote : inProcess, turns);
          inlineRounds.add(inlineFirst ? first : second);
          processRounds.add(inlineFirst ? second : first);
          System.err.printf(Locale.ROOT, "round %d/%d inline: %s%nround %d/%d process: %s%n", r + 1, rounds,
              PipelineBench.summaryLine(inlineRounds.getLast()), r + 1, rounds,
              PipelineBench.summaryLine(processRounds.getLast()));
        }
        Map<String, Double> in = PipelineBench.summary(inlineRounds);
        Map<String, Double> out = PipelineBench.summary(processRounds);
        json.put("inline", object(in)).put("process", object(out))
            .put("hop_first_audio_ms", round2(out.get("first_audio_ms") - in.get("first_audio_ms")))
            .put("hop_overhead_ms", round2(out.get("overhead_p50_ms") - in.get("overhead_p50_ms")))
            .mergeIn(micro);
        System.out.println(json.encode());
      }
    } catch (Exception e) {
      e.printStackTrace();
      exit = 1;
    }
    // llama.cpp leaves a non-daemon native thread behind.
    System.exit(exit);
  }

  private static Engines engines(NativeEngines engines) {
    return new Engines(engine(engines.speechToText()), engine(engines.llama()), engine(engines.textToSpeech()));
  }

  private static <T> T engine(Slot<T> slot) {
    return slot.engine().orElseThrow(() -> new IllegalStateException(slot.missing()));
  }

  /** Round trips through the speech worker: 2 KB and 192 KB frames, µs, medians of the rounds' p50s; p99 of all. */
  private static void hop(EngineWorkers workers, int rounds, JsonObject json) {
    WorkerEcho.roundTrips(workers, EngineGroup.SPEECH, 2048, ECHOES);
    List<long[]> small = new ArrayList<>();
    List<long[]> big = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      small.add(WorkerEcho.roundTrips(workers, EngineGroup.SPEECH, 2048, ECHOES));
      big.add(WorkerEcho.roundTrips(workers, EngineGroup.SPEECH, 192_000, BIG_ECHOES));
    }
    json.put("echo_2kb_p50_us", roundsMedian(small, 0.5)).put("echo_2kb_p99_us", overall(small, 0.99))
        .put("echo_192kb_p50_us", roundsMedian(big, 0.5)).put("echo_192kb_p99_us", overall(big, 0.99));
    // CPU, both processes (the node's every thread, so its idle ones too; the worker's at clock-tick
    // resolution, hence many echoes): what the hop costs besides its latency.
    ProcessHandle worker = workers.pid(EngineGroup.SPEECH).flatMap(ProcessHandle::of).orElseThrow();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long node0 = os.getProcessCpuTime();
    long worker0 = cpuNanos(worker);
    WorkerEcho.roundTrips(workers, EngineGroup.SPEECH, 2048, CPU_ECHOES);
    json.put("echo_2kb_cpu_us", round2((os.getProcessCpuTime() - node0 + cpuNanos(worker) - worker0) / 1e3 / CPU_ECHOES));
  }

  private static long cpuNanos(ProcessHandle p) {
    return p.info().totalCpuDuration().orElseThrow(() -> new IllegalStateException("no CPU time of " + p.pid()))
        .toNanos();
  }

  /** Silero VAD's compute per 32 ms frame (one stream, in this JVM): cpu and wall µs, medians of the rounds. */
  private static void vad(PipelineBench bench, int rounds, JsonObject json) {
    List<double[]> r = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      r.add(bench.vadFrameMicros(VAD_FRAMES));
    }
    json.put("vad_frame_cpu_us", median(r, v -> v[0])).put("vad_frame_wall_us", median(r, v -> v[1]));
  }

  private static double roundsMedian(List<long[]> rounds, double p) {
    return round2(PipelineBench.median(rounds.stream().map(r -> micros(r, p)).toList()));
  }

  private static double overall(List<long[]> rounds, double p) {
    return round2(micros(rounds.stream().flatMapToLong(LongStream::of).toArray(), p));
  }

  private static double micros(long[] nanos, double p) {
    return PipelineBench.percentile(Arrays.stream(nanos).mapToObj(n -> n / 1e3).toList(), p);
  }

  private static double median(List<double[]> rounds, ToDoubleFunction<double[]> f) {
    return round2(PipelineBench.median(rounds.stream().map(f::applyAsDouble).toList()));
  }

  private static JsonObject object(Map<String, Double> figures) {
    JsonObject o = new JsonObject();
    figures.forEach(o::put);
    return o;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
