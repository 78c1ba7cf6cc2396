package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.parley.inference.vision.Detections;
import io.parley.inference.vision.ObjectDetector;
import io.parley.inference.vision.RgbImage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** The photo detector in the vision worker process; the answer completes on the caller's context. */
final class RemoteDetector implements ObjectDetector {

  private final WorkerProcess worker;
  private final String model;
  private final String modelVersion;

  RemoteDetector(WorkerProcess worker, JsonObject hello) {
    this.worker = worker;
    this.model = hello.getString("model");
    this.modelVersion = hello.getString("modelVersion");
  }

  @Override
  public Future<Detections> detect(RgbImage image) {
    Promise<Detections> promise = Promise.promise();
    Context context = Vertx.currentContext();
    try {
      worker.send(Type.DETECT, new JsonObject().put("width", image.width()).put("height", image.height()), image.rgb(),
          new WorkerProcess.Call() {
            @Override
            public boolean frame(Frame f) {
              if (f.type() == Type.DETECTIONS) {
                Detections d = EngineWire.detections(f.header());
                complete(() -> promise.tryComplete(d));
              } else {
                ParleyException e = EngineWire.failure(f.header());
                complete(() -> promise.tryFail(e));
              }
              return true;
            }

            @Override
            public void lost(ParleyException e) {
              complete(() -> promise.tryFail(e));
            }

            private void complete(Runnable r) {
              if (context == null) {
                r.run();
              } else {
                context.runOnContext(v -> r.run());
              }
            }
          });
    } catch (ParleyException e) {
      return Future.failedFuture(e);
    }
    return promise.future();
  }

  @Override
  public String model() {
    return model;
  }

  @Override
  public String modelVersion() {
    return modelVersion;
  }

  @Override
  public void close() {
    // the worker process owns the engine
  }
}
