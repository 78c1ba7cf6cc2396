package io.parley.inference.bench;

import io.parley.inference.audio.codec.AudioDecoder;
import io.parley.inference.audio.codec.CodecOptions;
import io.parley.inference.audio.codec.EncodedSpeech;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decode cost per minute of audio for each format the transcription endpoint accepts: CPU
 * milliseconds {@link AudioDecoder} spends (FFmpeg through JavaCPP, from memory, to 16 kHz mono
 * float) per minute of audio, beside the {@code ffmpeg} CLI decoding the same file to the same
 * 16 kHz mono float ({@code -threads 1}, its own {@code -benchmark} user + system time, so its
 * start-up and probing count too). Medians of {@code rounds} runs after a warm-up, on one minute
 * of espeak-ng speech encoded by Debian's tools as the tests encode it. Prints one JSON line.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp inference/target/test-classes:inference/target/classes:... \
 *   io.parley.inference.bench.DecodeBench [ROUNDS]
 * </pre>
 */
public final class DecodeBench {

  private static final int WARMUP = 2;
  private static final int SECONDS = 60;
  private static final Pattern BENCH = Pattern.compile("utime=([0-9.]+)s stime=([0-9.]+)s");
  private static final String TEXT = "Please log my breakfast: two eggs, a slice of wholemeal toast and a cup of"
      + " black coffee. Then remind me to drink a glass of water before lunch, and book a call with my"
      + " nutritionist for tomorrow morning at nine.";

  private DecodeBench() {}

  public static void main(String[] args) throws IOException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    if (rounds < 5) {
      throw new IllegalArgumentException("rounds must be >= 5 (medians of at least 5)");
    }
    Path work = Files.createTempDirectory("decode-bench");
    try {
      Path sentence = EncodedSpeech.speak(TEXT, "en-us", work, "sentence");
      Path minute = EncodedSpeech.encode(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-stream_loop",
          "-1", "-i", sentence.toString(), "-t", Integer.toString(SECONDS), "-c:a", "pcm_s16le",
          work.resolve("minute.wav").toString()), "ffmpeg", work.resolve("minute.wav"));
      Map<String, EncodedSpeech.File> files = EncodedSpeech.everyFormat(minute, work);
      files.remove("mpga"); // the same MP3 under another name
      files.remove("mp4");  // the same AAC in MP4 as m4a
      AudioDecoder decoder = new AudioDecoder(new CodecOptions(Duration.ofSeconds(3600)));
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      StringBuilder json = new StringBuilder("{\"seconds\":" + SECONDS + ",\"rounds\":" + rounds + ",\"formats\":{");
      boolean first = true;
      for (EncodedSpeech.File f : files.values()) {
        byte[] bytes = f.bytes();
        double seconds = decoder.decode(bytes).seconds();
        double[] ours = new double[rounds];
        double[] peer = new double[rounds];
        for (int i = -WARMUP; i < rounds; i++) {
          long cpu = threads.getCurrentThreadCpuTime();
          decoder.decode(bytes);
          double ms = (threads.getCurrentThreadCpuTime() - cpu) / 1e6;
          double peerMs = ffmpegCpuMs(f.path());
          if (i >= 0) {
            ours[i] = ms * 60 / seconds;
            peer[i] = peerMs * 60 / seconds;
          }
        }
        double o = median(ours);
        double p = median(peer);
        json.append(first ? "" : ",").append(String.format(Locale.ROOT,
            "\"%s\":{\"description\":\"%s\",\"bytes\":%d,\"parley_ms_per_min\":%.1f,\"ffmpeg_ms_per_min\":%.1f,"
                + "\"ratio\":%.2f}", f.extension(), f.description(), bytes.length, o, p, o / p));
        first = false;
      }
      System.out.println(json.append("}}"));
    } finally {
      try (var walk = Files.walk(work)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The CPU time (user + system) the ffmpeg CLI reports for decoding {@code file} as the server does. */
  private static double ffmpegCpuMs(Path file) throws IOException {
    Process p = new ProcessBuilder("ffmpeg", "-nostdin", "-hide_banner", "-benchmark", "-threads", "1", "-i",
        file.toString(), "-ac", "1", "-ar", "16000", "-f", "f32le", "-y", "/dev/null").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    try {
      if (p.waitFor() != 0) {
        throw new IOException("ffmpeg failed on " + file + ": " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    Matcher m = BENCH.matcher(out);
    if (!m.find()) {
      throw new IOException("no -benchmark line from ffmpeg: " + out);
    }
    return (Double.parseDouble(m.group(1)) + Double.parseDouble(m.group(2))) * 1000;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
