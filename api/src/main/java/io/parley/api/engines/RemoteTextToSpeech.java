package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.tts.TtsVoice;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Speech synthesis in the speech worker process. As the interface asks, the sink is called on the
 * calling thread: audio frames queue here and are handed over as they come; a cancellation is sent
 * to the worker once, and the synthesis ends when the worker says it stopped.
 */
final class RemoteTextToSpeech implements TextToSpeech {

  /** How often a waiting synthesis looks at its cancellation flag. */
  private static final long POLL_MS = 20;

  private static final Object DONE = new Object();

  private final WorkerProcess worker;
  private final int sampleRate;
  private final String voice;
  private final List<TtsVoice> voices;

  RemoteTextToSpeech(WorkerProcess worker, JsonObject hello) {
    this.worker = worker;
    this.sampleRate = hello.getInteger("sampleRate");
    this.voice = hello.getString("voice");
    this.voices = EngineWire.voices(hello.getJsonArray("voices"));
  }

  @Override
  public int sampleRate() {
    return sampleRate;
  }

  @Override
  public void synthesize(String text, SpeechStyle style, AudioSink sink, BooleanSupplier cancelled) {
    BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    long id = worker.send(Type.SPEAK, new JsonObject().put("text", text).put("voice", style.voice())
        .put("speed", style.speed()), new byte[0], new WorkerProcess.Call() {
          @Override
          public boolean frame(Frame f) {
            switch (f.type()) {
              case AUDIO -> frames.add(EngineWire.shorts(f.payload()));
              case DONE -> frames.add(DONE);
              default -> frames.add(EngineWire.failure(f.header()));
            }
            return f.type() != Type.AUDIO;
          }

          @Override
          public void lost(ParleyException e) {
            frames.add(e);
          }
        });
    boolean cancelSent = false;
    while (true) {
      if (!cancelSent && cancelled.getAsBoolean()) {
        worker.cancel(id);
        cancelSent = true;
      }
      Object next;
      try {
        next = frames.poll(POLL_MS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        worker.cancel(id);
        return;
      }
      if (next == DONE) {
        return;
      }
      if (next instanceof short[] samples) {
        if (!cancelSent) {
          try {
            sink.audio(samples);
          } catch (RuntimeException e) {
            worker.cancel(id);
            throw e;
          }
        }
      } else if (next instanceof RuntimeException e) {
        throw e;
      }
    }
  }

  @Override
  public String voice() {
    return voice;
  }

  @Override
  public List<TtsVoice> voices() {
    return voices;
  }

  @Override
  public void close() {
    // the worker process owns the engine
  }
}
