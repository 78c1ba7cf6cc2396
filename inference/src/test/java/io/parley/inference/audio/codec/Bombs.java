package io.parley.inference.audio.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Decompression-bomb-like inputs: small files that declare or decode to far more audio than a
 * transcription should take.
 */
public final class Bombs {

  private Bombs() {}

  /**
   * Three seconds of Ogg Opus whose last page's granule position is rewritten (with its CRC) to
   * say three hours: FFmpeg reads the duration from it, so the file declares hours in 20 KB.
   */
  public static byte[] oggDeclaringHours(Path dir) {
    Path ogg = dir.resolve("declaring.ogg");
    EncodedSpeech.run(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "sine=f=440:r=48000", "-t", "3", "-c:a", "libopus", "-b:a", "24k", ogg.toString()), "ffmpeg");
    byte[] bytes = read(ogg);
    int last = lastIndexOf(bytes, "OggS");
    int segments = bytes[last + 26] & 0xff;
    int length = 27 + segments;
    for (int i = 0; i < segments; i++) {
      length += bytes[last + 27 + i] & 0xff;
    }
    ByteBuffer page = ByteBuffer.wrap(bytes, last, length).order(ByteOrder.LITTLE_ENDIAN);
    page.putLong(last + 6, 48_000L * 3 * 3600); // granule position: samples at 48 kHz
    page.putInt(last + 22, 0);
    page.putInt(last + 22, oggCrc(bytes, last, length));
    return bytes;
  }

  /** The Ogg page checksum: CRC-32 with polynomial 0x04c11db7, not reflected, initial value 0. */
  static int oggCrc(byte[] b, int from, int length) {
    int crc = 0;
    for (int i = from; i < from + length; i++) {
      crc ^= (b[i] & 0xff) << 24;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 0x8000_0000) != 0 ? (crc << 1) ^ 0x04c1_1db7 : crc << 1;
      }
    }
    return crc;
  }

  /**
   * An MP3 without a Xing header whose first second is at 160 kbit/s and the next ten minutes of
   * silence at 8 kbit/s: FFmpeg estimates its duration from the first frames' bit rate (~56 s),
   * but it decodes to 601 s. Under a 60 s limit, only the decoding itself can find it too long.
   */
  public static Path mp3UnderstatingItsLength(Path dir) {
    Path a = dir.resolve("loud.mp3");
    Path b = dir.resolve("quiet.mp3");
    Path out = dir.resolve("understating.mp3");
    EncodedSpeech.run(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "sine=f=440:r=16000", "-t", "1", "-c:a", "libmp3lame", "-b:a", "160k", "-write_xing", "0", "-id3v2_version", "0",
        "-f", "mp3", a.toString()), "ffmpeg");
    EncodedSpeech.run(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "anullsrc=r=16000:cl=mono", "-t", "600", "-c:a", "libmp3lame", "-b:a", "8k", "-write_xing", "0",
        "-id3v2_version", "0", "-f", "mp3", b.toString()), "ffmpeg");
    try {
      Files.write(out, concat(read(a), read(b)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Bytes that are no audio format at all (a fixed pseudo-random sequence). */
  public static byte[] garbage(int length, long seed) {
    byte[] bytes = new byte[length];
    new java.util.SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static int lastIndexOf(byte[] bytes, String tag) {
    byte[] t = tag.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    outer:
    for (int i = bytes.length - t.length; i >= 0; i--) {
      for (int j = 0; j < t.length; j++) {
        if (bytes[i + j] != t[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("no " + tag);
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
