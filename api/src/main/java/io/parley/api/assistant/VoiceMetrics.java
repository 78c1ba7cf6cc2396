package io.parley.api.assistant;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parley.api.assistant.realtime.ServerEventEncoder;
import io.parley.inference.voice.TurnTimings;
import io.parley.inference.voice.VoiceEvent;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/** The realtime endpoint's meters, registered once: sessions, backpressure, storage, turn timings. */
final class VoiceMetrics {

  private final Counter pauses;
  private final Counter notStored;
  private final Timer transcript;
  private final Timer firstToken;
  private final Timer firstAudio;
  private final Timer done;
  private final Timer overhead;
  private final Map<VoiceEvent.Status, Counter> responses = new EnumMap<>(VoiceEvent.Status.class);

  /** {@code open}: sessions on this node; {@code responding}: answers in progress (read on the scrape's thread). */
  VoiceMetrics(MeterRegistry registry, Supplier<Number> open, Supplier<Number> responding) {
    Gauge.builder("parley.voice.sessions", open).description("Open realtime sessions on this node").register(registry);
    Gauge.builder("parley.voice.responses.active", responding)
        .description("Assistant responses in progress on this node (generating or playing out)").register(registry);
    pauses = Counter.builder("parley.voice.input.paused")
        .description("Times a session stopped reading its client until the VAD or Whisper caught up (backpressure)")
        .register(registry);
    notStored = Counter.builder("parley.voice.conversation.writes.failed")
        .description("Conversation messages of realtime sessions the conversation log failed to store")
        .register(registry);
    transcript = stage(registry, "transcript");
    firstToken = stage(registry, "first_token");
    firstAudio = stage(registry, "first_audio");
    done = stage(registry, "done");
    overhead = Timer.builder("parley.voice.pipeline.overhead")
        .description("End of speech to first audio minus the engines' own compute (Whisper, LLM to its first"
            + " sentence, TTS to its first audio)")
        .publishPercentileHistogram().register(registry);
    for (VoiceEvent.Status s : VoiceEvent.Status.values()) {
      responses.put(s, Counter.builder("parley.voice.responses").tag("status", ServerEventEncoder.status(s))
          .description("Assistant responses by final status").register(registry));
    }
  }

  private static Timer stage(MeterRegistry registry, String stage) {
    return Timer.builder("parley.voice.turn")
        .description("Time from the end of the user's speech to each stage of the answer")
        .tag("stage", stage).publishPercentileHistogram().register(registry);
  }

  void paused() {
    pauses.increment();
  }

  void notStored() {
    notStored.increment();
  }

  void responseDone(VoiceEvent.Status status, TurnTimings t) {
    record(transcript, t.transcriptMs());
    record(firstToken, t.firstTokenMs());
    record(firstAudio, t.firstAudioMs());
    record(done, t.doneMs());
    Double o = t.overheadMs();
    if (o != null) {
      record(overhead, Math.max(0, o));
    }
    responses.get(status).increment();
  }

  private static void record(Timer timer, Double ms) {
    if (ms != null) {
      timer.record(Duration.ofNanos((long) (ms * 1e6)));
    }
  }
}
