package io.parley.inference.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ResamplerTest {

  private static final double TONE_HZ = 1000;
  private static final double SECONDS = 1.0;

  static float[] sine(double hz, int rate, double seconds, double amplitude) {
    float[] out = new float[(int) Math.round(rate * seconds)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (amplitude * Math.sin(2 * Math.PI * hz * i / rate));
    }
    return out;
  }

  /** Sign changes between the first and last 10 % (away from the silent edges). */
  static double frequencyByZeroCrossings(float[] x, int rate) {
    int from = x.length / 10;
    int to = x.length - x.length / 10;
    int crossings = 0;
    for (int i = from + 1; i < to; i++) {
      if ((x[i - 1] < 0) != (x[i] < 0)) {
        crossings++;
      }
    }
    return crossings / 2.0 / ((to - from) / (double) rate);
  }

  /** Amplitude of {@code hz} in the middle of the signal (single-bin DFT). */
  static double amplitudeAt(float[] x, int rate, double hz) {
    int from = x.length / 10;
    int to = x.length - x.length / 10;
    double re = 0;
    double im = 0;
    for (int i = from; i < to; i++) {
      double a = 2 * Math.PI * hz * i / rate;
      re += x[i] * Math.cos(a);
      im += x[i] * Math.sin(a);
    }
    return 2 * Math.hypot(re, im) / (to - from);
  }

  @Test
  void toneKeepsItsFrequencyAndLengthThroughAChainOfRates() {
    float[] x = sine(TONE_HZ, 16_000, SECONDS, 0.5);
    float[] at24 = Resampler.resample(x, 16_000, 24_000);
    float[] at48 = Resampler.resample(at24, 24_000, 48_000);
    float[] back = Resampler.resample(at48, 48_000, 16_000);

    assertThat(at24).hasSize(24_000);
    assertThat(at48).hasSize(48_000);
    assertThat(back).hasSize(16_000);
    assertThat(frequencyByZeroCrossings(at24, 24_000)).isCloseTo(TONE_HZ, within(2.0));
    assertThat(frequencyByZeroCrossings(at48, 48_000)).isCloseTo(TONE_HZ, within(2.0));
    assertThat(frequencyByZeroCrossings(back, 16_000)).isCloseTo(TONE_HZ, within(2.0));
    assertThat(amplitudeAt(back, 16_000, TONE_HZ)).isCloseTo(0.5, within(0.005));
    // away from the edges the round trip returns the original samples (linear phase, no delay)
    for (int i = 1_000; i < 15_000; i++) {
      assertThat((double) back[i]).as("sample %d", i).isCloseTo(x[i], within(2e-3));
    }
  }

  static Stream<Arguments> ratePairs() {
    int[] rates = {8_000, 16_000, 22_050, 24_000, 44_100, 48_000};
    return Arrays.stream(rates).boxed()
        .flatMap(a -> Arrays.stream(rates).filter(b -> b != a).mapToObj(b -> Arguments.of(a, b)));
  }

  @ParameterizedTest(name = "{0} Hz -> {1} Hz")
  @MethodSource("ratePairs")
  void chunkedEqualsWholeAndToneSurvives(int from, int to) {
    float[] x = sine(TONE_HZ, from, 0.5, 0.5);
    float[] whole = Resampler.resample(x, from, to);
    assertThat(whole).hasSize((int) Math.ceil(x.length * (double) to / from));

    Resampler r = new Resampler(from, to);
    Random random = new Random(from * 31L + to);
    float[] chunked = new float[0];
    for (int at = 0; at < x.length; ) {
      int n = Math.min(x.length - at, random.nextInt(1, 700)); // includes chunks shorter than the filter
      chunked = concat(chunked, r.process(Arrays.copyOfRange(x, at, at + n)));
      at += n;
    }
    chunked = concat(chunked, r.flush());
    assertThat(chunked).hasSameSizeAs(whole);
    for (int i = 0; i < whole.length; i++) {
      assertThat((double) chunked[i]).as("sample %d", i).isCloseTo(whole[i], within(1e-4));
    }
    assertThat(frequencyByZeroCrossings(whole, to)).isCloseTo(TONE_HZ, within(4.0));
    assertThat(amplitudeAt(whole, to, TONE_HZ)).isCloseTo(0.5, within(0.005));
  }

  @Test
  void tonesAboveTheNewNyquistAreRemovedNotAliased() {
    // 7 kHz at 48 kHz would alias to 1 kHz at 8 kHz without the low-pass filter
    float[] x = sine(7_000, 48_000, 0.5, 0.5);
    float[] y = Resampler.resample(x, 48_000, 8_000);
    assertThat(amplitudeAt(y, 8_000, 1_000)).isLessThan(0.5 * 1e-3); // below -60 dB
  }

  @Test
  void anInstanceIsReusableAfterFlushAndSameRateIsACopy() {
    Resampler r = new Resampler(16_000, 24_000);
    float[] x = sine(TONE_HZ, 16_000, 0.1, 0.5);
    float[] first = concat(r.process(x), r.flush());
    float[] second = concat(r.process(x), r.flush());
    assertThat(second).containsExactly(first);
    assertThat(Resampler.resample(x, 16_000, 16_000)).containsExactly(x);
    assertThat(Resampler.resample(new short[] {1000, -1000}, 16_000, 16_000)).containsExactly((short) 1000, (short) -1000);
  }

  @Test
  void unsupportedRatesAreRejected() {
    assertThatThrownBy(() -> new Resampler(0, 16_000)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("from rate 0 Hz");
    assertThatThrownBy(() -> new Resampler(16_000, 1_000_000)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Resampler(16_001, 16_000)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ratio");
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
