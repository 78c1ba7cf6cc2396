package io.parley.inference.tts;

import com.sun.speech.freetts.FreeTTSSpeakableImpl;
import com.sun.speech.freetts.OutputQueue;
import com.sun.speech.freetts.Voice;
import com.sun.speech.freetts.audio.AudioPlayer;
import com.sun.speech.freetts.en.us.cmu_us_kal.KevinVoiceDirectory;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import javax.sound.sampled.AudioFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speech synthesis with <a href="https://freetts.sourceforge.io/">FreeTTS</a> 1.2 in-process:
 * the CMU diphone voice {@code kevin16}, 16 kHz PCM16 mono.
 *
 * <p>FreeTTS is not thread-safe: a {@link Voice} shared by two threads corrupts its output, and
 * allocating voices concurrently races on the lexicon's static caches. So each worker thread gets
 * its own voice, allocated on first use one at a time, and its own audio collector; at most
 * {@code maxVoices} threads (the TTS worker pool, {@code PARLEY_TTS_WORKERS}) may synthesize. Audio
 * is produced on the calling thread (no FreeTTS output thread) and reaches the sink as FreeTTS
 * writes it, converted from FreeTTS's big-endian bytes; {@code cancelled} is checked between
 * FreeTTS's processing steps and before every chunk, so a cancelled synthesis stops within one
 * utterance step.
 */
public final class FreeTts implements TextToSpeech {

  /** The one FreeTTS voice with 16 kHz audio. */
  public static final String VOICE = "kevin16";
  /** The voice and the languages it speaks: US English. */
  public static final List<TtsVoice> VOICES = List.of(new TtsVoice(VOICE, List.of("en-us", "en"),
      "English (America), CMU diphone voice"));
  public static final int SAMPLE_RATE = 16_000;
  /** Longest text accepted in one call (the OpenAI speech endpoint's limit too). */
  public static final int MAX_TEXT_CHARS = 4_096;

  private static final Logger LOG = LoggerFactory.getLogger(FreeTts.class);
  /** FreeTTS's lexicon keeps static unsynchronised caches: voices are allocated one at a time. */
  private static final Object ALLOCATION_LOCK = new Object();

  private final int maxVoices;
  private final Map<Thread, ThreadVoice> voices = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param voice the voice name; FreeTTS here has only {@value #VOICE}
   * @param maxVoices how many threads may synthesize (one voice each; allocating one takes 0.2-0.8 s here)
   */
  public FreeTts(String voice, int maxVoices) {
    if (!VOICE.equals(voice)) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_TTS_VOICE: FreeTTS has only the voice " + VOICE + ", not '"
          + voice + "' (other voices need PARLEY_TTS_ENGINE=openai)");
    }
    if (maxVoices < 1) {
      throw new IllegalArgumentException("maxVoices must be positive, not " + maxVoices);
    }
    if (KevinVoiceDirectory.class.getResource("cmu_us_kal16.bin") == null) {
      throw new ParleyException(Reason.UNAVAILABLE,
          "FreeTTS: the kevin16 voice data (cmu_us_kal16.bin) is not on the class path; add net.sf.sociaal:freetts");
    }
    this.maxVoices = maxVoices;
  }

  /** The engine configured by {@code PARLEY_TTS_VOICE} and {@code PARLEY_TTS_WORKERS}. */
  public static FreeTts from(TtsOptions options) {
    return new FreeTts(options.voice().orElse(VOICE), options.workers());
  }

  @Override
  public int sampleRate() {
    return SAMPLE_RATE;
  }

  @Override
  public String voice() {
    return VOICE;
  }

  @Override
  public List<TtsVoice> voices() {
    return VOICES;
  }

  @Override
  public void synthesize(String text, SpeechStyle style, AudioSink sink, BooleanSupplier cancelled) {
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(cancelled, "cancelled");
    if (closed) {
      throw new ParleyException(Reason.UNAVAILABLE, "FreeTTS: the engine is closed");
    }
    if (Context.isOnEventLoopThread()) {
      throw new ParleyException(Reason.INTERNAL, "speech synthesis blocks: call it on a worker, not an event loop");
    }
    if (text.length() > MAX_TEXT_CHARS) {
      throw new ParleyException(Reason.LIMITED,
          "speech input of " + text.length() + " characters exceeds the limit of " + MAX_TEXT_CHARS);
    }
    voiceNamed(style.voice()); // the one voice: refuses any other name
    if (text.isBlank() || cancelled.getAsBoolean()) {
      return;
    }
    voiceOfThisThread().speak(text, style.speed(), sink, cancelled);
  }

  /** Deallocates the voices. Call once no synthesis runs any more (the workers have stopped). */
  @Override
  public void close() {
    closed = true;
    synchronized (ALLOCATION_LOCK) {
      voices.values().forEach(ThreadVoice::deallocate);
      voices.clear();
    }
  }

  private ThreadVoice voiceOfThisThread() {
    Thread thread = Thread.currentThread();
    ThreadVoice voice = voices.get(thread);
    if (voice != null) {
      return voice;
    }
    if (thread.isVirtual()) {
      // a voice per thread would be a voice per call, each 0.2-0.8 s to allocate
      throw new ParleyException(Reason.INTERNAL, "FreeTTS: synthesize on a TTS worker thread, not a virtual thread");
    }
    synchronized (ALLOCATION_LOCK) {
      List<Thread> gone = new ArrayList<>();
      voices.forEach((t, v) -> {
        if (!t.isAlive()) {
          gone.add(t);
        }
      });
      gone.forEach(t -> voices.remove(t).deallocate());
      if (voices.size() >= maxVoices) {
        throw new ParleyException(Reason.INTERNAL, "FreeTTS: " + maxVoices
            + " threads already hold a voice (PARLEY_TTS_WORKERS); synthesize only on the TTS workers");
      }
      if (closed) {
        throw new ParleyException(Reason.UNAVAILABLE, "FreeTTS: the engine is closed");
      }
      long start = System.nanoTime();
      voice = ThreadVoice.allocate();
      voices.put(thread, voice);
      LOG.debug("FreeTTS voice {} allocated for {} in {} ms", VOICE, thread.getName(),
          (System.nanoTime() - start) / 1_000_000);
      return voice;
    }
  }

  /** One thread's voice and the collector its audio goes to. */
  private record ThreadVoice(Voice voice, Collector collector, float normalRate) {

    static ThreadVoice allocate() {
      Voice voice = Arrays.stream(new KevinVoiceDirectory().getVoices())
          .filter(v -> VOICE.equals(v.getName()))
          .findFirst()
          .orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE, "FreeTTS: no voice " + VOICE + " in the directory"));
      Collector collector = new Collector();
      voice.setAudioPlayer(collector);
      // allocate() starts an output thread unless a queue is set; with none set afterwards,
      // audio is produced synchronously on the synthesizing thread
      voice.setOutputQueue(new OutputQueue());
      try {
        voice.allocate();
      } catch (Error | RuntimeException e) {
        throw new ParleyException(Reason.UNAVAILABLE, "FreeTTS: cannot allocate the voice " + VOICE + ": " + e, e);
      }
      voice.setOutputQueue(null);
      return new ThreadVoice(voice, collector, voice.getRate());
    }

    void speak(String text, double speed, AudioSink sink, BooleanSupplier cancelled) {
      voice.setRate((float) (normalRate * speed));
      collector.start(sink, cancelled);
      boolean ok;
      try {
        ok = voice.speak(new Speakable(text, cancelled));
      } catch (RuntimeException e) {
        collector.rethrowSinkFailure();
        throw new ParleyException(Reason.INTERNAL, "FreeTTS failed on '" + abbreviate(text) + "': " + e, e);
      } finally {
        collector.stop();
      }
      collector.rethrowSinkFailure();
      if (!ok && !cancelled.getAsBoolean()) {
        throw new ParleyException(Reason.INTERNAL, "FreeTTS could not process '" + abbreviate(text) + "'");
      }
    }

    void deallocate() {
      try {
        voice.deallocate();
      } catch (RuntimeException e) {
        LOG.warn("FreeTTS voice deallocation failed", e);
      }
    }

    private static String abbreviate(String text) {
      return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
  }

  /** The text, seen as completed by FreeTTS once the caller cancels. */
  private static final class Speakable extends FreeTTSSpeakableImpl {
    private final BooleanSupplier cancelled;

    Speakable(String text, BooleanSupplier cancelled) {
      super(text);
      this.cancelled = cancelled;
    }

    @Override
    public synchronized boolean isCompleted() {
      return super.isCompleted() || cancelled.getAsBoolean();
    }

    /** Output is synchronous: when FreeTTS asks, everything has been played. */
    @Override
    public synchronized boolean waitCompleted() {
      return true;
    }
  }

  /**
   * The audio player FreeTTS writes to: converts each write (FreeTTS reuses its array) to samples
   * and hands them to the current sink. Confined to its voice's thread.
   */
  private static final class Collector implements AudioPlayer {
    private AudioFormat format = new AudioFormat(SAMPLE_RATE, 16, 1, true, true);
    private AudioSink sink;
    private BooleanSupplier cancelled = () -> true;
    private RuntimeException sinkFailure;
    private int carry = -1; // a byte of a sample split across writes

    void start(AudioSink sink, BooleanSupplier cancelled) {
      this.sink = sink;
      this.cancelled = cancelled;
      this.sinkFailure = null;
      this.carry = -1;
    }

    void stop() {
      this.sink = null;
      this.cancelled = () -> true;
    }

    void rethrowSinkFailure() {
      if (sinkFailure != null) {
        RuntimeException e = sinkFailure;
        sinkFailure = null;
        throw e;
      }
    }

    @Override
    public boolean write(byte[] audio) {
      return write(audio, 0, audio.length);
    }

    @Override
    public boolean write(byte[] audio, int offset, int length) {
      if (sink == null || sinkFailure != null || cancelled.getAsBoolean()) {
        return false; // FreeTTS stops playing this utterance
      }
      if (length == 0) {
        return true;
      }
      byte[] bytes;
      if (carry >= 0) {
        bytes = new byte[length + 1];
        bytes[0] = (byte) carry;
        System.arraycopy(audio, offset, bytes, 1, length);
      } else {
        bytes = Arrays.copyOfRange(audio, offset, offset + length);
      }
      int whole = bytes.length & ~1;
      carry = whole < bytes.length ? bytes[whole] & 0xff : -1;
      if (whole == 0) {
        return true;
      }
      short[] samples = format.isBigEndian()
          ? Pcm.fromBigEndian(bytes, 0, whole)
          : Pcm.fromLittleEndian(bytes, 0, whole);
      try {
        sink.audio(samples);
      } catch (RuntimeException e) {
        sinkFailure = e;
        return false;
      }
      return true;
    }

    @Override
    public void setAudioFormat(AudioFormat format) {
      if (format.getSampleSizeInBits() != 16 || format.getChannels() != 1
          || format.getEncoding() != AudioFormat.Encoding.PCM_SIGNED
          || Math.round(format.getSampleRate()) != SAMPLE_RATE) {
        throw new IllegalStateException("FreeTTS produces " + format + ", expected 16 kHz 16-bit signed mono");
      }
      this.format = format;
    }

    @Override
    public AudioFormat getAudioFormat() {
      return format;
    }

    /** FreeTTS calls this at the start of every {@code speak()}. */
    @Override
    public void reset() {
      carry = -1;
    }

    @Override
    public boolean drain() {
      return true;
    }

    @Override
    public void begin(int size) {}

    @Override
    public boolean end() {
      return !cancelled.getAsBoolean();
    }

    @Override
    public void cancel() {}

    @Override
    public void pause() {}

    @Override
    public void resume() {}

    @Override
    public void close() {}

    @Override
    public float getVolume() {
      return 1f;
    }

    @Override
    public void setVolume(float volume) {}

    @Override
    public long getTime() {
      return 0;
    }

    @Override
    public void resetTime() {}

    @Override
    public void startFirstSampleTimer() {}

    @Override
    public void showMetrics() {}
  }
}
