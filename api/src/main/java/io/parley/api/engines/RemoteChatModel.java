package io.parley.api.engines;

import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.core.ParleyException;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * llama.cpp in the chat worker process. The sink is called on the worker's reader thread, one
 * completion's calls in order; a completion whose worker died ends with {@code failed}
 * ({@code engine_restarted}).
 */
final class RemoteChatModel implements ChatModel {

  private final WorkerProcess worker;
  private final String model;

  RemoteChatModel(WorkerProcess worker, JsonObject hello) {
    this.worker = worker;
    this.model = hello.getString("model");
  }

  @Override
  public Completion stream(ChatRequest request, Sink sink) {
    Promise<String> finished = Promise.promise();
    AtomicBoolean over = new AtomicBoolean();
    long id;
    try {
      id = worker.send(Type.CHAT, EngineWire.chatRequest(request), new byte[0], new WorkerProcess.Call() {
        @Override
        public boolean frame(Frame f) {
          JsonObject h = f.header();
          switch (f.type()) {
            case PIECE -> sink.piece(h.getString("text"));
            case TOOL_STARTED -> sink.toolCallStarted(h.getInteger("index"), h.getString("id"), h.getString("name"));
            case TOOL_ARGUMENTS -> sink.toolCallArguments(h.getInteger("index"), h.getString("delta"));
            case TOOL_DONE -> sink.toolCallDone(h.getInteger("index"), EngineWire.toolCall(h));
            case DONE -> {
              end(() -> sink.done(h.getString("finish")));
              finished.tryComplete(h.getString("finish"));
              return true;
            }
            default -> {
              lost(EngineWire.failure(h));
              return true;
            }
          }
          return false;
        }

        @Override
        public void lost(ParleyException e) {
          end(() -> sink.failed(e));
          finished.tryFail(e);
        }

        private void end(Runnable last) {
          if (over.compareAndSet(false, true)) {
            last.run();
          }
        }
      });
    } catch (ParleyException e) {
      sink.failed(e);
      finished.tryFail(e);
      return new Completion() {
        @Override
        public void cancel() {}

        @Override
        public Future<String> finished() {
          return finished.future();
        }
      };
    }
    return new Completion() {
      @Override
      public void cancel() {
        worker.cancel(id);
      }

      @Override
      public Future<String> finished() {
        return finished.future();
      }
    };
  }

  @Override
  public String model() {
    return model;
  }

  @Override
  public void close() {
    // the worker process owns the engine
  }
}
