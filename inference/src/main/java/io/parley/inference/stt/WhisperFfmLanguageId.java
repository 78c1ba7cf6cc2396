package io.parley.inference.stt;

import io.github.givimad.whisperjni.WhisperState;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link WhisperLanguageId} through the foreign function API (final in Java 22: this class alone is
 * compiled for 22, and loaded by name only on such a JDK). whisper-jni 1.7.1 does not bind
 * {@code whisper_full_lang_id_from_state}, so this calls it in the libraries whisper-jni itself
 * loaded (found with {@link SymbolLookup#loaderLookup()}).
 *
 * <p>The state's native pointer: whisper-jni hands Java an int key ({@code WhisperJNIPointer.ref})
 * into its global {@code std::map<int, whisper_state*> stateMap}, and its library exports both that
 * map and the map's {@code at} (the very call its own JNI functions look states up with). So the
 * pointer is {@code stateMap.at(ref)}, computed by whisper-jni's compiled code, not by reading the
 * map's layout here. The key is live while the caller holds the state; the caller also holds the
 * read lock that guards those maps ({@link WhisperStt}). Both symbols belong to the pinned
 * whisper-jni 1.7.1 build; with another build (or platform) they may be missing, and then
 * {@link #open()} is empty.
 */
final class WhisperFfmLanguageId implements WhisperLanguageId {

  private static final Logger LOG = LoggerFactory.getLogger(WhisperLanguageId.class);

  /** {@code std::map<int, whisper_state*>::at(int const&)}, as g++ mangles it. */
  static final String MAP_AT = "_ZNSt3mapIiP13whisper_stateSt4lessIiESaISt4pairIKiS1_EEE2atERS5_";

  private final MemorySegment stateMap;
  private final MethodHandle at;
  private final MethodHandle langId;
  private final MethodHandle langStr;
  private final Field ref;

  private WhisperFfmLanguageId(MemorySegment stateMap, MethodHandle at, MethodHandle langId, MethodHandle langStr,
                            Field ref) {
    this.stateMap = stateMap;
    this.at = at;
    this.langId = langId;
    this.langStr = langStr;
    this.ref = ref;
  }

  /** The binding, once whisper-jni's libraries are loaded; empty (logged) when a symbol is missing. */
  static Optional<WhisperLanguageId> open() {
    try {
      SymbolLookup lookup = SymbolLookup.loaderLookup();
      Linker linker = Linker.nativeLinker();
      MemorySegment map = lookup.find("stateMap").orElseThrow(() -> new IllegalStateException("no stateMap"));
      MethodHandle at = linker.downcallHandle(lookup.find(MAP_AT).orElseThrow(
              () -> new IllegalStateException("no std::map::at for states")),
          FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(ValueLayout.ADDRESS), ValueLayout.ADDRESS,
              ValueLayout.ADDRESS));
      MethodHandle langId = linker.downcallHandle(lookup.find("whisper_full_lang_id_from_state").orElseThrow(
          () -> new IllegalStateException("no whisper_full_lang_id_from_state")),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
      MethodHandle langStr = linker.downcallHandle(lookup.find("whisper_lang_str").orElseThrow(
          () -> new IllegalStateException("no whisper_lang_str")),
          FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
      Field ref = Class.forName("io.github.givimad.whisperjni.WhisperJNI$WhisperJNIPointer").getDeclaredField("ref");
      ref.setAccessible(true);
      return Optional.of(new WhisperFfmLanguageId(map, at, langId, langStr, ref));
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("whisper: the detected language cannot be read from this whisper-jni build ({}); it is reported as '{}'",
          e.getMessage(), Languages.UNDETERMINED);
      return Optional.empty();
    }
  }

  @Override
  public String of(WhisperState state) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, ref.getInt(state));
      MemorySegment slot = (MemorySegment) at.invokeExact(stateMap, key);
      int id = (int) langId.invokeExact(slot.get(ValueLayout.ADDRESS, 0));
      if (id < 0) {
        return Languages.UNDETERMINED;
      }
      MemorySegment code = (MemorySegment) langStr.invokeExact(id);
      return code.equals(MemorySegment.NULL) ? Languages.UNDETERMINED : code.reinterpret(16).getString(0);
    } catch (Throwable e) {
      LOG.debug("whisper: reading the detected language failed", e);
      return Languages.UNDETERMINED;
    }
  }
}
