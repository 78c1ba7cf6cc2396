package io.parley.inference.llm;

import io.vertx.core.Future;

/**
 * A streaming chat model. {@link #stream} starts a completion and returns at once; text pieces
 * reach the sink as they are produced (on an engine thread or an event loop, never both at once for
 * one completion), then exactly one of {@link Sink#done} or {@link Sink#failed}. A cancelled
 * completion stops producing as soon as the engine allows and ends with {@code done("cancelled")}.
 *
 * <p><b>Tool calls.</b> When the request offers tools, the model may call them instead of (or after)
 * answering in text. Each call reaches the sink as {@link Sink#toolCallStarted} (its index in this
 * completion, counting from 0, its id and the function's name), then {@link Sink#toolCallArguments}
 * pieces of the arguments' JSON text, then {@link Sink#toolCallDone} with the whole call; calls come
 * one after the other (a call is done before the next starts), and the completion then ends with
 * {@code done("tool_calls")}. This is the shape of both OpenAI streaming APIs: Chat Completions'
 * {@code tool_calls} deltas and Realtime's {@code response.output_item.added} /
 * {@code response.function_call_arguments.delta} / {@code .done}. The caller runs the calls and sends
 * a new request with the assistant's {@link ChatMessage#assistant(String, java.util.List) calls} and
 * one {@link ChatMessage#tool tool message} per result.
 */
public interface ChatModel extends AutoCloseable {

  /** Receives one completion's output. */
  interface Sink {
    /** A piece of text (not necessarily a whole token or word; never split inside a UTF-8 character). */
    void piece(String text);

    /** A tool call begins: {@code index} counts the calls of this completion from 0. */
    default void toolCallStarted(int index, String id, String name) {}

    /** The next piece of the arguments of the call {@code index} (JSON text, split anywhere). */
    default void toolCallArguments(int index, String delta) {}

    /** The call {@code index} is complete; {@code call.arguments()} is all its pieces joined. */
    default void toolCallDone(int index, ToolCall call) {}

    /** The completion ended: {@code stop}, {@code length}, {@code tool_calls} or {@code cancelled}. */
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
