package io.parley.inference.audio;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds WAVE files chunk by chunk, including wrong ones. */
final class WavFixture {

  private final ByteArrayOutputStream chunks = new ByteArrayOutputStream();
  private Long riffSize;

  static WavFixture wave() {
    return new WavFixture();
  }

  static byte[] fmt(int tag, int channels, int rate, int byteRate, int blockAlign, int bits) {
    return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putShort((short) tag).putShort((short) channels)
        .putInt(rate).putInt(byteRate).putShort((short) blockAlign).putShort((short) bits).array();
  }

  static byte[] pcmFmt(int channels, int rate) {
    return fmt(1, channels, rate, rate * channels * 2, channels * 2, 16);
  }

  static byte[] extensibleFmt(int channels, int rate, int subFormat) {
    ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
    b.put(fmt(0xFFFE, channels, rate, rate * channels * 2, channels * 2, 16));
    b.putShort((short) 22).putShort((short) 16).putInt(channels == 1 ? 4 : 3);
    b.putShort((short) subFormat).put(new byte[] {0, 0, 0, 0, 0x10, 0, (byte) 0x80, 0, 0, (byte) 0xAA, 0, 0x38,
        (byte) 0x9B, 0x71});
    return b.array();
  }

  WavFixture chunk(String id, byte[] body) {
    return chunk(id, body.length, body);
  }

  /** A chunk whose declared size may lie. */
  WavFixture chunk(String id, long declaredSize, byte[] body) {
    chunks.writeBytes(id.getBytes(StandardCharsets.US_ASCII));
    chunks.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) declaredSize).array());
    chunks.writeBytes(body);
    if (body.length % 2 == 1 && declaredSize == body.length) {
      chunks.write(0);
    }
    return this;
  }

  WavFixture riffSize(long size) {
    this.riffSize = size;
    return this;
  }

  byte[] bytes() {
    byte[] body = chunks.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(12 + body.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII));
    b.putInt((int) (riffSize != null ? riffSize : 4 + body.length));
    b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
    b.put(body);
    return b.array();
  }

  private WavFixture() {}
}
