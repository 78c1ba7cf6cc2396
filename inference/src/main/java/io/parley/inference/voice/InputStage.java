package io.parley.inference.voice;

import io.parley.inference.vad.FrameAccumulator;
import io.parley.inference.vad.VadEvent;
import io.parley.inference.vad.VadSegmenter;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's input: 16 kHz audio framed ({@link FrameAccumulator}), then with server VAD scored
 * by the {@link VadScheduler} and segmented ({@link VadSegmenter}) into speech events, or without
 * it kept for a manual commit (the latest {@link VoiceSession#MAX_COMMIT_SAMPLES}). A VAD model
 * failure is reported once per run of failures. On the session's context.
 */
final class InputStage {

  private static final Logger LOG = LoggerFactory.getLogger(InputStage.class);

  /** Speech probability from which a frame counts as voiced for interim transcripts (Silero's usual cut). */
  static final float VOICED = 0.5f;

  /** Receives each scored frame and what the segmenter decided on it, in order. */
  interface Scored {
    /** {@code position}: samples segmented so far, this frame included (the clock of speech onsets). */
    void frame(float[] frame, boolean voiced, List<VadEvent> decided, long position);
  }

  private final VadScheduler.Stream vad;
  private final VadSegmenter segmenter;
  private final UUID conversationId;
  private final Consumer<VoiceEvent> events;
  private final Scored scored;
  private FrameAccumulator frames = new FrameAccumulator();
  private final Deque<float[]> manual = new ArrayDeque<>();
  private int manualSamples;
  private long segmented;
  private boolean vadFailing;
  private boolean closed;

  /** {@code vad} null: no VAD on this node (server VAD finds no speech). */
  InputStage(VadScheduler vad, Context context, Runnable backlogChanged, VadSegmenter segmenter, UUID conversationId,
             Consumer<VoiceEvent> events, Scored scored) {
    this.vad = vad == null ? null : vad.open(context, b -> backlogChanged.run());
    this.segmenter = segmenter;
    this.conversationId = conversationId;
    this.events = events;
    this.scored = scored;
  }

  /** 16 kHz PCM16 from the client; {@code serverVad}: segment it, else keep it for a commit. */
  void append(short[] pcm16k, boolean serverVad) {
    float[] samples = new float[pcm16k.length];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = pcm16k[i] / 32768f;
    }
    frames.accept(samples, f -> onFrame(f, serverVad));
  }

  private void onFrame(float[] f, boolean serverVad) {
    if (!serverVad) {
      manual.add(f);
      manualSamples += f.length;
      while (manualSamples > VoiceSession.MAX_COMMIT_SAMPLES) {
        manualSamples -= manual.removeFirst().length;
      }
      return;
    }
    if (vad != null) {
      vad.submit(f, p -> onProbability(f, p));
    }
  }

  private void onProbability(float[] f, float p) {
    if (closed) {
      return;
    }
    if (Float.isNaN(p)) {
      // The scheduler's model run failed (it logged why): the frame cannot be segmented.
      if (!vadFailing) {
        vadFailing = true;
        LOG.warn("voice: conversation {}: the VAD model failed; speech is not detected until it works again",
            conversationId);
        events.accept(new VoiceEvent.Error(VoiceEvent.Code.VAD_FAILED, "voice activity detection failed on the"
            + " server: speech is not detected until it recovers; use input_audio_buffer.commit to send audio"
            + " meanwhile"));
      }
      return;
    }
    vadFailing = false;
    List<VadEvent> decided = segmenter.accept(f, p);
    segmented += f.length;
    scored.frame(f, p >= VOICED, decided, segmented);
  }

  /** The audio kept for a manual commit, taken (empty when there is none). */
  float[] takeManual() {
    float[] audio = new float[manualSamples];
    int at = 0;
    for (float[] f : manual) {
      System.arraycopy(f, 0, audio, at, f.length);
      at += f.length;
    }
    manual.clear();
    manualSamples = 0;
    return audio;
  }

  /** Drops the manual buffer and a partly filled frame (input_audio_buffer.clear). */
  void clear() {
    manual.clear();
    manualSamples = 0;
    frames = new FrameAccumulator();
  }

  /**
   * Ends the turn at {@code paused} if that pause still goes on (see {@link VadSegmenter#endPause});
   * returns what the segmenter decided and the samples segmented so far go with it.
   */
  List<VadEvent> endPause(VadEvent.Paused paused) {
    return segmenter.endPause(paused);
  }

  /** Samples segmented so far. */
  long segmented() {
    return segmented;
  }

  void update(VadSegmenter.Settings settings) {
    segmenter.update(settings);
  }

  boolean backlogged() {
    return vad != null && vad.backlogged();
  }

  void close() {
    closed = true;
  }
}
