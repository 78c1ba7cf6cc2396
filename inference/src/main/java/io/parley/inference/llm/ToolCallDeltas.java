package io.parley.inference.llm;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * Turns the {@code delta.tool_calls} of streamed
 * <a href="https://platform.openai.com/docs/api-reference/chat-streaming/streaming">chat completion
 * chunks</a> into a sink's tool call events. OpenAI sends a call's {@code index}, {@code id},
 * {@code type} and {@code function.name} (with empty arguments) first, then pieces of
 * {@code function.arguments} under the same index; the next call has the next index. Some servers
 * send the name and all arguments in one delta, or no id (one is made up then); either works. A
 * call is done when the next index starts or the choice finishes. Not thread-safe: one stream's
 * events, in order.
 */
final class ToolCallDeltas {

  /** Most calls in one completion. */
  static final int MAX_CALLS = 128;

  /** The deltas break the format (a call without a name, an index going back). */
  static final class MalformedException extends RuntimeException {
    MalformedException(String message) {
      super(message);
    }
  }

  private final ChatModel.Sink sink;
  private int count;
  // The open call, if any.
  private int index = -1;
  private String id;
  private String name;
  private final StringBuilder arguments = new StringBuilder();
  private boolean started;

  ToolCallDeltas(ChatModel.Sink sink) {
    this.sink = sink;
  }

  /** How many calls have been started. */
  int count() {
    return count;
  }

  void accept(JsonArray deltas) {
    for (int i = 0; i < deltas.size(); i++) {
      if (!(deltas.getValue(i) instanceof JsonObject delta)) {
        throw new MalformedException("a tool_calls entry is not an object");
      }
      accept(delta);
    }
  }

  private void accept(JsonObject delta) {
    Object at = delta.getValue("index");
    int i = at instanceof Number n ? n.intValue() : Math.max(index, 0);
    if (i < index) {
      throw new MalformedException("tool call " + i + " continued after call " + index + " began");
    }
    if (i > index) {
      finish();
      if (count == MAX_CALLS) {
        throw new MalformedException("more than " + MAX_CALLS + " tool calls");
      }
      index = i;
    }
    if (id == null && delta.getValue("id") instanceof String s && !s.isEmpty()) {
      id = s;
    }
    JsonObject function = delta.getValue("function") instanceof JsonObject f ? f : new JsonObject();
    if (name == null && function.getValue("name") instanceof String s && !s.isEmpty()) {
      name = s;
    }
    String piece = function.getValue("arguments") instanceof String s ? s : "";
    if (!started && name != null) {
      started = true;
      if (id == null) {
        id = "call_" + UUID.randomUUID().toString().replace("-", "");
      }
      sink.toolCallStarted(count++, id, name);
      piece = arguments + piece; // what came before the name
      arguments.setLength(0);
    }
    if (!piece.isEmpty()) {
      arguments.append(piece);
      if (started) {
        sink.toolCallArguments(count - 1, piece);
      }
    }
  }

  /** Ends the open call, if any; idempotent. */
  void finish() {
    if (index < 0 || id == null && name == null && arguments.isEmpty()) {
      return;
    }
    if (!started) {
      throw new MalformedException("tool call " + index + " has no function name");
    }
    if (arguments.isEmpty()) {
      arguments.append("{}"); // a function without parameters: its arguments are still an object
      sink.toolCallArguments(count - 1, "{}");
    }
    sink.toolCallDone(count - 1, new ToolCall(id, name, arguments.toString()));
    id = null;
    name = null;
    arguments.setLength(0);
    started = false;
  }
}
