package io.parley.inference.tts;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.lang.reflect.InvocationTargetException;
import java.util.List;

/**
 * The calls {@link EspeakTts} makes into eSpeak NG's C API. Implemented by {@code EspeakLibrary}
 * with the foreign function API, final from Java 22: that class alone is compiled for 22 and
 * loaded by name ({@link #open}), as api's TurboJpeg is; the rest of the module stays on 21.
 *
 * <p>The library's state is the process's (one voice, one rate, one audio callback) and it is not
 * thread-safe: one instance per process, called from one thread only.
 */
interface EspeakNative {

  String LIBRARY = "libespeak-ng.so.1";
  String PACKAGE = "libespeak-ng1";
  /** eSpeak NG's normal pace and the bounds it accepts (it clamps below 80; above 450 it speeds up with sonic). */
  int NORMAL_RATE_WPM = 175;
  int MIN_RATE_WPM = 80;
  int MAX_RATE_WPM = 700;

  /** Receives one callback's samples; false aborts the synthesis. Must not throw. */
  interface Chunks {
    boolean audio(short[] samples);
  }

  /** A voice as eSpeak NG lists it: languages by priority (lower first), its file under voices/. */
  record ListedVoice(String name, List<String> languages, List<Integer> priorities, String identifier) {}

  /** espeak_Initialize in synchronous mode; the sample rate of its audio (22050 Hz). */
  int initialize();

  /** espeak_ListVoices(NULL): every voice, in the library's order. */
  List<ListedVoice> listVoices();

  /** espeak_SetVoiceByName: a voice file ({@code roa/es}), optionally with a variant ({@code +f3}). */
  void voice(String name);

  /** espeakRATE, words per minute (clamped to what eSpeak NG speaks). */
  void rate(int wordsPerMinute);

  /** espeak_Synth of UTF-8 {@code text} (not SSML), with a pause at its end; audio goes to {@code chunks}. */
  void synth(String text, Chunks chunks);

  /**
   * Loads {@code library}. Fails {@code UNAVAILABLE} naming the Debian package when it is missing,
   * or the JDK when it is older than 22.
   */
  static EspeakNative open(String library) {
    try {
      return (EspeakNative) Class.forName("io.parley.inference.tts.EspeakLibrary").getDeclaredMethod("open", String.class)
          .invoke(null, library);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException r ? r
          : new ParleyException(Reason.UNAVAILABLE, "eSpeak NG: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new ParleyException(Reason.UNAVAILABLE, "eSpeak NG needs Java 22 or later (the foreign function API): "
          + e, e);
    }
  }
}
