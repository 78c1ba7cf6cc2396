package io.parley.inference.llm;

import java.util.Objects;

/**
 * A call of a function tool the model made: its id (unique in the conversation, echoed by the
 * tool message that answers it), the function's name and the arguments as the JSON text the model
 * wrote (an object, when the model kept to the schema; parse before use).
 */
public record ToolCall(String id, String name, String arguments) {
  public ToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
  }
}
