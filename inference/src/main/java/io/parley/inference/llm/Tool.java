package io.parley.inference.llm;

import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A function the model may call, as in OpenAI's
 * <a href="https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools">tools</a>:
 * a name, what it does, and its parameters as a JSON Schema object.
 *
 * @param name {@link #NAME}: letters, digits, {@code _} and {@code -}, at most 64
 * @param description what the function does, for the model ("" when none)
 * @param parameters a JSON Schema of the arguments object (copied; an empty schema accepts any object)
 */
public record Tool(String name, String description, JsonObject parameters) {

  /** What a function name may be (OpenAI's rule). */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public Tool {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    parameters = Objects.requireNonNull(parameters, "parameters").copy();
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a tool name is 1..64 letters, digits, _ or -: " + name);
    }
  }

  @Override
  public JsonObject parameters() {
    return parameters.copy();
  }

  /** The OpenAI wire form: {@code {"type":"function","function":{name, description, parameters}}}. */
  public JsonObject toJson() {
    JsonObject function = new JsonObject().put("name", name);
    if (!description.isEmpty()) {
      function.put("description", description);
    }
    return new JsonObject().put("type", "function").put("function", function.put("parameters", parameters.copy()));
  }
}
