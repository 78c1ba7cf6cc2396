package io.parley.inference.vad;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Re-frames audio that arrives in chunks of any size (clients send whatever their audio stack
 * produces: 20 ms, 100 ms, 4,096 bytes, an odd number of bytes) into frames of exactly
 * {@link VoiceActivityModel#FRAME_SAMPLES} samples, losing none: samples short of a whole frame
 * wait for the next chunk, and so does the first byte of a PCM16 sample split across two chunks.
 * One instance per stream, fed from one thread at a time.
 *
 * <p>Every frame handed out is a new array the receiver may keep.
 */
public final class FrameAccumulator {

  private static final float PCM16_SCALE = 1f / 32768f;

  private final int frameSamples;
  private float[] pending;
  private int fill;
  /** The low byte of a PCM16 sample whose high byte has not arrived, or -1. */
  private int heldByte = -1;
  private long samples;

  /** Frames of {@link VoiceActivityModel#FRAME_SAMPLES}. */
  public FrameAccumulator() {
    this(VoiceActivityModel.FRAME_SAMPLES);
  }

  public FrameAccumulator(int frameSamples) {
    if (frameSamples < 1) {
      throw new IllegalArgumentException("frameSamples must be positive, got " + frameSamples);
    }
    this.frameSamples = frameSamples;
    this.pending = new float[frameSamples];
  }

  /** Samples accepted so far (whole PCM16 samples only). */
  public long samples() {
    return samples;
  }

  /** Samples waiting for a frame to fill. */
  public int pending() {
    return fill;
  }

  /** Feeds samples in [-1, 1]; whole frames go to {@code frames}, in order. */
  public void accept(float[] chunk, int offset, int length, Consumer<float[]> frames) {
    Objects.checkFromIndexSize(offset, length, chunk.length);
    int i = offset;
    int stop = offset + length;
    while (i < stop) {
      int run = Math.min(stop - i, frameSamples - fill);
      System.arraycopy(chunk, i, pending, fill, run);
      fill += run;
      i += run;
      samples += run;
      emitIfFull(frames);
    }
  }

  public void accept(float[] chunk, Consumer<float[]> frames) {
    accept(chunk, 0, chunk.length, frames);
  }

  /**
   * Feeds signed 16-bit little-endian PCM (the OpenAI Realtime {@code pcm16} format); a trailing
   * odd byte is held for the next chunk.
   */
  public void acceptPcm16(byte[] chunk, int offset, int length, Consumer<float[]> frames) {
    Objects.checkFromIndexSize(offset, length, chunk.length);
    int i = offset;
    int stop = offset + length;
    if (heldByte >= 0 && i < stop) {
      put((short) (heldByte | (chunk[i++] << 8)) * PCM16_SCALE, frames);
      heldByte = -1;
    }
    for (; i + 1 < stop; i += 2) {
      put((short) ((chunk[i] & 0xff) | (chunk[i + 1] << 8)) * PCM16_SCALE, frames);
    }
    if (i < stop) {
      heldByte = chunk[i] & 0xff;
    }
  }

  public void acceptPcm16(byte[] chunk, Consumer<float[]> frames) {
    acceptPcm16(chunk, 0, chunk.length, frames);
  }

  /**
   * Hands out the samples short of a whole frame as a last frame padded with zeros (end of
   * stream, or a commit); returns how many real samples it held (0: nothing was handed out).
   * A held odd byte is dropped: half a sample is no sample.
   */
  public int flush(Consumer<float[]> frames) {
    heldByte = -1;
    int real = fill;
    if (fill > 0) {
      Arrays.fill(pending, fill, frameSamples, 0f);
      fill = frameSamples;
      emitIfFull(frames);
    }
    return real;
  }

  private void put(float sample, Consumer<float[]> frames) {
    pending[fill++] = sample;
    samples++;
    emitIfFull(frames);
  }

  private void emitIfFull(Consumer<float[]> frames) {
    if (fill == frameSamples) {
      float[] frame = pending;
      pending = new float[frameSamples];
      fill = 0;
      frames.accept(frame);
    }
  }
}
