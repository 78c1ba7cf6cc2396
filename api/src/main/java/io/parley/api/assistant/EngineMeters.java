package io.parley.api.assistant;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.tts.TtsVoice;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Work in flight on this node's voice engines, as Prometheus gauges: {@code parley_llm_completions_active}
 * (chat completions started and not yet finished) and {@code parley_tts_syntheses_active} (speech
 * syntheses running on a TTS worker). Both fall back to zero when sessions end: a session that goes
 * away mid-answer cancels its completion and synthesis, and these show that the workers were freed.
 */
final class EngineMeters {

  private final AtomicInteger completions = new AtomicInteger();
  private final AtomicInteger syntheses = new AtomicInteger();

  EngineMeters(MeterRegistry registry) {
    Gauge.builder("parley.llm.completions.active", completions, AtomicInteger::get)
        .description("Chat completions running on this node").register(registry);
    Gauge.builder("parley.tts.syntheses.active", syntheses, AtomicInteger::get)
        .description("Speech syntheses running on this node's TTS workers").register(registry);
  }

  ChatModel count(ChatModel model) {
    return new ChatModel() {
      @Override
      public Completion stream(ChatRequest request, Sink sink) {
        completions.incrementAndGet();
        Completion c;
        try {
          c = model.stream(request, sink);
        } catch (RuntimeException e) {
          completions.decrementAndGet();
          throw e;
        }
        c.finished().onComplete(ar -> completions.decrementAndGet());
        return c;
      }

      @Override
      public String model() {
        return model.model();
      }

      @Override
      public void close() {
        model.close();
      }
    };
  }

  TextToSpeech count(TextToSpeech tts) {
    return new TextToSpeech() {
      @Override
      public int sampleRate() {
        return tts.sampleRate();
      }

      @Override
      public void synthesize(String text, SpeechStyle style, AudioSink sink, BooleanSupplier cancelled) {
        syntheses.incrementAndGet();
        try {
          tts.synthesize(text, style, sink, cancelled);
        } finally {
          syntheses.decrementAndGet();
        }
      }

      @Override
      public String voice() {
        return tts.voice();
      }

      @Override
      public List<TtsVoice> voices() {
        return tts.voices();
      }

      @Override
      public Optional<TtsVoice> voiceSpeaking(String tag) {
        return tts.voiceSpeaking(tag);
      }

      @Override
      public TtsVoice voiceNamed(String name) {
        return tts.voiceNamed(name);
      }

      @Override
      public void close() {
        tts.close();
      }
    };
  }
}
