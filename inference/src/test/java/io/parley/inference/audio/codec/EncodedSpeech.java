package io.parley.inference.audio.codec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real compressed speech for the codec tests: espeak-ng speaks a sentence ({@code -w}), and
 * Debian's encoders turn it into each format OpenAI's transcription endpoint accepts: LAME (mp3),
 * opus-tools (Ogg Opus), vorbis-tools (Ogg Vorbis), flac, and the ffmpeg CLI (m4a/mp4 with AAC,
 * WebM with Opus, MPEG program stream with MP2, WAV in 32-bit float stereo at 44.1 kHz). A missing
 * tool FAILS the test naming its Debian package ({@code ./parley test} installs them).
 *
 * <p>Fixture, not a test: also used by the api module's end-to-end tests and the voice bench.
 */
public final class EncodedSpeech {

  /** One encoded file: its OpenAI-style extension, what it holds, and the path. */
  public record File(String extension, String description, Path path) {
    public byte[] bytes() {
      try {
        return Files.readAllBytes(path);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static final long TIMEOUT_S = 120;

  private EncodedSpeech() {}

  /**
   * espeak-ng's WAV of {@code text} in {@code voice} (an espeak-ng voice such as {@code en-us},
   * {@code es}, {@code fr}, {@code de}): 22.05 kHz PCM16 mono.
   */
  public static Path speak(String text, String voice, Path dir, String name) {
    Path wav = dir.resolve(name + ".wav");
    run(List.of("espeak-ng", "-v", voice, "-s", "150", "-w", wav.toString(), text), "espeak-ng");
    return wav;
  }

  /** {@code source} (a WAV) encoded into every accepted format, keyed by extension. */
  public static Map<String, File> everyFormat(Path source, Path dir) {
    String base = dir.resolve(stem(source)).toString();
    Map<String, File> files = new LinkedHashMap<>();
    files.put("wav", new File("wav", "PCM16 mono 22.05 kHz (espeak-ng)", source));
    files.put("mp3", lame(source, Path.of(base + ".mp3")));
    files.put("mpga", lame(source, Path.of(base + ".mpga")));
    files.put("ogg", new File("ogg", "Opus in Ogg (opusenc)", opusenc(source, Path.of(base + ".ogg"))));
    files.put("oga", new File("oga", "Vorbis in Ogg (oggenc)", encode(List.of("oggenc", "-Q", "-q", "2", "-o",
        base + ".oga", source.toString()), "vorbis-tools", Path.of(base + ".oga"))));
    files.put("flac", new File("flac", "FLAC", encode(List.of("flac", "-s", "-f", "-o", base + ".flac",
        source.toString()), "flac", Path.of(base + ".flac"))));
    files.put("m4a", ffmpeg(source, base + ".m4a", "AAC in MP4 (m4a)", "-c:a", "aac", "-b:a", "48k"));
    files.put("mp4", ffmpeg(source, base + ".mp4", "AAC in MP4", "-c:a", "aac", "-b:a", "48k", "-f", "mp4"));
    files.put("webm", ffmpeg(source, base + ".webm", "Opus in WebM", "-c:a", "libopus", "-b:a", "32k"));
    files.put("mpeg", ffmpeg(source, base + ".mpeg", "MP2 in an MPEG program stream", "-c:a", "mp2", "-b:a",
        "64k", "-f", "mpeg"));
    files.put("f32.wav", ffmpeg(source, base + ".f32.wav", "32-bit float stereo 44.1 kHz WAV", "-c:a", "pcm_f32le",
        "-ar", "44100", "-ac", "2"));
    return files;
  }

  /** Ogg Opus of {@code source} with opus-tools. */
  public static Path opusenc(Path source, Path out) {
    return encode(List.of("opusenc", "--quiet", "--bitrate", "24", source.toString(), out.toString()), "opus-tools",
        out);
  }

  private static File lame(Path source, Path out) {
    return new File(out.getFileName().toString().replaceAll(".*\\.", ""), "MP3 (lame)",
        encode(List.of("lame", "--quiet", "-b", "48", source.toString(), out.toString()), "lame", out));
  }

  private static File ffmpeg(Path source, String out, String description, String... codec) {
    List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-i", source.toString()));
    cmd.addAll(List.of(codec));
    cmd.add(out);
    String name = Path.of(out).getFileName().toString();
    return new File(name.substring(name.indexOf('.') + 1), description, encode(cmd, "ffmpeg", Path.of(out)));
  }

  /** Runs {@code cmd}, which writes {@code out}. */
  public static Path encode(List<String> cmd, String debianPackage, Path out) {
    run(cmd, debianPackage);
    return out;
  }

  /** The duration ffprobe reads from {@code file}'s container, in seconds. */
  public static double probeSeconds(Path file) {
    return Double.parseDouble(run(List.of("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
        "default=noprint_wrappers=1:nokey=1", file.toString()), "ffmpeg").strip());
  }

  /** ffprobe's codec, sample rate and channels of the first audio stream, as "codec rate channels". */
  public static String probeStream(Path file) {
    return run(List.of("ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
        "stream=codec_name,sample_rate,channels", "-of", "default=noprint_wrappers=1:nokey=1", file.toString()),
        "ffmpeg").strip().replace('\n', ' ');
  }

  private static String stem(Path p) {
    String n = p.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot < 0 ? n : n.substring(0, dot);
  }

  /** Runs a tool; a missing one fails naming its Debian package. Returns its standard output. */
  public static String run(List<String> cmd, String debianPackage) {
    Process p;
    Path errors;
    try {
      errors = Files.createTempFile("parley-tool", ".err");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    try {
      p = new ProcessBuilder(cmd).redirectError(errors.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError("'" + cmd.getFirst() + "' not found: install Debian package " + debianPackage
          + " (./parley test installs it)", e);
    }
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(cmd + " did not finish in " + TIMEOUT_S + " s");
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(cmd + " failed with exit code " + p.exitValue() + ": " + Files.readString(errors));
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      try {
        Files.deleteIfExists(errors);
      } catch (IOException ignored) {
        // a temporary file
      }
    }
  }
}
