package io.parley.api.meals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JPEG decoding with libjpeg-turbo's TurboJPEG API (Debian's {@code libturbojpeg0}), called through
 * the JDK's foreign function API: no JNI glue to build. It is several times faster than the JDK's
 * own decoder (SIMD, and scaling inside the inverse DCT: a photo decoded at 1/2 or 1/4 costs a
 * fraction of a full decode, where the JDK's reader decodes everything and then drops pixels).
 * Where the library is absent, {@link #load()} is empty and callers use the JDK's decoder.
 *
 * <p>Compiled for Java 22 (the API's first final release) apart from the rest of the module, which
 * builds for 21; {@link NativeJpeg} loads it by name on a JDK that has the API.
 *
 * <p>Each call opens its own TurboJPEG handle (they are not thread-safe; opening one costs
 * microseconds) and its own native memory, released before it returns. Decoder warnings (corrupt
 * or truncated data) are errors ({@code TJFLAG_STOPONWARNING}), as they are for the JDK's decoder here.
 */
final class TurboJpeg implements NativeJpeg {

  private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);

  /** Where Debian-like systems install the library (the loader's own search path is tried first). */
  private static final List<String> CANDIDATES = List.of("libturbojpeg.so.0", "/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0",
      "/usr/lib/aarch64-linux-gnu/libturbojpeg.so.0", "/usr/lib64/libturbojpeg.so.0", "/usr/lib/libturbojpeg.so.0");

  private static final int TJPF_RGB = 0;
  private static final int TJFLAG_STOPONWARNING = 8192;

  private final MethodHandle init;
  private final MethodHandle decompress;
  private final MethodHandle destroy;
  private final MethodHandle errorString;

  private TurboJpeg(SymbolLookup lib) {
    Linker linker = Linker.nativeLinker();
    var ptr = ValueLayout.ADDRESS;
    var i32 = ValueLayout.JAVA_INT;
    var u64 = ValueLayout.JAVA_LONG;
    init = linker.downcallHandle(lib.find("tjInitDecompress").orElseThrow(), FunctionDescriptor.of(ptr));
    decompress = linker.downcallHandle(lib.find("tjDecompress2").orElseThrow(),
        FunctionDescriptor.of(i32, ptr, ptr, u64, ptr, i32, i32, i32, i32, i32));
    destroy = linker.downcallHandle(lib.find("tjDestroy").orElseThrow(), FunctionDescriptor.of(i32, ptr));
    errorString = linker.downcallHandle(lib.find("tjGetErrorStr2").orElseThrow(), FunctionDescriptor.of(ptr, ptr));
  }

  /** The library, when this system has it (called once, by {@link NativeJpeg}). */
  static Optional<NativeJpeg> load() {
    for (String name : CANDIDATES) {
      if (name.startsWith("/") && !Files.exists(Path.of(name))) {
        continue;
      }
      try {
        NativeJpeg t = new TurboJpeg(SymbolLookup.libraryLookup(name, Arena.global()));
        LOG.debug("vision: JPEG decoding with libjpeg-turbo ({})", name);
        return Optional.of(t);
      } catch (IllegalArgumentException | IllegalCallerException | java.util.NoSuchElementException e) {
        LOG.trace("vision: no TurboJPEG at {}: {}", name, e.toString());
      }
    }
    LOG.info("vision: libjpeg-turbo (libturbojpeg0) not found; JPEG photos are decoded by the JDK's slower decoder");
    return Optional.empty();
  }

  @Override
  public Pixels decode(byte[] jpeg, int width, int height, int denominator) throws JpegException {
    if (denominator != 1 && denominator != 2 && denominator != 4 && denominator != 8) {
      throw new IllegalArgumentException("scale 1/" + denominator + " is not one the decoder offers");
    }
    int w = (width + denominator - 1) / denominator;
    int h = (height + denominator - 1) / denominator;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment handle = open();
      try {
        MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_BYTE, jpeg);
        MemorySegment dst = arena.allocate((long) w * h * 3);
        int rc = (int) decompress.invokeExact(handle, src, (long) jpeg.length, dst, w, w * 3, h, TJPF_RGB,
            TJFLAG_STOPONWARNING);
        if (rc != 0) {
          throw new JpegException(error(handle));
        }
        return new Pixels(w, h, dst.toArray(ValueLayout.JAVA_BYTE));
      } finally {
        close(handle);
      }
    } catch (JpegException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("libjpeg-turbo call failed", t);
    }
  }

  private MemorySegment open() throws Throwable {
    MemorySegment handle = (MemorySegment) init.invokeExact();
    if (handle.address() == 0) {
      throw new IllegalStateException("tjInitDecompress failed");
    }
    return handle;
  }

  private void close(MemorySegment handle) throws Throwable {
    int ignored = (int) destroy.invokeExact(handle);
  }

  private String error(MemorySegment handle) throws Throwable {
    MemorySegment s = (MemorySegment) errorString.invokeExact(handle);
    return s.address() == 0 ? "unknown libjpeg-turbo error" : s.reinterpret(1024).getString(0);
  }
}
