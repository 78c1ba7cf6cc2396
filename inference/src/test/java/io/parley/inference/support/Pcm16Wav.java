package io.parley.inference.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads 16 kHz mono 16-bit PCM WAV files (RIFF), as espeak-ng + sox and pocketsphinx-testdata write them. */
public final class Pcm16Wav {

  private Pcm16Wav() {}

  /** The samples of a 16 kHz mono PCM16 WAV file, in [-1, 1]. */
  public static float[] read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) {
      throw new IOException(file + ": not a RIFF/WAVE file");
    }
    int pos = 12;
    boolean format = false;
    while (pos + 8 <= b.limit()) {
      int id = b.getInt(pos);
      int size = b.getInt(pos + 4);
      int body = pos + 8;
      if (id == 0x20746d66) { // "fmt "
        int tag = b.getShort(body) & 0xffff;
        int channels = b.getShort(body + 2);
        int rate = b.getInt(body + 4);
        int bits = b.getShort(body + 14);
        if ((tag != 1 && tag != 0xfffe) || channels != 1 || rate != 16_000 || bits != 16) {
          throw new IOException(file + ": need 16 kHz mono PCM16, got format " + tag + ", " + channels + " channels, "
              + rate + " Hz, " + bits + " bits");
        }
        format = true;
      } else if (id == 0x61746164) { // "data"
        if (!format) {
          throw new IOException(file + ": data before fmt");
        }
        int n = Math.min(size, b.limit() - body) / 2;
        float[] samples = new float[n];
        for (int i = 0; i < n; i++) {
          samples[i] = b.getShort(body + 2 * i) / 32768f;
        }
        return samples;
      }
      pos = body + size + (size & 1);
    }
    throw new IOException(file + ": no data chunk");
  }

  /** Samples as signed 16-bit little-endian bytes (what a realtime client sends). */
  public static byte[] toPcm16(float[] samples) {
    ByteBuffer b = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float s : samples) {
      b.putShort((short) Math.max(-32768, Math.min(32767, Math.round(s * 32768f))));
    }
    return b.array();
  }
}
