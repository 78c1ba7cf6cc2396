package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.stt.Transcript;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Whisper in the speech worker process: each transcription is one call, its samples sent as floats. */
final class RemoteSpeechToText implements SpeechToText {

  private final WorkerProcess worker;
  private final String model;
  private final boolean multilingual;

  RemoteSpeechToText(WorkerProcess worker, JsonObject hello) {
    this.worker = worker;
    this.model = hello.getString("model");
    this.multilingual = hello.getBoolean("multilingual", true);
  }

  @Override
  public Transcript transcribe(float[] samples, Optional<String> language) {
    return call(samples, language, null, false);
  }

  @Override
  public Transcript transcribe(float[] samples, Optional<String> language, String prompt) {
    return call(samples, language, prompt, false);
  }

  @Override
  public Transcript transcribeTimed(float[] samples, Optional<String> language) {
    return call(samples, language, null, true);
  }

  private Transcript call(float[] samples, Optional<String> language, String prompt, boolean timed) {
    CompletableFuture<Transcript> result = new CompletableFuture<>();
    worker.send(Type.TRANSCRIBE, new JsonObject().put("language", language.orElse(null)).put("prompt", prompt)
        .put("timed", timed), EngineWire.floats(samples), new WorkerProcess.Call() {
          @Override
          public boolean frame(Frame f) {
            if (f.type() == Type.TRANSCRIPT) {
              result.complete(EngineWire.transcript(f.header()));
            } else {
              result.completeExceptionally(EngineWire.failure(f.header()));
            }
            return true;
          }

          @Override
          public void lost(ParleyException e) {
            result.completeExceptionally(e);
          }
        });
    return Remote.await(result);
  }

  @Override
  public String model() {
    return model;
  }

  @Override
  public boolean multilingual() {
    return multilingual;
  }

  @Override
  public void close() {
    // the worker process owns the engine
  }
}
