package io.parley.inference.audio;

import java.util.Arrays;

/**
 * A streaming sample-rate converter for mono audio: rational polyphase resampling with a
 * Kaiser-windowed sinc low-pass filter.
 *
 * <p><b>The filter.</b> The ratio {@code to/from} is reduced to {@code L/M}. Conceptually the input is
 * upsampled by {@code L} (zeros between samples), low-pass filtered, and every {@code M}-th sample
 * kept; the polyphase form computes only the kept samples. The prototype filter, at the upsampled
 * rate, is {@code h[n] = L * 2fc * sinc(2fc * n) * kaiser(n / N)} for {@code |n| <= N}, with
 *
 * <ul>
 *   <li>cutoff {@code fc = ROLLOFF * 0.5 / max(L, M)} cycles per upsampled sample: {@value #ROLLOFF}
 *       of the Nyquist frequency of the lower of the two rates (7.04 kHz for 16 kHz audio);</li>
 *   <li>half-length {@code N = ZERO_CROSSINGS * max(L, M)}: {@value #ZERO_CROSSINGS} zero crossings of
 *       the sinc on each side, so each output sample is a dot product of {@code 2 * ZERO_CROSSINGS}
 *       input samples when upsampling, {@code 2 * ZERO_CROSSINGS * M / L} when downsampling;</li>
 *   <li>Kaiser {@code beta = }{@value #KAISER_BETA}, about 80 dB stop-band attenuation; the
 *       transition band is about 0.2 of the lower Nyquist frequency wide, centred on the cutoff.</li>
 * </ul>
 *
 * <p><b>Streaming.</b> Output sample {@code k} sits exactly at input time {@code k * from / to}
 * (a linear-phase filter centred there: no delay, no phase shift). It needs {@code N / L} input
 * samples after that time, so {@link #process} holds back the last few outputs (about 1.5 ms of
 * audio) until the following chunk arrives, and {@link #flush} ends the stream by treating the
 * input after the last sample as silence. Because each output depends only on its absolute
 * position, resampling a signal in chunks of any sizes gives exactly the samples of resampling it
 * whole, and a stream of {@code n} samples always yields {@code ceil(n * to / from)}: no clicks at
 * chunk boundaries, no drift. The input before the first sample is silence too.
 *
 * <p>Not thread-safe: one instance per stream. After {@link #flush} the instance starts a new stream.
 */
public final class Resampler {

  /** Lowest sample rate accepted, in Hz. */
  public static final int MIN_RATE = 1_000;
  /** Highest sample rate accepted, in Hz. */
  public static final int MAX_RATE = 384_000;
  /**
   * Largest term of the reduced ratio {@code L/M}: bounds the filter table to
   * {@code 2 * ZERO_CROSSINGS * MAX_RATIO_TERM} coefficients (8000 to 44100 Hz is 80/441).
   */
  public static final int MAX_RATIO_TERM = 1_024;
  /** Sinc zero crossings on each side of the filter's centre. */
  public static final int ZERO_CROSSINGS = 24;
  /** Cutoff as a fraction of the lower rate's Nyquist frequency. */
  public static final double ROLLOFF = 0.88;
  /** Kaiser window shape: {@code 0.1102 * (80 - 8.7)} for about 80 dB attenuation. */
  public static final double KAISER_BETA = 7.857;

  private final int from;
  private final int to;
  private final int up;
  private final int down;
  /** Input samples each side of an output's position that can carry weight. */
  private final int halfWidth;
  private final int taps;
  /** {@code coefficients[phase * taps + d + halfWidth]} weighs input {@code base + d}. */
  private final float[] coefficients;

  private float[] buffer;
  /** Absolute input index of {@code buffer[0]}; starts negative: the silence before the stream. */
  private long bufferStart;
  private int bufferLength;
  private long inputCount;
  private long outputIndex;

  public Resampler(int from, int to) {
    checkRate("from", from);
    checkRate("to", to);
    int g = gcd(from, to);
    this.from = from;
    this.to = to;
    this.up = to / g;
    this.down = from / g;
    if (up > MAX_RATIO_TERM || down > MAX_RATIO_TERM) {
      throw new IllegalArgumentException("resampling " + from + " Hz to " + to + " Hz: ratio " + up + "/"
          + down + " has a term above " + MAX_RATIO_TERM);
    }
    int longer = Math.max(up, down);
    int halfLength = ZERO_CROSSINGS * longer;
    this.halfWidth = halfLength / up + 1;
    this.taps = 2 * halfWidth + 1;
    this.coefficients = design(up, halfLength, halfWidth, ROLLOFF * 0.5 / longer);
    reset();
  }

  /** Resamples a whole signal: {@code ceil(n * to / from)} samples out. */
  public static float[] resample(float[] samples, int from, int to) {
    Resampler r = new Resampler(from, to);
    return concat(r.process(samples), r.flush());
  }

  /** PCM16 flavour of {@link #resample(float[], int, int)}. */
  public static short[] resample(short[] samples, int from, int to) {
    return Pcm.fromFloat(resample(Pcm.toFloat(samples), from, to));
  }

  public int fromRate() {
    return from;
  }

  public int toRate() {
    return to;
  }

  /** How many samples a whole stream of {@code inputLength} samples becomes. */
  public long outputLength(long inputLength) {
    return ceilDiv(inputLength * up, down);
  }

  /** Feeds a chunk; returns the output samples now complete (possibly none). */
  public float[] process(float[] chunk) {
    if (up == down) {
      inputCount += chunk.length;
      return chunk.clone();
    }
    append(chunk, chunk.length);
    inputCount += chunk.length;
    long available = inputCount - halfWidth;
    long end = available > 0 ? ceilDiv(available * up, down) : 0;
    return produce(end);
  }

  /** PCM16 flavour of {@link #process(float[])}. */
  public short[] process(short[] chunk) {
    return Pcm.fromFloat(process(Pcm.toFloat(chunk)));
  }

  /** Ends the stream: returns the held-back outputs, then starts afresh. */
  public float[] flush() {
    if (up == down) {
      reset();
      return new float[0];
    }
    append(new float[halfWidth], halfWidth); // the silence after the stream
    float[] out = produce(outputLength(inputCount));
    reset();
    return out;
  }

  /** PCM16 flavour of {@link #flush()}. */
  public short[] flushPcm() {
    return Pcm.fromFloat(flush());
  }

  private float[] produce(long end) {
    if (end <= outputIndex) {
      return new float[0];
    }
    float[] out = new float[Math.toIntExact(end - outputIndex)];
    for (int o = 0; o < out.length; o++, outputIndex++) {
      long position = outputIndex * down;
      long base = position / up;
      int phase = (int) (position % up);
      int offset = (int) (base - halfWidth - bufferStart);
      int c = phase * taps;
      double sum = 0;
      for (int t = 0; t < taps; t++) {
        sum += buffer[offset + t] * coefficients[c + t];
      }
      out[o] = (float) sum;
    }
    discardBefore(outputIndex * down / up - halfWidth);
    return out;
  }

  private void append(float[] samples, int length) {
    if (bufferLength + length > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, bufferLength + length));
    }
    System.arraycopy(samples, 0, buffer, bufferLength, length);
    bufferLength += length;
  }

  private void discardBefore(long index) {
    int drop = (int) Math.min(bufferLength, Math.max(0, index - bufferStart));
    if (drop > 0) {
      System.arraycopy(buffer, drop, buffer, 0, bufferLength - drop);
      bufferLength -= drop;
      bufferStart += drop;
    }
  }

  private void reset() {
    buffer = new float[Math.max(4 * taps, 1024)];
    bufferLength = halfWidth; // zeros: the silence before the stream
    bufferStart = -halfWidth;
    inputCount = 0;
    outputIndex = 0;
  }

  private static float[] design(int up, int halfLength, int halfWidth, double cutoff) {
    int taps = 2 * halfWidth + 1;
    float[] c = new float[up * taps];
    double i0Beta = besselI0(KAISER_BETA);
    for (int phase = 0; phase < up; phase++) {
      for (int d = -halfWidth; d <= halfWidth; d++) {
        // distance, in upsampled samples, from the output's position to input base + d
        int n = phase - d * up;
        if (Math.abs(n) > halfLength) {
          continue;
        }
        double x = 2 * cutoff * n;
        double sinc = n == 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        double r = (double) n / halfLength;
        double window = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
        c[phase * taps + d + halfWidth] = (float) (up * 2 * cutoff * sinc * window);
      }
    }
    return c;
  }

  /** Modified Bessel function of the first kind, order 0 (power series). */
  private static double besselI0(double x) {
    double sum = 1;
    double term = 1;
    double q = x * x / 4;
    for (int k = 1; k < 64; k++) {
      term *= q / ((double) k * k);
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    return sum;
  }

  private static void checkRate(String name, int rate) {
    if (rate < MIN_RATE || rate > MAX_RATE) {
      throw new IllegalArgumentException(
          "resampling: " + name + " rate " + rate + " Hz outside [" + MIN_RATE + ", " + MAX_RATE + "]");
    }
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static long ceilDiv(long a, long b) {
    return Math.floorDiv(a + b - 1, b);
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
