package io.parley.inference.vad;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.inference.support.Pcm16Wav;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Re-framing: chunks of any size in, 512-sample frames out, no sample lost, duplicated or moved. */
class FrameAccumulatorTest {

  private static final int F = VoiceActivityModel.FRAME_SAMPLES;

  @Test
  void pcm16ChunksOfOddAndRandomByteCountsBecomeExactFrames() {
    float[] audio = ramp(10 * F + 123);
    byte[] pcm = Pcm16Wav.toPcm16(audio);
    // Odd sizes split samples between chunks; 1 byte and larger-than-a-frame chunks too.
    for (int[] sizes : List.of(new int[] {1}, new int[] {3}, new int[] {1_111}, new int[] {4_097}, randomSizes())) {
      FrameAccumulator acc = new FrameAccumulator();
      List<float[]> frames = new ArrayList<>();
      int at = 0;
      for (int i = 0; at < pcm.length; i++) {
        int n = Math.min(sizes[i % sizes.length], pcm.length - at);
        acc.acceptPcm16(pcm, at, n, frames::add);
        at += n;
      }
      assertThat(frames).hasSize(10);
      assertThat(acc.pending()).isEqualTo(123);
      assertThat(acc.samples()).isEqualTo(audio.length);
      assertThat(acc.flush(frames::add)).isEqualTo(123);
      assertThat(frames).hasSize(11).allSatisfy(f -> assertThat(f).hasSize(F));
      for (int i = 0; i < audio.length; i++) {
        assertThat(frames.get(i / F)[i % F]).as("sample %d", i).isEqualTo(quantised(audio[i]));
      }
      for (int i = audio.length; i < 11 * F; i++) {
        assertThat(frames.get(10)[i % F]).isZero(); // padding of the last frame
      }
    }
  }

  @Test
  void floatChunksAndTheLittleEndianSignConvention() {
    FrameAccumulator acc = new FrameAccumulator(4);
    List<float[]> frames = new ArrayList<>();
    acc.accept(new float[] {0.1f, 0.2f, 0.3f}, frames::add);
    acc.accept(new float[] {0.4f, 0.5f}, frames::add);
    assertThat(frames).containsExactly(new float[] {0.1f, 0.2f, 0.3f, 0.4f});
    assertThat(acc.pending()).isEqualTo(1);

    FrameAccumulator pcm = new FrameAccumulator(2);
    List<float[]> out = new ArrayList<>();
    pcm.acceptPcm16(new byte[] {0x00, (byte) 0x80, (byte) 0xff}, out::add); // -32768, then half of 32767
    pcm.acceptPcm16(new byte[] {0x7f}, out::add);
    assertThat(out).containsExactly(new float[] {-1f, 32767f / 32768f});
    assertThat(pcm.flush(out::add)).isZero();
    assertThat(out).hasSize(1);
  }

  private static int[] randomSizes() {
    Random random = new Random(7);
    int[] sizes = new int[64];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = 1 + random.nextInt(3_000);
    }
    return sizes;
  }

  private static float[] ramp(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) Math.sin(i * 0.05) * 0.8f;
    }
    return a;
  }

  private static float quantised(float s) {
    return Math.round(s * 32768f) / 32768f;
  }
}
