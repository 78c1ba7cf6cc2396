package io.parley.inference.llm;

import io.vertx.core.Future;

/**
 * A streaming chat model. {@link #stream} starts a completion and returns at once; text pieces
 * reach the sink as they are produced (on an engine thread or an event loop, never both at once for
 * one completion), then exactly one of {@link Sink#done} or {@link Sink#failed}. A cancelled
 * completion stops producing as soon as the engine allows and ends with {@code done("cancelled")}.
 */
public interface ChatModel extends AutoCloseable {

  /** Receives one completion's output. */
  interface Sink {
    /** A piece of text (not necessarily a whole token or word; never split inside a UTF-8 character). */
    void piece(String text);

    /** The completion ended: {@code stop}, {@code length} or {@code cancelled}. */
    void done(String finishReason);

    void failed(Throwable error);
  }

  /** A running completion. */
  interface Completion {
    /** Asks the engine to stop; idempotent. */
    void cancel();

    /** Completes with the finish reason when the sink has had its last call. */
    Future<String> finished();
  }

  Completion stream(ChatRequest request, Sink sink);

  /** The model's name, for responses and logs. */
  String model();

  @Override
  void close();
}
