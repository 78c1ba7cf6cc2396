package io.parley.inference.vad;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Smart Turn's Whisper-style features against values worked out independently: digital silence,
 * a pure tone's mel peak, the padding in front of a short turn, and a straightforward (slow)
 * re-computation of the whole recipe with a plain DFT.
 */
class WhisperFeaturesTest {

  private static final int RATE = VoiceActivityModel.SAMPLE_RATE;
  private static final int FRAMES = WhisperFeatures.FRAMES;

  @Test
  void theShapeIsEightyMelsByEightHundredFrames() {
    assertThat(WhisperFeatures.FRAMES).isEqualTo(800);
    assertThat(WhisperFeatures.of(new float[RATE])).hasSize(80 * 800);
  }

  @Test
  void silenceIsTheLogFloorEverywhere() {
    // Normalising zeros gives zeros; log10(1e-10) = -10, and (-10 + 4) / 4 = -1.5.
    assertThat(WhisperFeatures.of(new float[3 * RATE])).containsOnly(-1.5f);
    assertThat(WhisperFeatures.of(new float[0])).containsOnly(-1.5f);
  }

  @Test
  void aPureToneLightsTheMelFilterCentredNearestItsFrequency() {
    float[] tone = tone(1000, 8 * RATE);
    float[] f = WhisperFeatures.of(tone);
    int frame = FRAMES / 2;
    int peak = 0;
    for (int m = 1; m < 80; m++) {
      if (f[m * FRAMES + frame] > f[peak * FRAMES + frame]) {
        peak = m;
      }
    }
    assertThat(peak).isEqualTo(nearestFilter(1000));
    // The whole window is within 8 log10 units of its peak: after scaling, within 2.
    float max = Float.NEGATIVE_INFINITY;
    float min = Float.POSITIVE_INFINITY;
    for (float v : f) {
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    assertThat(max - min).isLessThanOrEqualTo(2.0001f);
  }

  @Test
  void aShortTurnSitsAtTheEndOfTheWindowAfterItsPadding() {
    float[] f = WhisperFeatures.of(tone(2000, RATE)); // 1 s: the last 100 frames
    int bin = nearestFilter(2000);
    float padded = f[bin * FRAMES + 100];
    float spoken = f[bin * FRAMES + 750];
    assertThat(spoken).isGreaterThan(padded + 1);
    // The padding is flat: every padded frame has the same features.
    for (int m = 0; m < 80; m++) {
      assertThat(f[m * FRAMES + 50]).isEqualTo(f[m * FRAMES + 600]);
    }
    // A longer turn keeps only its last 8 s.
    float[] long10 = new float[10 * RATE];
    float[] last8 = tone(700, 8 * RATE);
    System.arraycopy(last8, 0, long10, 2 * RATE, last8.length);
    assertThat(WhisperFeatures.of(long10)).containsExactly(WhisperFeatures.of(last8));
  }

  @Test
  void theFastTransformMatchesAPlainDftOfTheSameRecipe() {
    Random random = new Random(7);
    float[] audio = new float[3 * RATE + 123];
    for (int i = 0; i < audio.length; i++) {
      audio[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / RATE) + 0.05 * random.nextGaussian());
    }
    float[] fast = WhisperFeatures.of(audio);
    double[] slow = reference(audio);
    double worst = 0;
    for (int i = 0; i < fast.length; i++) {
      worst = Math.max(worst, Math.abs(fast[i] - slow[i]));
    }
    assertThat(worst).isLessThan(1e-4);
  }

  private static float[] tone(double hz, int samples) {
    float[] x = new float[samples];
    for (int i = 0; i < samples; i++) {
      x[i] = (float) (0.5 * Math.sin(2 * Math.PI * hz * i / RATE));
    }
    return x;
  }

  /** The filter whose centre (Slaney mel points, 82 from 0 to 8 kHz) is nearest {@code hz}. */
  private static int nearestFilter(double hz) {
    double top = 15 + Math.log(8000 / 1000.0) / (Math.log(6.4) / 27);
    int best = 0;
    double bestDistance = Double.MAX_VALUE;
    for (int m = 0; m < 80; m++) {
      double mel = top * (m + 1) / 81;
      double centre = mel < 15 ? mel * 200 / 3 : 1000 * Math.exp((mel - 15) * Math.log(6.4) / 27);
      if (Math.abs(centre - hz) < bestDistance) {
        bestDistance = Math.abs(centre - hz);
        best = m;
      }
    }
    return best;
  }

  /** The recipe of WhisperFeatureExtractor written out directly: O(N^2) DFT, all in double. */
  private static double[] reference(float[] audio) {
    int n = 8 * RATE;
    double[] x = new double[n];
    for (int i = 0; i < audio.length; i++) {
      x[n - audio.length + i] = audio[i];
    }
    double mean = 0;
    for (double v : x) {
      mean += v / n;
    }
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean) / n;
    }
    for (int i = 0; i < n; i++) {
      x[i] = (x[i] - mean) / Math.sqrt(var + 1e-7);
    }
    double[] padded = new double[n + 400];
    for (int i = 0; i < padded.length; i++) {
      int j = i - 200;
      padded[i] = x[j < 0 ? -j : j >= n ? 2 * n - 2 - j : j];
    }
    double top = 15 + Math.log(8.0) * 27 / Math.log(6.4);
    double[] edge = new double[82];
    for (int i = 0; i < 82; i++) {
      double mel = top * i / 81;
      edge[i] = mel < 15 ? mel * 200 / 3 : 1000 * Math.exp((mel - 15) * Math.log(6.4) / 27);
    }
    double[] out = new double[80 * FRAMES];
    double max = -1e300;
    double[] power = new double[201];
    for (int t = 0; t < FRAMES; t++) {
      for (int k = 0; k < 201; k++) {
        double re = 0;
        double im = 0;
        for (int i = 0; i < 400; i++) {
          double w = 0.5 * (1 - Math.cos(2 * Math.PI * i / 400));
          double v = padded[t * 160 + i] * w;
          re += v * Math.cos(2 * Math.PI * k * i / 400);
          im -= v * Math.sin(2 * Math.PI * k * i / 400);
        }
        power[k] = re * re + im * im;
      }
      for (int m = 0; m < 80; m++) {
        double e = 0;
        for (int k = 0; k < 201; k++) {
          double hz = k * 40.0;
          double w = Math.max(0, Math.min((hz - edge[m]) / (edge[m + 1] - edge[m]),
              (edge[m + 2] - hz) / (edge[m + 2] - edge[m + 1])));
          e += w * 2 / (edge[m + 2] - edge[m]) * power[k];
        }
        double v = Math.log10(Math.max(1e-10, e));
        out[m * FRAMES + t] = v;
        max = Math.max(max, v);
      }
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = (Math.max(out[i], max - 8) + 4) / 4;
    }
    return out;
  }
}
