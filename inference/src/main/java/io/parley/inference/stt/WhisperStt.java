package io.parley.inference.stt;

import io.github.givimad.whisperjni.WhisperContext;
import io.github.givimad.whisperjni.WhisperFullParams;
import io.github.givimad.whisperjni.WhisperJNI;
import io.github.givimad.whisperjni.WhisperSamplingStrategy;
import io.github.givimad.whisperjni.WhisperState;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.DefaultModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whisper speech to text in-process: <a href="https://github.com/ggerganov/whisper.cpp">whisper.cpp</a>
 * v1.7.1 through <a href="https://github.com/GiviMAD/whisper-jni">whisper-jni</a> 1.7.1.
 *
 * <h2>Loading</h2>
 * The model file is validated in Java first ({@link WhisperModelFile}): whisper.cpp trusts its
 * input, and a bad file would abort the JVM rather than fail. A file that passes validation but
 * that whisper.cpp still refuses ({@code init} returns null) is {@link Reason#UNAVAILABLE}.
 *
 * <h2>Threading</h2>
 * One {@code whisper_context} (the weights) is shared by every caller. Each transcription needs a
 * {@code whisper_state} (KV caches and compute buffers, ~95 MB whatever the model's size); states
 * are created lazily, one per concurrently transcribing thread, and never more than {@code workers}
 * ({@code PARLEY_STT_WORKERS}): a caller beyond that waits for a state to come back. Run this on the
 * STT worker executor of that size, so in practice each worker thread keeps one state busy.
 * {@link #transcribe} must run on a platform thread (JNI pins a virtual thread's carrier for the
 * whole, uninterruptible call) and refuses virtual threads.
 *
 * <p>whisper-jni keeps contexts and states in process-wide {@code std::map}s that it reads on every
 * call and writes on create and free, unsynchronised. A read concurrent with an insert is undefined
 * behaviour, so every native call that reads the maps holds {@link #NATIVE_MAPS}' read lock and
 * every create/free its write lock. That lock is static because the maps are.
 *
 * <h2>Bounded work</h2>
 * {@code whisper_full} cannot be aborted (whisper-jni exposes no abort callback). Each native call
 * therefore gets at most one 30 s window ({@link #MAX_WINDOW_SAMPLES}); longer input is transcribed
 * window by window. Callers that no longer want a result discard it when it arrives (see
 * {@link StreamingTranscriber}). Input shorter than whisper.cpp's 1 s minimum is padded with silence.
 *
 * <h2>Decoding</h2>
 * Greedy, temperature 0 with no temperature fallback ({@code temperatureInc = 0}), so the same
 * audio gives the same text; no context carried over. {@link #transcribe} asks for no timestamps
 * and one segment per window (the realtime path); {@link #transcribeTimed} for Whisper's timed
 * segments (the transcription endpoint's {@code verbose_json}, {@code srt} and {@code vtt}).
 */
public final class WhisperStt implements SpeechToText {

  private static final Logger LOG = LoggerFactory.getLogger(WhisperStt.class);

  public static final int SAMPLE_RATE = 16_000;
  /** The most audio one native call is given: Whisper's 30 s window. */
  public static final int MAX_WINDOW_SAMPLES = 30 * SAMPLE_RATE;
  /** whisper_full returns nothing for less than 1 s (100 mel frames); shorter input is padded to this. */
  static final int MIN_SAMPLES = SAMPLE_RATE * 11 / 10;
  /** How long {@link #close()} waits for running transcriptions before leaving native memory be. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(60);
  private static final ReadWriteLock NATIVE_MAPS = new ReentrantReadWriteLock();
  private static final Object LIBRARY = new Object();
  private static boolean libraryLoaded; // guarded by LIBRARY

  private final WhisperJNI jni = new WhisperJNI();
  private final Path file;
  private final String name;
  private final WhisperModelFile.Info info;
  private final int threads;
  private final int workers;
  private final WhisperContext context;
  /** Reads the language of a run; empty where this whisper-jni build does not export what it needs. */
  private final Optional<WhisperLanguageId> languageId;

  private final Object pool = new Object();
  private final ArrayDeque<WhisperState> idle = new ArrayDeque<>(); // guarded by pool
  private int created;   // guarded by pool
  private int busy;      // guarded by pool
  private boolean closed; // guarded by pool

  /**
   * Loads the model of {@code options}, or fails with {@link Reason#UNAVAILABLE} naming the missing
   * default model, the command that fetches it and {@code PARLEY_WHISPER_MODEL} when there is none.
   */
  public static WhisperStt open(SttOptions options) {
    Path model = options.model().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
        DefaultModel.WHISPER.missing()));
    WhisperStt stt = new WhisperStt(model, options.threads(), options.workers());
    try {
      Languages.requireSupported(options.language(), stt.multilingual(), stt.model());
    } catch (ParleyException e) {
      stt.close();
      throw new ParleyException(Reason.CONFIG, "PARLEY_STT_LANGUAGE: " + e.getMessage(), e);
    }
    return stt;
  }

  /**
   * Validates and loads {@code model}.
   *
   * @param threads whisper.cpp threads per transcription ({@code PARLEY_WHISPER_THREADS})
   * @param workers the most concurrent transcriptions, hence whisper states ({@code PARLEY_STT_WORKERS})
   */
  public WhisperStt(Path model, int threads, int workers) {
    this.file = Objects.requireNonNull(model, "model").toAbsolutePath();
    if (threads < 1 || threads > 64) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_WHISPER_THREADS: must be 1..64, got " + threads);
    }
    if (workers < 1 || workers > 64) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_STT_WORKERS: must be 1..64, got " + workers);
    }
    this.threads = threads;
    this.workers = workers;
    this.info = WhisperModelFile.validate(file);
    this.name = modelName(file);
    loadLibrary();
    long started = System.nanoTime();
    WhisperContext ctx;
    NATIVE_MAPS.writeLock().lock();
    try {
      // No state with the context: states are made per worker on demand (initState).
      ctx = jni.initNoState(file);
    } catch (IOException e) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_WHISPER_MODEL: " + file + ": " + e.getMessage(), e);
    } finally {
      NATIVE_MAPS.writeLock().unlock();
    }
    if (ctx == null) {
      throw new ParleyException(Reason.UNAVAILABLE, "PARLEY_WHISPER_MODEL: whisper.cpp could not load " + file
          + " (it passed Parley's format checks; out of memory, or a variant this whisper.cpp does not support)");
    }
    this.context = ctx;
    this.languageId = info.multilingual() ? WhisperLanguageId.open() : Optional.empty();
    LOG.info("whisper model {} loaded from {} in {} ms: {} layers, width {}, {}, {} ({} threads, up to {} states)",
        name, file, (System.nanoTime() - started) / 1_000_000, info.hparams().nAudioLayer(),
        info.hparams().nAudioState(), info.weightType(), info.multilingual() ? "multilingual" : "English-only",
        threads, workers);
  }

  private static void loadLibrary() {
    synchronized (LIBRARY) {
      if (libraryLoaded) {
        return;
      }
      try {
        WhisperJNI.loadLibrary();
        // Silences whisper.cpp's stderr chatter. whisper-jni's Java log forwarding is left off on
        // purpose: its proxy detaches the calling thread from the JVM after each line, which is
        // wrong for a Java thread that is inside a JNI call.
        WhisperJNI.setLibraryLogger(null);
      } catch (IOException | LinkageError e) {
        throw new ParleyException(Reason.UNAVAILABLE,
            "whisper-jni native library could not be loaded on " + System.getProperty("os.name") + "/"
                + System.getProperty("os.arch") + ": " + e.getMessage(), e);
      }
      libraryLoaded = true;
    }
  }

  /** "ggml-base.en.bin" -> "whisper-base.en". */
  private static String modelName(Path file) {
    String n = file.getFileName().toString();
    n = n.endsWith(".bin") ? n.substring(0, n.length() - 4) : n;
    n = n.startsWith("ggml-") ? n.substring(5) : n;
    return "whisper-" + n;
  }

  @Override
  public String model() {
    return name;
  }

  /** Whether the model knows languages other than English. */
  @Override
  public boolean multilingual() {
    return info.multilingual();
  }

  /**
   * {@inheritDoc}
   *
   * <p>An English-only model transcribes English: {@code language} empty or {@code en}. A
   * multilingual model detects the language when {@code language} is empty (one more encoder pass
   * per 30 s window), and the transcript says which it found (that of the first window); given a
   * language, it transcribes in that one. Input of any length is processed in 30 s windows.
   *
   * @throws ParleyException INVALID for a code Whisper does not know or a language other than
   *     English on an English-only model, UNAVAILABLE once closed, INTERNAL on a virtual thread or
   *     when whisper.cpp fails
   */
  @Override
  public Transcript transcribe(float[] samples, Optional<String> language) {
    return run(samples, language, false, null);
  }

  /** {@inheritDoc} The prompt is whisper.cpp's {@code initial_prompt}, given to each 30 s window. */
  @Override
  public Transcript transcribe(float[] samples, Optional<String> language, String prompt) {
    return run(samples, language, false, prompt == null || prompt.isBlank() ? null : prompt);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Whisper's own segments, with its timestamps (10 ms steps) kept inside their 30 s window.
   */
  @Override
  public Transcript transcribeTimed(float[] samples, Optional<String> language) {
    return run(samples, language, true, null);
  }

  private Transcript run(float[] samples, Optional<String> language, boolean timed, String prompt) {
    Objects.requireNonNull(samples, "samples");
    Objects.requireNonNull(language, "language");
    if (Thread.currentThread().isVirtual()) {
      throw new ParleyException(Reason.INTERNAL,
          "WhisperStt.transcribe called on a virtual thread: run it on the STT worker executor (platform threads)");
    }
    Optional<String> asked = language.isEmpty() ? language : Languages.parse(language.get(), "language");
    Languages.requireSupported(asked, info.multilingual(), name);
    String lang = info.multilingual() ? asked.orElse(Languages.AUTO) : "en";
    long started = System.nanoTime();
    WhisperState state = borrow();
    try {
      StringBuilder text = new StringBuilder();
      String used = null;
      java.util.List<Transcript.Segment> segments = new java.util.ArrayList<>();
      int offset = 0;
      do {
        int n = Math.min(MAX_WINDOW_SAMPLES, samples.length - offset);
        Window w = transcribeWindow(state, window(samples, offset, n), lang, prompt, timed
            ? new WindowSegments(segments, offset / (double) SAMPLE_RATE, n / (double) SAMPLE_RATE) : null);
        used = used == null ? w.language() : used;
        if (!w.text().isEmpty()) {
          if (!text.isEmpty()) {
            text.append(' ');
          }
          text.append(w.text());
        }
        offset += n;
      } while (offset < samples.length);
      return new Transcript(text.toString(), used, Duration.ofNanos(System.nanoTime() - started), segments);
    } finally {
      giveBack(state);
    }
  }

  /** One window's text and the language whisper.cpp transcribed it in. */
  private record Window(String text, String language) {}

  private static float[] window(float[] samples, int offset, int n) {
    if (offset == 0 && n == samples.length && n >= MIN_SAMPLES) {
      return samples;
    }
    float[] w = new float[Math.max(n, MIN_SAMPLES)]; // zero padding: silence
    System.arraycopy(samples, offset, w, 0, n);
    return w;
  }

  /** Where a window's timed segments go, and where that window lies in the whole audio (seconds). */
  private record WindowSegments(java.util.List<Transcript.Segment> into, double start, double length) {

    /** Whisper's times (10 ms units from the window's start), kept inside the window and in order. */
    void add(long t0, long t1, String text) {
      double previous = into.isEmpty() ? start : into.getLast().end();
      double from = Math.max(previous, start + Math.clamp(t0 / 100.0, 0, length));
      double to = Math.max(from, start + Math.clamp(t1 / 100.0, 0, length));
      into.add(new Transcript.Segment(from, to, text));
    }
  }

  private Window transcribeWindow(WhisperState state, float[] pcm, String lang, String prompt,
                                  WindowSegments timed) {
    WhisperFullParams p = new WhisperFullParams(WhisperSamplingStrategy.GREEDY);
    p.initialPrompt = prompt;
    p.nThreads = threads;
    p.language = lang;
    p.translate = false;
    p.detectLanguage = false;
    p.noTimestamps = timed == null;
    p.singleSegment = timed == null;
    p.noContext = true;
    p.printProgress = false;
    p.printRealtime = false;
    p.printTimestamps = false;
    p.printSpecial = false;
    p.temperature = 0f;
    p.temperatureInc = 0f;
    p.greedyBestOf = 1;
    NATIVE_MAPS.readLock().lock();
    try {
      int rc = jni.fullWithState(context, state, p, pcm, pcm.length);
      if (rc != 0) {
        throw new ParleyException(Reason.INTERNAL, "whisper_full failed (code " + rc + ") on "
            + pcm.length + " samples with model " + name);
      }
      int segments = jni.fullNSegmentsFromState(state);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < segments; i++) {
        String s = jni.fullGetSegmentTextFromState(state, i);
        if (s != null) {
          sb.append(s);
          if (timed != null && !s.isBlank()) {
            timed.add(jni.fullGetSegmentTimestamp0FromState(state, i), jni.fullGetSegmentTimestamp1FromState(state, i),
                s.strip());
          }
        }
      }
      // As whisper.cpp has it: the language it detected, or the one it was given.
      String used = languageId.map(id -> id.of(state))
          .orElse(lang.equals(Languages.AUTO) ? Languages.UNDETERMINED : lang);
      return new Window(sb.toString().strip(), used);
    } finally {
      NATIVE_MAPS.readLock().unlock();
    }
  }

  private WhisperState borrow() {
    synchronized (pool) {
      while (true) {
        if (closed) {
          throw new ParleyException(Reason.UNAVAILABLE, "speech to text (" + name + ") is closed");
        }
        WhisperState s = idle.pollFirst();
        if (s != null) {
          busy++;
          return s;
        }
        if (created < workers) {
          created++; // reserve the slot, create outside the pool lock
          busy++;
          break;
        }
        try {
          pool.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ParleyException(Reason.UNAVAILABLE, "interrupted waiting for a whisper state", e);
        }
      }
    }
    WhisperState s = null;
    try {
      NATIVE_MAPS.writeLock().lock();
      try {
        s = jni.initState(context);
      } finally {
        NATIVE_MAPS.writeLock().unlock();
      }
      if (s == null) {
        throw new ParleyException(Reason.UNAVAILABLE, "whisper.cpp could not allocate a state (~95 MB) for " + name
            + ": out of memory? Lower PARLEY_STT_WORKERS");
      }
      LOG.debug("whisper state {} of {} created for {}", created, workers, name);
      return s;
    } finally {
      if (s == null) {
        synchronized (pool) {
          created--;
          busy--;
          pool.notifyAll();
        }
      }
    }
  }

  private void giveBack(WhisperState state) {
    synchronized (pool) {
      idle.addFirst(state); // the most recently used state first: its pages are warm
      busy--;
      pool.notifyAll();
    }
  }

  /** States created so far (each ~95 MB of native memory). */
  int states() {
    synchronized (pool) {
      return created;
    }
  }

  /**
   * Frees the states and the model once running transcriptions have finished (they cannot be
   * aborted). If they do not finish within {@link #CLOSE_WAIT}, native memory is left allocated
   * rather than freed under a running call.
   */
  @Override
  public void close() {
    WhisperState[] states;
    synchronized (pool) {
      if (closed) {
        return;
      }
      closed = true;
      pool.notifyAll();
      long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
      while (busy > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn("{}: {} transcriptions still running after {} s; leaving the model's native memory allocated",
              name, busy, CLOSE_WAIT.toSeconds());
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(pool, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          LOG.warn("{}: interrupted while closing; leaving the model's native memory allocated", name);
          return;
        }
      }
      states = idle.toArray(WhisperState[]::new);
      idle.clear();
    }
    NATIVE_MAPS.writeLock().lock();
    try {
      Arrays.stream(states).forEach(jni::free);
      jni.free(context);
    } finally {
      NATIVE_MAPS.writeLock().unlock();
    }
    LOG.debug("{} closed", name);
  }

  @Override
  public String toString() {
    return "WhisperStt[" + name + ", " + file + "]";
  }
}
