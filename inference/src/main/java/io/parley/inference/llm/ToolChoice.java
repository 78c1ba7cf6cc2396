package io.parley.inference.llm;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether the model may, must or must not call a tool, as OpenAI's {@code tool_choice}:
 * {@code auto} (the model decides), {@code none}, {@code required} (at least one call), or one
 * named function that must be called.
 */
public record ToolChoice(Mode mode, Optional<String> function) {

  public enum Mode { AUTO, NONE, REQUIRED, FUNCTION }

  public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, Optional.empty());
  public static final ToolChoice NONE = new ToolChoice(Mode.NONE, Optional.empty());
  public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, Optional.empty());

  public ToolChoice {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(function, "function");
    if ((mode == Mode.FUNCTION) != function.isPresent()) {
      throw new IllegalArgumentException("a function, and only it, names the function to call");
    }
  }

  /** The model must call this function. */
  public static ToolChoice function(String name) {
    return new ToolChoice(Mode.FUNCTION, Optional.of(name));
  }

  /** True when the model must call a tool (required or a named function). */
  public boolean forced() {
    return mode == Mode.REQUIRED || mode == Mode.FUNCTION;
  }

  /** The OpenAI wire form: a string, or {@code {"type":"function","function":{"name":...}}}. */
  public Object toJson() {
    return switch (mode) {
      case AUTO -> "auto";
      case NONE -> "none";
      case REQUIRED -> "required";
      case FUNCTION -> new io.vertx.core.json.JsonObject().put("type", "function")
          .put("function", new io.vertx.core.json.JsonObject().put("name", function.orElseThrow()));
    };
  }
}
