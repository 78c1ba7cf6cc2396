package io.parley.inference.vad;

import java.util.List;

/**
 * A voice activity model: the probability that a frame of 16 kHz mono audio is speech. Streams keep
 * their recurrent state in a {@link State} of their own; one model serves many streams, and frames
 * of several streams may be scored in one call (a batch), which is cheaper per frame.
 *
 * <p>Blocking: call from a worker thread. Implementations are thread-safe.
 */
public interface VoiceActivityModel extends AutoCloseable {

  /** Sample rate of the frames, in Hz. */
  int SAMPLE_RATE = 16_000;
  /** Samples per frame (32 ms at 16 kHz). */
  int FRAME_SAMPLES = 512;

  /** Per-stream recurrent state; reset it when a stream restarts. */
  interface State {
    void reset();
  }

  State newState();

  /**
   * Speech probabilities (0..1) of one frame per stream, in order. Each frame has
   * {@link #FRAME_SAMPLES} samples in [-1, 1]; each state advances by one frame.
   */
  float[] probabilities(List<State> states, List<float[]> frames);

  /** One stream, one frame. */
  default float probability(State state, float[] frame) {
    return probabilities(List.of(state), List.of(frame))[0];
  }

  @Override
  void close();
}
