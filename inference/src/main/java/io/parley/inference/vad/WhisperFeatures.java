package io.parley.inference.vad;

/**
 * The log-mel features Smart Turn v3 reads: what Hugging Face's {@code WhisperFeatureExtractor}
 * with {@code chunk_length=8} computes on the last 8 s of a turn, as
 * <a href="https://github.com/pipecat-ai/smart-turn">pipecat-ai/smart-turn</a>'s inference feeds it.
 *
 * <ol>
 *   <li>The audio (16 kHz, [-1, 1]) is cut to its last {@value #WINDOW_SAMPLES} samples, or padded
 *       with zeros <em>in front</em> to that length (the speech sits at the end of the window).</li>
 *   <li>The whole window, padding included, is normalised to zero mean and unit variance
 *       ({@code (x - mean) / sqrt(var + 1e-7)}).</li>
 *   <li>Power spectrum: a periodic Hann window of {@value #N_FFT} samples every {@value #HOP}
 *       samples, the signal reflect-padded by {@code N_FFT / 2} on both sides (torch's
 *       {@code center=True}), {@code |rfft|^2}; the last of the 801 frames is dropped.</li>
 *   <li>{@value #MELS} triangular mel filters on the Slaney scale with Slaney area normalisation,
 *       0 to 8 kHz; {@code log10} of {@code max(1e-10, energy)}.</li>
 *   <li>Everything below the window's maximum minus 8 is raised to it, then {@code (x + 4) / 4}.</li>
 * </ol>
 *
 * <p>The result is {@code [MELS][FRAMES]} row-major: {@code features[mel * FRAMES + frame]}. Pure
 * computation, thread-safe (the tables are shared and read-only).
 */
public final class WhisperFeatures {

  /** Samples the model sees: 8 s at 16 kHz. */
  public static final int WINDOW_SAMPLES = 8 * VoiceActivityModel.SAMPLE_RATE;
  public static final int N_FFT = 400;
  public static final int HOP = 160;
  public static final int MELS = 80;
  /** Spectrogram frames per window (801 centred frames, the last dropped). */
  public static final int FRAMES = WINDOW_SAMPLES / HOP;
  /** Floats per window's features. */
  public static final int SIZE = MELS * FRAMES;

  private static final int BINS = N_FFT / 2 + 1;
  private static final double[] WINDOW = new double[N_FFT];
  /** {@code FILTERS[mel][bin]}. */
  private static final double[][] FILTERS = melFilters();
  /** Each filter's non-zero bins: {@code [FIRST[mel], LAST[mel]]} (a triangle covers a few bins). */
  private static final int[] FIRST = new int[MELS];
  private static final int[] LAST = new int[MELS];
  private static final double[] COS = new double[N_FFT];
  private static final double[] SIN = new double[N_FFT];

  static {
    for (int m = 0; m < MELS; m++) {
      FIRST[m] = BINS;
      LAST[m] = -1;
      for (int k = 0; k < BINS; k++) {
        if (FILTERS[m][k] != 0) {
          FIRST[m] = Math.min(FIRST[m], k);
          LAST[m] = k;
        }
      }
    }
    for (int i = 0; i < N_FFT; i++) {
      WINDOW[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / N_FFT);
      COS[i] = Math.cos(2 * Math.PI * i / N_FFT);
      SIN[i] = -Math.sin(2 * Math.PI * i / N_FFT);
    }
  }

  private WhisperFeatures() {}

  /** The features of the last 8 s of {@code audio} (16 kHz samples in [-1, 1]); {@link #SIZE} floats. */
  public static float[] of(float[] audio) {
    float[] x = window(audio);
    normalise(x);
    double[] logMel = new double[SIZE];
    double[] frame = new double[N_FFT];
    double[] re = new double[N_FFT];
    double[] im = new double[N_FFT];
    double[] power = new double[BINS];
    double max = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < FRAMES; t++) {
      int start = t * HOP - N_FFT / 2;
      for (int i = 0; i < N_FFT; i++) {
        frame[i] = x[reflect(start + i, x.length)] * WINDOW[i];
      }
      fft(frame, 0, 1, N_FFT, re, im, 0);
      for (int k = 0; k < BINS; k++) {
        power[k] = re[k] * re[k] + im[k] * im[k];
      }
      for (int m = 0; m < MELS; m++) {
        double[] filter = FILTERS[m];
        double energy = 0;
        for (int k = FIRST[m]; k <= LAST[m]; k++) {
          energy += filter[k] * power[k];
        }
        double v = Math.log10(Math.max(1e-10, energy));
        logMel[m * FRAMES + t] = v;
        max = Math.max(max, v);
      }
    }
    float[] features = new float[SIZE];
    double floor = max - 8.0;
    for (int i = 0; i < SIZE; i++) {
      features[i] = (float) ((Math.max(logMel[i], floor) + 4.0) / 4.0);
    }
    return features;
  }

  /** The last WINDOW_SAMPLES samples, zero-padded in front. */
  private static float[] window(float[] audio) {
    float[] x = new float[WINDOW_SAMPLES];
    int n = Math.min(audio.length, WINDOW_SAMPLES);
    System.arraycopy(audio, audio.length - n, x, WINDOW_SAMPLES - n, n);
    return x;
  }

  private static void normalise(float[] x) {
    double sum = 0;
    for (float v : x) {
      sum += v;
    }
    double mean = sum / x.length;
    double squares = 0;
    for (float v : x) {
      squares += (v - mean) * (v - mean);
    }
    double scale = 1 / Math.sqrt(squares / x.length + 1e-7);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) ((x[i] - mean) * scale);
    }
  }

  /** numpy's "reflect" padding: the edge sample is not repeated. */
  private static int reflect(int i, int n) {
    if (i < 0) {
      return -i;
    }
    if (i >= n) {
      return 2 * (n - 1) - i;
    }
    return i;
  }

  /**
   * Mixed-radix decimation-in-time DFT of the real {@code n} samples {@code x[start + j * stride]}
   * into {@code re/im[out..out+n)}; {@code n} divides {@link #N_FFT} (400 = 2^4 x 5^2).
   */
  private static void fft(double[] x, int start, int stride, int n, double[] re, double[] im, int out) {
    if (n == 1) {
      re[out] = x[start];
      im[out] = 0;
      return;
    }
    int p = n % 2 == 0 ? 2 : 5;
    int m = n / p;
    for (int q = 0; q < p; q++) {
      fft(x, start + q * stride, stride * p, m, re, im, out + q * m);
    }
    int step = N_FFT / n;
    double[] yr = new double[p];
    double[] yi = new double[p];
    for (int k = 0; k < m; k++) {
      for (int q = 0; q < p; q++) {
        yr[q] = re[out + q * m + k];
        yi[q] = im[out + q * m + k];
      }
      for (int s = 0; s < p; s++) {
        int bin = k + s * m;
        int twiddle = bin * step % N_FFT; // W_n^bin; the q-th term takes its q-th power
        double sr = yr[0];
        double si = yi[0];
        int w = 0;
        for (int q = 1; q < p; q++) {
          w += twiddle;
          if (w >= N_FFT) {
            w -= N_FFT;
          }
          sr += yr[q] * COS[w] - yi[q] * SIN[w];
          si += yr[q] * SIN[w] + yi[q] * COS[w];
        }
        re[out + bin] = sr;
        im[out + bin] = si;
      }
    }
  }

  /** Hertz to mels, Slaney's scale: linear to 1 kHz, logarithmic above. */
  static double mel(double hz) {
    return hz < 1000 ? 3 * hz / 200 : 15 + Math.log(hz / 1000) * 27 / Math.log(6.4);
  }

  static double hertz(double mel) {
    return mel < 15 ? 200 * mel / 3 : 1000 * Math.exp(Math.log(6.4) / 27 * (mel - 15));
  }

  private static double[][] melFilters() {
    double top = mel(VoiceActivityModel.SAMPLE_RATE / 2.0);
    double[] edges = new double[MELS + 2];
    for (int i = 0; i < edges.length; i++) {
      edges[i] = hertz(top * i / (MELS + 1));
    }
    double[][] filters = new double[MELS][BINS];
    for (int m = 0; m < MELS; m++) {
      double norm = 2 / (edges[m + 2] - edges[m]);
      for (int k = 0; k < BINS; k++) {
        double f = k * (VoiceActivityModel.SAMPLE_RATE / 2.0) / (BINS - 1);
        double up = (f - edges[m]) / (edges[m + 1] - edges[m]);
        double down = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
        filters[m][k] = Math.max(0, Math.min(up, down)) * norm;
      }
    }
    return filters;
  }
}
