package io.parley.inference.llm;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.LogLevel;
import de.kherud.llama.args.LogFormat;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads java-llama.cpp's native library once per JVM, safely.
 *
 * <p>The library extracts {@code libjllama.so} into {@code de.kherud.llama.tmpdir} (default
 * {@code java.io.tmpdir}, so a fixed {@code /tmp/libjllama.so}), overwriting the file in place, and
 * first deletes every file there whose name starts with {@code llama} or {@code jllama}: two JVMs (or
 * forked test JVMs) starting together overwrite a library the other has mapped, and one can delete
 * the other's files. Unless the operator set {@code de.kherud.llama.tmpdir} or
 * {@code de.kherud.llama.lib.path}, each JVM gets its own fresh directory, removed at exit.
 *
 * <p>llama.cpp's log goes to SLF4J (logger {@code io.parley.inference.llm.llama}), at debug except
 * warnings and errors. The callback only runs on threads llama.cpp attached to the JVM (the loading
 * thread and the server loop), which is where this version logs from.
 */
final class LlamaNatives {

  private static final Logger NATIVE_LOG = LoggerFactory.getLogger("io.parley.inference.llm.llama");
  private static final Object LOCK = new Object();
  private static boolean loaded;

  private LlamaNatives() {}

  /** Makes sure the native library is loaded; idempotent and thread-safe. */
  static void load() {
    synchronized (LOCK) {
      if (loaded) {
        return;
      }
      if (System.getProperty("de.kherud.llama.tmpdir") == null
          && System.getProperty("de.kherud.llama.lib.path") == null) {
        try {
          Path dir = Files.createTempDirectory("parley-jllama-");
          dir.toFile().deleteOnExit(); // registered first, so deleted after the library file
          System.setProperty("de.kherud.llama.tmpdir", dir.toString());
        } catch (IOException e) {
          throw new ParleyException(Reason.UNAVAILABLE,
              "llama.cpp: cannot create a private directory for its native library: " + e.getMessage(), e);
        }
      }
      try {
        // Class initialisation of LlamaModel extracts and loads the library.
        LlamaModel.setLogger(LogFormat.TEXT, LlamaNatives::log);
      } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
        throw new ParleyException(Reason.UNAVAILABLE,
            "llama.cpp native library (de.kherud:llama) could not be loaded: " + e, e);
      }
      loaded = true;
    }
  }

  private static void log(LogLevel level, String message) {
    String m = message.stripTrailing();
    if (m.isEmpty()) {
      return;
    }
    switch (level) {
      case ERROR -> NATIVE_LOG.error(m);
      case WARN -> NATIVE_LOG.warn(m);
      default -> NATIVE_LOG.debug(m);
    }
  }
}
