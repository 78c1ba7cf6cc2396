/**
 * Voice activity detection: {@link io.parley.inference.vad.SileroVad} scores 32 ms frames of many
 * streams in batches (with an {@link io.parley.inference.vad.EnergyGate} that skips frames proven
 * silent), {@link io.parley.inference.vad.FrameAccumulator} cuts clients' chunks into those frames,
 * and one {@link io.parley.inference.vad.VadSegmenter} per stream turns the probabilities into
 * {@link io.parley.inference.vad.VadEvent}s with the segment's audio.
 *
 * <p>Model: <a href="https://github.com/snakers4/silero-vad">Silero VAD v5</a> (MIT), as packaged in
 * npm {@code @ricky0123/vad-web@0.0.31}; see {@code models/README.md}.
 */
package io.parley.inference.vad;
