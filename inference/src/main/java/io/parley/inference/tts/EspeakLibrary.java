package io.parley.inference.tts;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

/**
 * eSpeak NG's C API ({@code speak_lib.h} of <a href="https://github.com/espeak-ng/espeak-ng">espeak-ng</a>
 * 1.51, Debian {@value #PACKAGE}) through the foreign function API, in synchronous mode: each
 * {@link #synth} returns when its audio has gone through the synth callback. Compiled for Java 22
 * and loaded by name ({@link EspeakNative#open}).
 */
final class EspeakLibrary implements EspeakNative {

  // speak_lib.h
  private static final int AUDIO_OUTPUT_SYNCHRONOUS = 2;
  private static final int INITIALIZE_DONT_EXIT = 0x8000;
  private static final int ESPEAK_RATE = 1;
  private static final int POS_CHARACTER = 1;
  private static final int CHARS_UTF8 = 1;
  private static final int ENDPAUSE = 0x1000;
  private static final int EE_OK = 0;
  private static final int EE_NOT_FOUND = 2;
  /** espeak_VOICE: name, languages, identifier (pointers), gender, age, variant, xx1, score, spare. */
  private static final long VOICE_STRUCT_BYTES = 40;
  private static final long MAX_STRING_BYTES = 4096;

  private final MethodHandle initialize;
  private final MethodHandle listVoices;
  private final MethodHandle setVoiceByName;
  private final MethodHandle setParameter;
  private final MethodHandle synth;
  private final MemorySegment callbackStub;
  private final MethodHandle setSynthCallback;
  /** The synthesis in progress; touched by the one calling thread only (the callback runs on it). */
  private Chunks current;

  private EspeakLibrary(SymbolLookup lib) {
    Linker linker = Linker.nativeLinker();
    initialize = linker.downcallHandle(find(lib, "espeak_Initialize"),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    listVoices = linker.downcallHandle(find(lib, "espeak_ListVoices"), FunctionDescriptor.of(ADDRESS, ADDRESS));
    setVoiceByName = linker.downcallHandle(find(lib, "espeak_SetVoiceByName"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
    setParameter = linker.downcallHandle(find(lib, "espeak_SetParameter"),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    synth = linker.downcallHandle(find(lib, "espeak_Synth"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG,
        JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    setSynthCallback = linker.downcallHandle(find(lib, "espeak_SetSynthCallback"), FunctionDescriptor.ofVoid(ADDRESS));
    try {
      MethodHandle onAudio = MethodHandles.lookup().findVirtual(EspeakLibrary.class, "onAudio",
          MethodType.methodType(int.class, MemorySegment.class, int.class, MemorySegment.class)).bindTo(this);
      // The library lives as long as the process: so does its callback.
      callbackStub = linker.upcallStub(onAudio, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS),
          Arena.global());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Loads {@code library}; fails {@code UNAVAILABLE} naming the Debian package when it is missing. */
  static EspeakLibrary open(String library) {
    SymbolLookup lib;
    try {
      lib = SymbolLookup.libraryLookup(library, Arena.global());
    } catch (IllegalArgumentException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "eSpeak NG: " + library
          + " not found; install the Debian package " + PACKAGE + " (apt-get install " + PACKAGE + ")");
    }
    return new EspeakLibrary(lib);
  }

  @Override
  public int initialize() {
    int rate;
    try {
      rate = (int) initialize.invokeExact(AUDIO_OUTPUT_SYNCHRONOUS, 0, MemorySegment.NULL, INITIALIZE_DONT_EXIT);
      setSynthCallback.invokeExact(callbackStub);
    } catch (Throwable t) {
      throw new ParleyException(Reason.UNAVAILABLE, "eSpeak NG failed to start: " + t, t);
    }
    if (rate <= 0) {
      throw new ParleyException(Reason.UNAVAILABLE, "eSpeak NG found no voice data (espeak-ng-data); reinstall the"
          + " Debian package " + PACKAGE);
    }
    return rate;
  }

  @Override
  public List<ListedVoice> listVoices() {
    MemorySegment array;
    try {
      array = (MemorySegment) listVoices.invokeExact(MemorySegment.NULL);
    } catch (Throwable t) {
      throw new ParleyException(Reason.INTERNAL, "eSpeak NG could not list its voices: " + t, t);
    }
    List<ListedVoice> voices = new ArrayList<>();
    MemorySegment entries = array.reinterpret(Long.MAX_VALUE);
    for (long i = 0; ; i++) {
      MemorySegment v = entries.getAtIndex(ADDRESS, i);
      if (v.equals(MemorySegment.NULL)) {
        return voices;
      }
      v = v.reinterpret(VOICE_STRUCT_BYTES);
      // languages: pairs of a priority byte and a NUL-terminated tag, ended by a zero byte
      MemorySegment languages = v.get(ADDRESS, 8).reinterpret(MAX_STRING_BYTES);
      List<String> tags = new ArrayList<>();
      List<Integer> priorities = new ArrayList<>();
      long at = 0;
      while (languages.get(JAVA_BYTE, at) != 0) {
        String tag = languages.getString(at + 1);
        priorities.add((int) languages.get(JAVA_BYTE, at));
        tags.add(tag);
        at += 1 + tag.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
      }
      voices.add(new ListedVoice(string(v.get(ADDRESS, 0)), tags, priorities, string(v.get(ADDRESS, 16))));
    }
  }

  @Override
  public void voice(String name) {
    int result;
    try (Arena arena = Arena.ofConfined()) {
      result = (int) setVoiceByName.invokeExact(arena.allocateFrom(name));
    } catch (Throwable t) {
      throw new ParleyException(Reason.INTERNAL, "eSpeak NG could not set the voice " + name + ": " + t, t);
    }
    if (result == EE_NOT_FOUND) {
      throw new ParleyException(Reason.INVALID, "eSpeak NG has no voice " + name);
    }
    check(result, "set the voice " + name);
  }

  @Override
  public void rate(int wordsPerMinute) {
    int wpm = Math.clamp(wordsPerMinute, MIN_RATE_WPM, MAX_RATE_WPM);
    try {
      check((int) setParameter.invokeExact(ESPEAK_RATE, wpm, 0), "set the rate");
    } catch (ParleyException e) {
      throw e;
    } catch (Throwable t) {
      throw new ParleyException(Reason.INTERNAL, "eSpeak NG could not set the rate: " + t, t);
    }
  }

  @Override
  public void synth(String text, Chunks chunks) {
    current = chunks;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment utf8 = arena.allocateFrom(text);
      int result = (int) synth.invokeExact(utf8, utf8.byteSize(), 0, POS_CHARACTER, 0, CHARS_UTF8 | ENDPAUSE,
          MemorySegment.NULL, MemorySegment.NULL);
      check(result, "speak");
    } catch (ParleyException e) {
      throw e;
    } catch (Throwable t) {
      throw new ParleyException(Reason.INTERNAL, "eSpeak NG failed: " + t, t);
    } finally {
      current = null;
    }
  }

  /** The synth callback: {@code int (short *wav, int numsamples, espeak_EVENT *events)}; 1 aborts. */
  private int onAudio(MemorySegment wav, int samples, MemorySegment events) {
    try {
      Chunks to = current;
      if (to == null) {
        return 1;
      }
      if (samples <= 0 || wav.equals(MemorySegment.NULL)) {
        return 0;
      }
      return to.audio(wav.reinterpret(samples * 2L).toArray(JAVA_SHORT)) ? 0 : 1;
    } catch (Throwable t) {
      // an exception must not unwind into native code (the JVM would exit): abort instead
      return 1;
    }
  }

  private static void check(int result, String what) {
    if (result != EE_OK) {
      throw new ParleyException(Reason.INTERNAL, "eSpeak NG could not " + what + " (error " + result + ")");
    }
  }

  private static String string(MemorySegment s) {
    return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(MAX_STRING_BYTES).getString(0);
  }

  private static MemorySegment find(SymbolLookup lib, String symbol) {
    return lib.find(symbol).orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
        "eSpeak NG: " + LIBRARY + " has no " + symbol + "; install the Debian package " + PACKAGE));
  }
}
