package io.parley.inference.bench;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.audio.Resampler;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.LlamaChatModel;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.EspeakSpeech;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.stt.WhisperStt;
import io.parley.inference.support.Tools;
import io.parley.inference.tts.FreeTts;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.vad.EnergyGate;
import io.parley.inference.vad.SileroVad;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.voice.TurnTimings;
import io.parley.inference.voice.SpokenPieces;
import io.parley.inference.voice.VadScheduler;
import io.parley.inference.voice.VoiceClock;
import io.parley.inference.voice.VoiceEvent;
import io.parley.inference.voice.VoiceEngines;
import io.parley.inference.voice.VoiceSession;
import io.parley.inference.voice.VoiceSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * The voice pipeline's own cost and a whole turn's latency, in one JVM, with every real engine:
 * Silero VAD (ONNX Runtime) through the {@link VadScheduler}, whisper.cpp and llama.cpp on the tiny
 * random-weight files the tests write, FreeTTS, the spoken-pieces chunker and the resamplers, wired as
 * {@code /v1/realtime} wires them (no socket, no database: the bench measures the pipeline, not the
 * network). A feeder thread streams espeak-ng speech and then silence in real time, 20 ms at a
 * time, to one {@link VoiceSession}; server VAD ends the turn; the answer is generated, spoken and
 * paced out; the next turn starts when it is done. Each turn's {@link TurnTimings}:
 *
 * <ul>
 *   <li>latency: end of speech (the VAD's speech_stopped, after its minimum silence) to the final
 *       transcript, the first LLM token, the first audio sent, and the response done (the answer's
 *       audio paced out at playback speed);
 *   <li>overhead: end of speech to first audio minus the engines' own compute on the way
 *       (Whisper's final pass, the LLM until its first sentence, FreeTTS until its first audio):
 *       queueing, thread hand-offs and event-loop hops. Issue goal: p50 &lt; 20 ms.
 * </ul>
 *
 * The measuring part ({@link #open}, {@link #round}, {@link #summary}) takes the three engines from
 * outside: {@link #main} opens them in this JVM; {@code io.parley.api.bench.PipelineHopBench} also
 * measures them behind the node's engine worker processes. Rounds of {@code turns} turns after one
 * warm-up turn; per round the median, then the median of the rounds. Prints one JSON line. Not a
 * test: {@code ./parley bench voice pipeline} runs the api-side bench, which includes this one's
 * in-process column.
 */
public final class PipelineBench implements AutoCloseable {

  private static final int INPUT_RATE = 16_000;
  private static final int OUTPUT_RATE = 24_000;
  private static final int CHUNK_MS = 20;
  private static final double SILENCE_AFTER_S = 1.2;
  private static final String[] UTTERANCES = {
      "How many calories are in a banana?",
      "Please book a call with my nutritionist tomorrow.",
      "What should I eat before a long run?",
  };

  /** The engines measured: opened in this JVM, or proxies of worker processes. */
  public record Engines(SpeechToText stt, ChatModel llm, TextToSpeech tts) {}

  /** One answered turn. */
  public record Turn(TurnTimings timings, String status) {}

  private final Path work;
  private final Vertx vertx;
  private final WorkerExecutor vadWorker;
  private final WorkerExecutor sttWorkers;
  private final WorkerExecutor ttsWorkers;
  private final SileroVad vad;
  private final VadScheduler scheduler;
  private final List<short[]> speech = new ArrayList<>();

  private PipelineBench(Path work) {
    this.work = work;
    this.vertx = Vertx.vertx();
    this.vadWorker = vertx.createSharedWorkerExecutor("bench-vad", 1);
    this.sttWorkers = vertx.createSharedWorkerExecutor("bench-stt-w", 1);
    this.ttsWorkers = vertx.createSharedWorkerExecutor("bench-tts", 1);
    this.vad = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS);
    this.scheduler = new VadScheduler(vad, vadWorker);
  }

  /**
   * What every measurement shares: Vert.x, the worker pools, Silero VAD in this JVM (the node keeps
   * it), the tiny Whisper and llama files ({@link #whisperFile}, {@link #llamaFile}) and the
   * espeak-ng questions. Logs at WARN.
   */
  public static PipelineBench open() throws Exception {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    PipelineBench bench = new PipelineBench(Files.createTempDirectory("pipeline-bench"));
    try {
      TinyWhisperModel.builder().write(bench.whisperFile());
      TinyGguf.write(bench.llamaFile());
      for (String u : UTTERANCES) {
        bench.speech.add(pcm16(EspeakSpeech.speak(u, 3.0, bench.work)));
      }
      return bench;
    } catch (Exception e) {
      bench.close();
      throw e;
    }
  }

  /** The tiny random-weight Whisper file. */
  public Path whisperFile() {
    return work.resolve("whisper.bin");
  }

  /** The tiny random-weight GGUF file. */
  public Path llamaFile() {
    return work.resolve("llama.gguf");
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int turns = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    requireRounds(rounds);
    int exit = 0;
    ExecutorService llmWorkers = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("bench-llm").factory());
    try (PipelineBench bench = open();
         WhisperStt stt = new WhisperStt(bench.whisperFile(), 2, 1);
         LlamaChatModel llm = LlamaChatModel.open(
             new LlamaChatModel.Settings(bench.llamaFile(), "tiny", 1, 2, 1024), llmWorkers);
         FreeTts tts = new FreeTts(FreeTts.VOICE, 1)) {
      Engines engines = new Engines(stt, llm, tts);
      bench.round(engines, 1);
      List<List<Turn>> results = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        List<Turn> done = bench.round(engines, turns);
        results.add(done);
        System.err.printf(Locale.ROOT, "round %d/%d: %s%n", round + 1, rounds, summaryLine(done));
      }
      JsonObject out = new JsonObject().put("bench", "pipeline").put("rounds", rounds).put("turns_per_round", turns)
          .put("cores", Runtime.getRuntime().availableProcessors());
      summary(results).forEach(out::put);
      System.out.println(out.encode());
    } catch (Exception e) {
      e.printStackTrace();
      exit = 1;
    }
    // llama.cpp leaves a non-daemon native thread behind.
    System.exit(exit);
  }

  /** Medians of at least 5 rounds (DESIGN.md). */
  public static void requireRounds(int rounds) {
    if (rounds < 5) {
      throw new IllegalArgumentException("rounds must be >= 5 (medians of at least 5)");
    }
  }

  @Override
  public void close() throws Exception {
    vad.close();
    vadWorker.close();
    sttWorkers.close();
    ttsWorkers.close();
    vertx.close().await(10, TimeUnit.SECONDS);
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * Silero VAD's own compute for one 32 ms frame of one stream (512 samples, gate off, the bench's
   * speech): {@code [cpu µs, wall µs]} per frame over {@code frames} frames, after as many to warm up.
   */
  public double[] vadFrameMicros(int frames) {
    List<float[]> pieces = new ArrayList<>();
    for (short[] s : speech) {
      for (int at = 0; at + SileroVad.FRAME_SAMPLES <= s.length; at += SileroVad.FRAME_SAMPLES) {
        float[] f = new float[SileroVad.FRAME_SAMPLES];
        for (int i = 0; i < f.length; i++) {
          f[i] = s[at + i] / 32768f;
        }
        pieces.add(f);
      }
    }
    float[][] frames32ms = pieces.toArray(float[][]::new);
    try (SileroVad ungated = SileroVad.open(Tools.modelsDir(), SileroVad.Settings.DEFAULTS.withGate(EnergyGate.OFF))) {
      VadBench.single(ungated, frames32ms, frames);
      return VadBench.single(ungated, frames32ms, frames);
    }
  }

  private static short[] pcm16(float[] samples) {
    short[] out = new short[samples.length];
    for (int i = 0; i < samples.length; i++) {
      out[i] = (short) Math.round(Math.max(-1f, Math.min(1f, samples[i])) * 32767f);
    }
    return out;
  }

  /**
   * One session on {@code measured} (with this JVM's VAD), {@code turns} spoken turns in real time; each
   * answered before the next.
   */
  public List<Turn> round(Engines measured, int turns) throws Exception {
    var engines = new VoiceEngines(Optional.of(scheduler), null, Optional.of(measured.stt()), null,
        Optional.of(measured.llm()), null, Optional.of(measured.tts()), null, sttWorkers, ttsWorkers,
        Duration.ofMillis(500));
    Context context = vertx.getOrCreateContext();
    List<Turn> out = new ArrayList<>();
    CompletableFuture<Turn>[] next = newTurn();
    java.util.function.Consumer<VoiceEvent> events = e -> {
      switch (e) {
        case VoiceEvent.ResponseDone d -> next[0].complete(new Turn(d.timings(),
            d.status().name().toLowerCase(Locale.ROOT)));
        case VoiceEvent.Error err -> next[0].completeExceptionally(
            new IllegalStateException(err.code() + ": " + err.message()));
        default -> { }
      }
    };
    var settings = new VoiceSettings(true, true, false, Duration.ofMillis(600), "You are a helpful assistant.",
        Optional.of("en"), true, 24, 0.7, 20, VadSegmenter.Settings.DEFAULTS);
    VadSegmenter segmenter = new VadSegmenter(VadSegmenter.Settings.DEFAULTS);
    CompletableFuture<VoiceSession> created = new CompletableFuture<>();
    context.runOnContext(v -> created.complete(new VoiceSession(VoiceClock.of(vertx), context, settings, engines, events, new MemoryLog(),
        UUID.randomUUID(), List.of(), pcm -> pcm, rate -> new Resampler(rate, OUTPUT_RATE)::process, segmenter,
        SpokenPieces::new)));
    VoiceSession session = created.get(10, TimeUnit.SECONDS);
    try {
      for (int t = 0; t < turns; t++) {
        short[] utterance = speech.get(t % speech.size());
        short[] input = new short[utterance.length + (int) (SILENCE_AFTER_S * INPUT_RATE)];
        System.arraycopy(utterance, 0, input, 0, utterance.length);
        feedRealTime(context, session, input);
        Turn turn = next[0].get(180, TimeUnit.SECONDS);
        if (!"completed".equals(turn.status())) {
          throw new IllegalStateException("turn " + t + " ended " + turn.status());
        }
        out.add(turn);
        next[0] = new CompletableFuture<>();
      }
    } finally {
      context.runOnContext(v -> session.close());
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static CompletableFuture<Turn>[] newTurn() {
    return new CompletableFuture[] {new CompletableFuture<Turn>()};
  }

  private static void feedRealTime(Context context, VoiceSession session, short[] input) throws InterruptedException {
    int chunk = INPUT_RATE * CHUNK_MS / 1000;
    long start = System.nanoTime();
    for (int at = 0, n = 0; at < input.length; at += chunk, n++) {
      short[] piece = java.util.Arrays.copyOfRange(input, at, Math.min(input.length, at + chunk));
      context.runOnContext(v -> session.appendAudio(piece));
      long due = start + (n + 1L) * CHUNK_MS * 1_000_000L;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
    }
  }

  public static double median(List<Double> values) {
    List<Double> v = values.stream().sorted().toList();
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  public static double percentile(List<Double> values, double p) {
    List<Double> v = values.stream().sorted().toList();
    return v.get((int) Math.min(v.size() - 1, Math.ceil(p * v.size()) - 1));
  }

  private static List<Double> of(List<Turn> turns, Function<TurnTimings, Double> f) {
    return turns.stream().map(t -> f.apply(t.timings())).toList();
  }

  /** One round's medians, for the log. */
  public static String summaryLine(List<Turn> turns) {
    return String.format(Locale.ROOT, "transcript %.1f, first token %.1f, first audio %.1f, done %.1f, overhead %.1f ms"
            + " (medians of %d turns)", median(of(turns, TurnTimings::transcriptMs)),
        median(of(turns, TurnTimings::firstTokenMs)), median(of(turns, TurnTimings::firstAudioMs)),
        median(of(turns, TurnTimings::doneMs)), median(of(turns, TurnTimings::overheadMs)), turns.size());
  }

  /**
   * The rounds' figures by their JSON names: medians per round, then the median of the rounds; the p99s
   * over all turns. Milliseconds, two decimals.
   */
  public static Map<String, Double> summary(List<List<Turn>> rounds) {
    List<Turn> all = rounds.stream().flatMap(List::stream).toList();
    Function<Function<TurnTimings, Double>, Double> roundsMedian =
        f -> median(rounds.stream().map(r -> median(of(r, f))).toList());
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("transcript_ms", roundsMedian.apply(TurnTimings::transcriptMs));
    out.put("first_token_ms", roundsMedian.apply(TurnTimings::firstTokenMs));
    out.put("first_audio_ms", roundsMedian.apply(TurnTimings::firstAudioMs));
    out.put("done_ms", roundsMedian.apply(TurnTimings::doneMs));
    out.put("stt_compute_ms", roundsMedian.apply(TurnTimings::sttComputeMs));
    out.put("llm_first_sentence_ms", roundsMedian.apply(TurnTimings::llmFirstSentenceMs));
    out.put("tts_first_audio_ms", roundsMedian.apply(TurnTimings::ttsFirstAudioMs));
    out.put("overhead_p50_ms", roundsMedian.apply(TurnTimings::overheadMs));
    out.put("overhead_p99_ms", percentile(of(all, TurnTimings::overheadMs), 0.99));
    out.put("first_audio_p99_ms", percentile(of(all, TurnTimings::firstAudioMs), 0.99));
    out.replaceAll((k, v) -> Math.round(v * 100) / 100.0);
    return out;
  }

  /** Stores nothing: the bench measures the pipeline, not PostgreSQL. */
  private static final class MemoryLog implements ConversationLog {
    @Override
    public Future<UUID> start(UUID userId, String personality) {
      return Future.succeededFuture(UUID.randomUUID());
    }

    @Override
    public Future<List<Message>> recent(UUID conversationId, int n) {
      return Future.succeededFuture(List.of());
    }

    @Override
    public Future<UUID> append(UUID conversationId, Message message) {
      return Future.succeededFuture(UUID.randomUUID());
    }

    @Override
    public Future<Void> deleteMessage(UUID conversationId, UUID messageId) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> truncateMessage(UUID conversationId, UUID messageId, String content) {
      return Future.succeededFuture();
    }
  }
}
