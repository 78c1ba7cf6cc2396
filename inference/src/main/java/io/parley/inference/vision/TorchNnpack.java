package io.parley.inference.vision;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch's NNPACK switch ({@code at::globalContext().setUserEnabledNNPACK}, what Python's
 * {@code torch.backends.nnpack.set_flags} calls), reached through the libtorch that DJL loaded.
 *
 * <p>Why it is turned off: for every convolution, libtorch asks whether NNPACK is available before it
 * looks at the batch size, and on a CPU NNPACK does not support it logs {@code Could not initialize
 * NNPACK! Reason: Unsupported hardware.} each time (~30 lines around the banner as the detector
 * warms up). NNPACK would only run batches of 16 or more images, and the detectors batch at most
 * {@code PARLEY_VISION_MAX_BATCH} (8 by default), so at the default switching it off changes no
 * computation; larger batches take libtorch's other CPU kernels.
 */
final class TorchNnpack {

  private static final Logger LOG = LoggerFactory.getLogger(TorchNnpack.class);
  /** The Itanium C++ ABI names (GCC, clang); a member function takes {@code this} first. */
  private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
  private static final String SET_ENABLED = "_ZN2at7Context20setUserEnabledNNPACKEb";
  private static final String ENABLED = "_ZNK2at7Context17userEnabledNNPACKEv";

  private TorchNnpack() {}

  /**
   * Turns NNPACK off in the libtorch loaded by the PyTorch engine (call after the engine loads,
   * before its first convolution). A libtorch without these symbols is left as it is.
   */
  static void disable() {
    Optional<NativeLibrary> torch = loadedLibtorch();
    if (torch.isEmpty()) {
      LOG.debug("vision: libtorch_cpu is not among this process's libraries; NNPACK left as it is");
      return;
    }
    try {
      Pointer context = torch.get().getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
      torch.get().getFunction(SET_ENABLED).invokeVoid(new Object[] {context, Boolean.FALSE});
    } catch (UnsatisfiedLinkError e) {
      LOG.debug("vision: libtorch has no NNPACK switch ({}); left as it is", e.getMessage());
    }
  }

  /** Whether libtorch would consider NNPACK for a convolution (the engine must be loaded). */
  static boolean enabled() {
    NativeLibrary torch = loadedLibtorch().orElseThrow(() -> new IllegalStateException("libtorch_cpu is not loaded"));
    Pointer context = torch.getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
    // A C++ bool comes back in the low byte of the register; the rest is not defined.
    return (torch.getFunction(ENABLED).invokeInt(new Object[] {context}) & 0xFF) != 0;
  }

  /**
   * The libtorch_cpu that DJL loaded (from its cache directory, by absolute path), opened again by
   * that path: the loader hands back the same library, hence the same global context.
   */
  private static Optional<NativeLibrary> loadedLibtorch() {
    try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.map(l -> l.substring(l.lastIndexOf(' ') + 1))
          .filter(p -> p.endsWith("/libtorch_cpu.so"))
          .findFirst()
          .map(NativeLibrary::getInstance);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

}
