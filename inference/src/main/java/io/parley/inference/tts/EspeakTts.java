package io.parley.inference.tts;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Speech synthesis with <a href="https://github.com/espeak-ng/espeak-ng">eSpeak NG</a> in-process
 * (Debian {@code libespeak-ng1}, through the foreign function API): 100+ languages, 22050 Hz PCM16
 * mono. Its voices are named by their main language tag ({@code en-us}, {@code es}, {@code fr},
 * {@code de}, {@code hi}, {@code ar}, {@code cmn}, {@code ja}, {@code ko}, ...); speed sets its
 * rate in words per minute (175 times the speed, within the 80 to 700 it speaks).
 *
 * <p>eSpeak NG keeps one voice, one rate and one audio callback for the whole process and is not
 * thread-safe, so the process has one of it, run by one named platform thread,
 * {@value #THREAD_NAME}, started on first use and ending with the JVM (a daemon): every engine of
 * the process queues its syntheses there, one at a time. {@link #synthesize} waits on the caller's
 * thread and hands audio to its sink as eSpeak NG produces it (chunks of its synth callback); a
 * cancelled or failed sink aborts the synthesis from the callback. A closed engine refuses new
 * syntheses and aborts those in progress.
 */
public final class EspeakTts implements TextToSpeech {

  public static final String THREAD_NAME = "parley-espeak";
  public static final String DEFAULT_VOICE = "en-us";
  /** Longest text accepted in one call (the OpenAI speech endpoint's limit too). */
  public static final int MAX_TEXT_CHARS = 4_096;
  /** How often a waiting synthesis looks at its cancellation flag. */
  static final long POLL_MILLIS = 20;
  private static final long START_TIMEOUT_SECONDS = 30;

  private final Runtime runtime;
  private final String defaultVoice;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<Job> running = ConcurrentHashMap.newKeySet();

  private EspeakTts(Runtime runtime, String voice) {
    this.runtime = runtime;
    this.defaultVoice = voiceNamed(Objects.requireNonNullElse(voice, DEFAULT_VOICE)).name();
  }

  /**
   * An engine on the process's eSpeak NG, started from {@code library} if it is not yet.
   *
   * @param voice the default voice (a name or language code), null for {@value #DEFAULT_VOICE}
   * @throws ParleyException {@code UNAVAILABLE} naming the Debian package when the library or its
   *     data is missing; {@code INVALID} for an unknown voice
   */
  public static EspeakTts open(String library, String voice) {
    return new EspeakTts(Runtime.of(library), voice);
  }

  /** The engine configured by {@code PARLEY_TTS_VOICE} (its default voice), on Debian's library. */
  public static EspeakTts from(TtsOptions options) {
    return open(EspeakNative.LIBRARY, options.voice().orElse(DEFAULT_VOICE));
  }

  @Override
  public int sampleRate() {
    return runtime.sampleRate;
  }

  @Override
  public String voice() {
    return defaultVoice;
  }

  @Override
  public List<TtsVoice> voices() {
    return runtime.voices;
  }

  /** eSpeak NG's own choice among the voices of a language: the lowest priority it lists the tag with. */
  @Override
  public Optional<TtsVoice> voiceSpeaking(String tag) {
    return Optional.ofNullable(runtime.byLanguage.get(TtsVoice.tag(tag)));
  }

  @Override
  public void synthesize(String text, SpeechStyle style, AudioSink sink, BooleanSupplier cancelled) {
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(cancelled, "cancelled");
    if (closed.get()) {
      throw closedError();
    }
    if (Context.isOnEventLoopThread()) {
      throw new ParleyException(Reason.INTERNAL, "speech synthesis blocks: call it on a worker, not an event loop");
    }
    if (text.length() > MAX_TEXT_CHARS) {
      throw new ParleyException(Reason.LIMITED,
          "speech input of " + text.length() + " characters exceeds the limit of " + MAX_TEXT_CHARS);
    }
    TtsVoice voice = voiceNamed(style.voice() == null ? defaultVoice : style.voice());
    if (text.isBlank() || cancelled.getAsBoolean()) {
      return;
    }
    int wpm = (int) Math.round(EspeakNative.NORMAL_RATE_WPM * style.speed());
    Job job = new Job(text, runtime.identifiers.get(voice.name()), wpm, cancelled);
    running.add(job);
    try {
      runtime.submit(job);
      if (closed.get()) { // closed between the check and the submission: close() may have missed it
        job.abort();
      }
      receive(job, sink, cancelled);
    } finally {
      job.abort();
      running.remove(job);
    }
  }

  private void receive(Job job, AudioSink sink, BooleanSupplier cancelled) {
    while (!cancelled.getAsBoolean()) {
      Item item;
      try {
        item = job.out.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ParleyException(Reason.UNAVAILABLE, "speech synthesis interrupted");
      }
      if (closed.get()) {
        throw closedError();
      }
      switch (item) {
        case null -> { }
        case Audio a -> sink.audio(a.samples());
        case Done d -> {
          return;
        }
        case Failed f -> throw f.error();
      }
    }
  }

  /** Refuses new syntheses and aborts those in progress (their callers get an error). */
  @Override
  public void close() {
    closed.set(true);
    running.forEach(Job::abort);
  }

  private static ParleyException closedError() {
    return new ParleyException(Reason.UNAVAILABLE, "eSpeak NG: the engine is closed");
  }

  private sealed interface Item permits Audio, Done, Failed {}

  private record Audio(short[] samples) implements Item {}

  private record Done() implements Item {}

  private record Failed(RuntimeException error) implements Item {}

  /** One synthesis: what to say and how, and the queue its audio goes through to the caller. */
  private static final class Job {
    final String text;
    final String identifier;
    final int wordsPerMinute;
    final BooleanSupplier cancelled;
    final AtomicBoolean aborted = new AtomicBoolean();
    /** Unbounded, but one text's audio is: at most a few minutes for {@value #MAX_TEXT_CHARS} characters. */
    final BlockingQueue<Item> out = new LinkedBlockingQueue<>();

    Job(String text, String identifier, int wordsPerMinute, BooleanSupplier cancelled) {
      this.text = text;
      this.identifier = identifier;
      this.wordsPerMinute = wordsPerMinute;
      this.cancelled = cancelled;
    }

    void abort() {
      aborted.set(true);
    }

    boolean stopped() {
      return aborted.get() || cancelled.getAsBoolean();
    }
  }

  /**
   * The process's eSpeak NG and its thread. Static because the library's state is the process's:
   * two of these would drive the one library from two threads.
   */
  private static final class Runtime {
    private static Runtime process; // guarded by Runtime.class

    final String library;
    final int sampleRate;
    final List<TtsVoice> voices;
    final Map<String, String> identifiers;
    final Map<String, TtsVoice> byLanguage;
    private final ExecutorService thread;
    private final EspeakNative lib;
    /** The voice and rate set last; touched on the thread only. */
    private String voiceSet;
    private int rateSet;

    private Runtime(String library, EspeakNative lib, ExecutorService thread, int sampleRate,
                    List<EspeakNative.ListedVoice> listed) {
      this.library = library;
      this.lib = lib;
      this.thread = thread;
      this.sampleRate = sampleRate;
      List<TtsVoice> named = new ArrayList<>();
      Map<String, String> ids = new HashMap<>();
      Map<String, TtsVoice> preferred = new LinkedHashMap<>();
      Map<String, Integer> priorities = new HashMap<>();
      for (EspeakNative.ListedVoice v : listed) {
        if (v.languages().isEmpty() || v.identifier().startsWith("mb/")) {
          continue; // MBROLA voices need the separate mbrola program and its databases
        }
        TtsVoice voice = new TtsVoice(TtsVoice.tag(v.languages().getFirst()), v.languages(), v.name().strip());
        if (ids.putIfAbsent(voice.name(), v.identifier()) != null) {
          continue;
        }
        named.add(voice);
        for (int i = 0; i < voice.languages().size(); i++) {
          String tag = voice.languages().get(i);
          int priority = v.priorities().get(i);
          if (priority < priorities.getOrDefault(tag, Integer.MAX_VALUE)) {
            priorities.put(tag, priority);
            preferred.put(tag, voice);
          }
        }
      }
      this.voices = List.copyOf(named);
      this.identifiers = Map.copyOf(ids);
      this.byLanguage = Collections.unmodifiableMap(preferred);
    }

    static synchronized Runtime of(String library) {
      if (process != null && process.library.equals(library)) {
        return process;
      }
      EspeakNative lib = EspeakNative.open(library); // a missing library fails here, naming its package
      if (process != null) {
        throw new ParleyException(Reason.CONFIG, "eSpeak NG is already running from " + process.library);
      }
      ExecutorService thread = Executors.newSingleThreadExecutor(
          Thread.ofPlatform().name(THREAD_NAME).daemon(true).factory());
      try {
        // eSpeak NG is started on the thread that will always call it
        process = thread.submit(() -> new Runtime(library, lib, thread, lib.initialize(), lib.listVoices()))
            .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return process;
      } catch (ExecutionException e) {
        thread.shutdownNow();
        throw e.getCause() instanceof ParleyException p ? p
            : new ParleyException(Reason.UNAVAILABLE, "eSpeak NG failed to start: " + e.getCause(), e.getCause());
      } catch (TimeoutException | InterruptedException e) {
        thread.shutdownNow();
        throw new ParleyException(Reason.UNAVAILABLE, "eSpeak NG did not start within " + START_TIMEOUT_SECONDS
            + " s", e);
      }
    }

    void submit(Job job) {
      try {
        thread.execute(() -> run(job));
      } catch (RejectedExecutionException e) {
        throw new ParleyException(Reason.UNAVAILABLE, "eSpeak NG's thread has stopped", e);
      }
    }

    /** On the thread: one synthesis, its audio into the job's queue, then Done or Failed. */
    private void run(Job job) {
      try {
        if (!job.stopped()) {
          if (!job.identifier.equals(voiceSet) || job.wordsPerMinute != rateSet) {
            voiceSet = null; // a failure below leaves the library's settings unknown
            lib.voice(job.identifier);
            lib.rate(job.wordsPerMinute);
            voiceSet = job.identifier;
            rateSet = job.wordsPerMinute;
          }
          lib.synth(job.text, samples -> {
            if (job.stopped()) {
              return false;
            }
            job.out.add(new Audio(samples));
            return true;
          });
        }
        job.out.add(new Done());
      } catch (RuntimeException e) {
        job.out.add(new Failed(e));
      }
    }
  }

  @Override
  public String toString() {
    return "EspeakTts[" + runtime.library + ", voice=" + defaultVoice + ", " + runtime.voices.size() + " voices]";
  }
}
