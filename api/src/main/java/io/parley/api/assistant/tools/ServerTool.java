package io.parley.api.assistant.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * A tool Parley runs for the assistant, over its own stores, with the permissions of the user whose
 * session called it: every store call names the caller's user, so another user's ids find nothing.
 * Registered in {@link ServerTools}, which offers it to the model, asks for confirmation before a
 * write, bounds its time and turns its failures into results.
 */
public interface ServerTool {

  /**
   * Who calls: the session's user, the conversation the call was made in (null outside one), and
   * where from, for the audit log: the client IP (of the HTTP request the call was made in, or of
   * the realtime session's handshake) and the request id (null for a realtime session's calls).
   */
  record Caller(UUID user, UUID conversation, String ip, String requestId) {
    public Caller(UUID user, UUID conversation) {
      this(user, conversation, null, null);
    }
  }

  /** A tool from its parts. */
  record Defined(String name, String description, JsonObject parameters, boolean writes,
                 BiFunction<Caller, JsonObject, Future<JsonObject>> body) implements ServerTool {
    @Override
    public Future<JsonObject> run(Caller caller, JsonObject args) {
      return body.apply(caller, args);
    }
  }

  /** The function name the model calls ({@code [A-Za-z0-9_-]{1,64}}). */
  String name();

  /** What it does, for the model. */
  String description();

  /** A JSON Schema of its arguments (an object schema). */
  JsonObject parameters();

  /** True when it changes the user's data: the model must call it again with {@code confirm: true}. */
  boolean writes();

  /**
   * Runs it for {@code caller} with the model's arguments (an object). The result goes to the model
   * as JSON; a failed future becomes an error result ({@link ToolError} messages are shown as they are).
   */
  Future<JsonObject> run(Caller caller, JsonObject args);
}
