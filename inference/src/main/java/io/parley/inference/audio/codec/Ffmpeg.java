package io.parley.inference.audio.codec;

import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.swresample;
import org.bytedeco.javacpp.Loader;

/**
 * FFmpeg's libraries through JavaCPP: loaded once per process, with FFmpeg's own log silenced
 * (a bad upload is reported to its sender, not printed on the server's stderr).
 */
final class Ffmpeg {

  /** {@code AVERROR(EAGAIN)} on Linux. */
  static final int AVERROR_EAGAIN = -11;

  private static final Object LOCK = new Object();
  private static String failure; // guarded by LOCK; null once loaded
  private static boolean tried;  // guarded by LOCK

  private Ffmpeg() {}

  /** Loads the libraries, or fails with {@link Reason#UNAVAILABLE} saying why. */
  static void load() {
    synchronized (LOCK) {
      if (!tried) {
        tried = true;
        try {
          Loader.load(avformat.class);
          Loader.load(avcodec.class);
          Loader.load(swresample.class);
          av_log_set_level(AV_LOG_QUIET);
        } catch (LinkageError | RuntimeException e) {
          failure = "FFmpeg could not be loaded on " + System.getProperty("os.name") + "/"
              + System.getProperty("os.arch") + " (the build ships FFmpeg for linux-x86_64 only): " + e;
        }
      }
      if (failure != null) {
        throw new ParleyException(Reason.UNAVAILABLE, failure);
      }
    }
  }

  /** Whether the libraries are loaded (loading them if not yet tried). */
  static boolean available() {
    try {
      load();
      return true;
    } catch (ParleyException e) {
      return false;
    }
  }

  /** FFmpeg's text for an error code. */
  static String error(int code) {
    byte[] text = new byte[256];
    av_strerror(code, text, text.length);
    int n = 0;
    while (n < text.length && text[n] != 0) {
      n++;
    }
    return new String(text, 0, n, java.nio.charset.StandardCharsets.UTF_8);
  }
}
