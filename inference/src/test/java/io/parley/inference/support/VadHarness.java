package io.parley.inference.support;

import io.parley.inference.vad.FrameAccumulator;
import io.parley.inference.vad.VadEvent;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.vad.VoiceActivityModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs audio through the whole VAD path as a realtime session would: PCM16 chunks of an awkward
 * size, re-framed, scored one frame at a time, segmented.
 */
public final class VadHarness {

  /** What came out: the events in order, and every frame's probability. */
  public record Result(List<VadEvent> events, float[] probabilities) {

    public List<VadEvent.SpeechStopped> segments() {
      return events.stream().filter(VadEvent.SpeechStopped.class::isInstance)
          .map(VadEvent.SpeechStopped.class::cast).toList();
    }
  }

  private VadHarness() {}

  public static Result run(VoiceActivityModel vad, VadSegmenter.Settings settings, float[] audio, int chunkBytes) {
    VoiceActivityModel.State state = vad.newState();
    VadSegmenter segmenter = new VadSegmenter(settings);
    FrameAccumulator frames = new FrameAccumulator();
    List<VadEvent> events = new ArrayList<>();
    List<Float> probabilities = new ArrayList<>();
    byte[] pcm = Pcm16Wav.toPcm16(audio);
    for (int at = 0; at < pcm.length; at += chunkBytes) {
      frames.acceptPcm16(pcm, at, Math.min(chunkBytes, pcm.length - at), frame -> {
        float p = vad.probability(state, frame);
        probabilities.add(p);
        events.addAll(segmenter.accept(frame, p));
      });
    }
    frames.flush(frame -> {
      float p = vad.probability(state, frame);
      probabilities.add(p);
      events.addAll(segmenter.accept(frame, p));
    });
    events.addAll(segmenter.flush());
    float[] p = new float[probabilities.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = probabilities.get(i);
    }
    return new Result(List.copyOf(events), p);
  }
}
