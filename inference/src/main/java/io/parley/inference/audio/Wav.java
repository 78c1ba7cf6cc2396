package io.parley.inference.audio;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * RIFF/WAVE files of 16-bit linear PCM: a strict reader (mono or stereo, any rate from
 * {@value #MIN_SAMPLE_RATE} to {@value #MAX_SAMPLE_RATE} Hz) and a writer of mono files.
 *
 * <p>The format: Microsoft/IBM "Multimedia Programming Interface and Data Specifications 1.0"
 * (1991), RIFF chunks; {@code WAVE_FORMAT_EXTENSIBLE} from Microsoft's "Multiple Channel Audio
 * Data and WAVE Files" (2001). See <a href="http://soundfile.sapp.org/doc/WaveFormat/">the
 * canonical WAVE layout</a>.
 *
 * <p>The reader trusts no declared size: a size that runs past the end of the file, a data chunk
 * that is not a whole number of sample frames, a missing, repeated or misplaced {@code fmt } or
 * {@code data} chunk, or a format other than PCM16 mono/stereo is a {@link ParleyException} with
 * reason {@link Reason#INVALID} whose message names the problem; audio larger than
 * {@link #MAX_DATA_BYTES} is {@link Reason#LIMITED}.
 */
public final class Wav {

  /** The RIFF header ({@code RIFF}, size, {@code WAVE}). */
  public static final int RIFF_HEADER_BYTES = 12;
  /** A chunk header: four-character id and 32-bit little-endian size. */
  public static final int CHUNK_HEADER_BYTES = 8;
  /** The smallest {@code fmt } chunk: the PCM {@code WAVEFORMAT} fields. */
  public static final int MIN_FMT_BYTES = 16;
  /** The {@code fmt } chunk of {@code WAVE_FORMAT_EXTENSIBLE}. */
  public static final int EXTENSIBLE_FMT_BYTES = 40;
  /** Header bytes of the files {@link #write} produces. */
  public static final int CANONICAL_HEADER_BYTES = RIFF_HEADER_BYTES + CHUNK_HEADER_BYTES + MIN_FMT_BYTES
      + CHUNK_HEADER_BYTES;
  /** Largest audio payload read or written: 256 MiB (about 46 minutes of 48 kHz stereo). */
  public static final int MAX_DATA_BYTES = 256 * 1024 * 1024;
  public static final int MIN_SAMPLE_RATE = 1_000;
  public static final int MAX_SAMPLE_RATE = 384_000;
  public static final int MAX_CHANNELS = 2;

  static final int FORMAT_PCM = 0x0001;
  static final int FORMAT_EXTENSIBLE = 0xFFFE;
  private static final int BITS_PER_SAMPLE = 16;

  private Wav() {}

  /**
   * Decoded audio: interleaved PCM16 samples ({@code samples.length} is a multiple of
   * {@code channels}).
   */
  public record Audio(int sampleRate, int channels, short[] samples) {
    public Audio {
      if (channels < 1 || channels > MAX_CHANNELS) {
        throw new IllegalArgumentException("channels must be 1 or 2, not " + channels);
      }
      if (samples.length % channels != 0) {
        throw new IllegalArgumentException(samples.length + " samples do not divide into " + channels + " channels");
      }
    }

    /** Sample frames (samples per channel). */
    public int frames() {
      return samples.length / channels;
    }

    /** Duration in seconds. */
    public double seconds() {
      return frames() / (double) sampleRate;
    }

    /** The audio as one channel: stereo is averaged. */
    public short[] mono() {
      if (channels == 1) {
        return samples.clone();
      }
      short[] out = new short[frames()];
      for (int i = 0; i < out.length; i++) {
        out[i] = (short) ((samples[2 * i] + samples[2 * i + 1]) >> 1);
      }
      return out;
    }
  }

  /** Reads a whole WAVE file. */
  public static Audio read(byte[] file) {
    ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    if (file.length < RIFF_HEADER_BYTES) {
      throw invalid("shorter than the " + RIFF_HEADER_BYTES + "-byte RIFF header (" + file.length + " bytes)");
    }
    if (!"RIFF".equals(fourCc(in, 0))) {
      throw invalid("not a RIFF file (starts with " + printable(fourCc(in, 0)) + ")");
    }
    long riffSize = Integer.toUnsignedLong(in.getInt(4));
    if (!"WAVE".equals(fourCc(in, 8))) {
      throw invalid("RIFF form " + printable(fourCc(in, 8)) + ", not WAVE");
    }
    if (riffSize < 4 || riffSize + CHUNK_HEADER_BYTES > file.length) {
      throw invalid("RIFF size " + riffSize + " does not fit the file's " + file.length + " bytes");
    }
    long end = riffSize + CHUNK_HEADER_BYTES; // bytes after the RIFF chunk are ignored

    Format format = null;
    long position = RIFF_HEADER_BYTES;
    while (position + CHUNK_HEADER_BYTES <= end) {
      String id = fourCc(in, (int) position);
      long size = Integer.toUnsignedLong(in.getInt((int) position + 4));
      long body = position + CHUNK_HEADER_BYTES;
      if (size > end - body) {
        throw invalid("chunk " + printable(id) + " at byte " + position + " declares " + size + " bytes, only "
            + (end - body) + " remain");
      }
      switch (id) {
        case "fmt " -> {
          if (format != null) {
            throw invalid("second fmt chunk at byte " + position);
          }
          format = format(in, (int) body, (int) size);
        }
        case "data" -> {
          if (format == null) {
            throw invalid("data chunk before the fmt chunk");
          }
          return data(in, format, (int) body, size);
        }
        default -> { } // LIST, fact, cue ... carry no samples
      }
      position = body + size + (size & 1); // chunks are padded to an even size
    }
    throw invalid(format == null ? "no fmt chunk" : "no data chunk");
  }

  /** Writes mono PCM16 samples as a canonical 44-byte-header WAVE file. */
  public static byte[] write(short[] samples, int sampleRate) {
    checkRate(sampleRate);
    long dataBytes = (long) samples.length * Pcm.BYTES_PER_SAMPLE;
    if (dataBytes > MAX_DATA_BYTES) {
      throw new ParleyException(Reason.LIMITED,
          "WAV: " + dataBytes + " bytes of audio exceed the limit of " + MAX_DATA_BYTES);
    }
    ByteBuffer out = ByteBuffer.allocate(CANONICAL_HEADER_BYTES + (int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    out.put("RIFF".getBytes(StandardCharsets.US_ASCII));
    out.putInt(CANONICAL_HEADER_BYTES - CHUNK_HEADER_BYTES + (int) dataBytes);
    out.put("WAVE".getBytes(StandardCharsets.US_ASCII));
    out.put("fmt ".getBytes(StandardCharsets.US_ASCII));
    out.putInt(MIN_FMT_BYTES);
    out.putShort((short) FORMAT_PCM);
    out.putShort((short) 1);
    out.putInt(sampleRate);
    out.putInt(sampleRate * Pcm.BYTES_PER_SAMPLE);
    out.putShort((short) Pcm.BYTES_PER_SAMPLE);
    out.putShort((short) BITS_PER_SAMPLE);
    out.put("data".getBytes(StandardCharsets.US_ASCII));
    out.putInt((int) dataBytes);
    out.put(Pcm.toLittleEndian(samples));
    return out.array();
  }

  private record Format(int channels, int sampleRate) {}

  private static Format format(ByteBuffer in, int at, int size) {
    if (size < MIN_FMT_BYTES) {
      throw invalid("fmt chunk of " + size + " bytes, at least " + MIN_FMT_BYTES + " expected");
    }
    int tag = Short.toUnsignedInt(in.getShort(at));
    int channels = Short.toUnsignedInt(in.getShort(at + 2));
    long sampleRate = Integer.toUnsignedLong(in.getInt(at + 4));
    long byteRate = Integer.toUnsignedLong(in.getInt(at + 8));
    int blockAlign = Short.toUnsignedInt(in.getShort(at + 12));
    int bits = Short.toUnsignedInt(in.getShort(at + 14));
    if (tag == FORMAT_EXTENSIBLE) {
      if (size < EXTENSIBLE_FMT_BYTES) {
        throw invalid("WAVE_FORMAT_EXTENSIBLE fmt chunk of " + size + " bytes, " + EXTENSIBLE_FMT_BYTES + " expected");
      }
      int subFormat = Short.toUnsignedInt(in.getShort(at + 24)); // first two bytes of the sub-format GUID
      if (subFormat != FORMAT_PCM) {
        throw invalid("WAVE_FORMAT_EXTENSIBLE with sub-format 0x" + Integer.toHexString(subFormat)
            + ", only PCM (1) is supported");
      }
    } else if (tag != FORMAT_PCM) {
      throw invalid("format tag 0x" + Integer.toHexString(tag) + ", only PCM (1) is supported");
    }
    if (bits != BITS_PER_SAMPLE) {
      throw invalid(bits + " bits per sample, only 16 is supported");
    }
    if (channels < 1 || channels > MAX_CHANNELS) {
      throw invalid(channels + " channels, only mono or stereo is supported");
    }
    if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
      throw invalid("sample rate " + sampleRate + " Hz outside [" + MIN_SAMPLE_RATE + ", " + MAX_SAMPLE_RATE + "]");
    }
    if (blockAlign != channels * Pcm.BYTES_PER_SAMPLE) {
      throw invalid("block align " + blockAlign + ", " + channels * Pcm.BYTES_PER_SAMPLE + " expected");
    }
    if (byteRate != sampleRate * blockAlign) {
      throw invalid("byte rate " + byteRate + ", " + sampleRate * blockAlign + " expected");
    }
    return new Format(channels, (int) sampleRate);
  }

  private static Audio data(ByteBuffer in, Format format, int at, long size) {
    if (size > MAX_DATA_BYTES) {
      throw new ParleyException(Reason.LIMITED,
          "WAV: data chunk of " + size + " bytes exceeds the limit of " + MAX_DATA_BYTES);
    }
    int frameBytes = format.channels() * Pcm.BYTES_PER_SAMPLE;
    if (size % frameBytes != 0) {
      throw invalid("data chunk of " + size + " bytes is not a whole number of " + frameBytes + "-byte frames");
    }
    short[] samples = Pcm.fromLittleEndian(in.array(), at, (int) size);
    return new Audio(format.sampleRate(), format.channels(), samples);
  }

  private static void checkRate(int sampleRate) {
    if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
      throw new IllegalArgumentException(
          "WAV: sample rate " + sampleRate + " Hz outside [" + MIN_SAMPLE_RATE + ", " + MAX_SAMPLE_RATE + "]");
    }
  }

  private static String fourCc(ByteBuffer in, int at) {
    byte[] id = new byte[4];
    in.get(at, id);
    return new String(id, StandardCharsets.ISO_8859_1);
  }

  private static String printable(String fourCc) {
    StringBuilder s = new StringBuilder("'");
    for (char c : fourCc.toCharArray()) {
      s.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    }
    return s.append('\'').toString();
  }

  private static ParleyException invalid(String problem) {
    return new ParleyException(Reason.INVALID, "WAV: " + problem);
  }
}
