package io.parley.inference.vad;

/**
 * Decides, without the model, that a frame is silent: its RMS level is below a floor in dBFS
 * (relative to a full-scale value of 1.0, so a full-scale square wave is 0 dBFS and a full-scale
 * sine about -3 dBFS).
 *
 * <p>This is a policy, not a proof: Silero is trained to be level-independent and still hears
 * speech scaled down to -60 dBFS (probability 0.81, measured in SileroVadSpeechTest). The
 * default floor, {@value #DEFAULT_FLOOR_DBFS} dBFS (RMS 0.001, about 33 in PCM16), sits below the
 * noise floor of a live microphone and of the LibriVox recordings in the tests (their quietest
 * frames: -52 to -57 dBFS), so in practice it fires on digital or near-digital silence: muted or
 * idle clients, noise-suppressed gaps, the zeros a client sends while it has nothing to say.
 * Nobody talks to the assistant at that level; treating it as silence is what lets mostly-silent
 * streams cost almost nothing.
 */
public final class EnergyGate {

  /** The default floor: frames quieter than this RMS level are silent. */
  public static final double DEFAULT_FLOOR_DBFS = -60.0;

  /** A gate that never fires (every frame goes to the model). */
  public static final EnergyGate OFF = new EnergyGate(Double.NEGATIVE_INFINITY);

  private final double floorDbfs;
  /** Compared against the mean square, so no square root per frame. */
  private final double floorMeanSquare;

  public EnergyGate(double floorDbfs) {
    if (Double.isNaN(floorDbfs) || floorDbfs > 0) {
      throw new IllegalArgumentException("energy floor must be <= 0 dBFS, got " + floorDbfs);
    }
    this.floorDbfs = floorDbfs;
    double rms = Math.pow(10, floorDbfs / 20);
    this.floorMeanSquare = rms * rms;
  }

  public double floorDbfs() {
    return floorDbfs;
  }

  /** True when the frame's RMS level is below the floor. */
  public boolean silent(float[] frame) {
    if (floorMeanSquare == 0) {
      return false;
    }
    double sum = 0;
    for (float s : frame) {
      sum += s * s;
    }
    return sum < floorMeanSquare * frame.length;
  }

  /** RMS level of a frame in dBFS ({@code -Infinity} for digital silence). */
  public static double levelDbfs(float[] frame) {
    double sum = 0;
    for (float s : frame) {
      sum += s * s;
    }
    return 10 * Math.log10(sum / frame.length);
  }

  @Override
  public String toString() {
    return "EnergyGate[" + floorDbfs + " dBFS]";
  }
}
