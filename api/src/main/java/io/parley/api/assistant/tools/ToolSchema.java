package io.parley.api.assistant.tools;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/** The pieces of the tools' argument schemas, and reading an id argument. */
final class ToolSchema {

  private ToolSchema() {}

  static JsonObject string(String description) {
    return new JsonObject().put("type", "string").put("description", description);
  }

  /** An object schema of {@code properties}, no others allowed. */
  static JsonObject schema(JsonObject properties, List<String> required) {
    return new JsonObject().put("type", "object").put("properties", properties)
        .put("required", new JsonArray(required)).put("additionalProperties", false);
  }

  /** The id argument {@code key}, or a {@link ToolError} the model reads. */
  static UUID id(JsonObject args, String key) {
    try {
      return UUID.fromString(args.getString(key, ""));
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new ToolError(key + " must be an id as given by the tools");
    }
  }
}
