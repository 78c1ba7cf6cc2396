package io.parley.api.assistant.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A tool Parley runs for the assistant, over its own stores, with the permissions of the user whose
 * session called it: every store call names {@code user}, so another user's ids find nothing.
 * Registered in {@link ServerTools}, which offers it to the model, asks for confirmation before a
 * write, bounds its time and turns its failures into results.
 */
public interface ServerTool {

  /** The function name the model calls ({@code [A-Za-z0-9_-]{1,64}}). */
  String name();

  /** What it does, for the model. */
  String description();

  /** A JSON Schema of its arguments (an object schema). */
  JsonObject parameters();

  /** True when it changes the user's data: the model must call it again with {@code confirm: true}. */
  boolean writes();

  /**
   * Runs it for {@code user} with the model's arguments (an object). The result goes to the model
   * as JSON; a failed future becomes an error result ({@link ToolError} messages are shown as they are).
   */
  Future<JsonObject> run(UUID user, JsonObject args);
}
