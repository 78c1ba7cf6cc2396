package io.parley.api.assistant.tools;

import io.parley.api.accounts.AuditLog;
import io.parley.core.ParleyException;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.voice.ToolRunner;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server tools and how they run for one user's session ({@link #forSession}): the model's arguments parsed,
 * a write refused until the model calls it again with {@code confirm: true} (after asking the user),
 * each call bounded by the timeout, and every failure, timeout or refusal returned to the model as an
 * {@code {"error": ...}} result, never a failed session.
 */
public final class ServerTools {

  private static final Logger LOG = LoggerFactory.getLogger(ServerTools.class);

  private final Map<String, ServerTool> tools = new LinkedHashMap<>();
  private final List<Tool> offered;
  private final Duration timeout;
  private final AuditLog audit;

  /** Tools whose writes are not audited (tests of the tools alone). */
  public ServerTools(List<ServerTool> tools, Duration timeout) {
    this(tools, timeout, null);
  }

  /**
   * Tools whose writes are audited: a write that changed something is recorded as {@code tool.NAME}
   * with the caller, the conversation and what it changed ({@link #target}).
   */
  public ServerTools(List<ServerTool> tools, Duration timeout, AuditLog audit) {
    this.audit = audit;
    for (ServerTool t : tools) {
      if (this.tools.put(t.name(), t) != null) {
        throw new IllegalArgumentException("two server tools are named " + t.name());
      }
    }
    this.offered = tools.stream().map(ServerTools::offer).toList();
    this.timeout = timeout;
  }

  /** The model's view of a tool: a write's schema gains {@code confirm}. */
  private static Tool offer(ServerTool t) {
    JsonObject schema = t.parameters();
    String description = t.description();
    if (t.writes()) {
      JsonObject properties = schema.getJsonObject("properties", new JsonObject()).copy()
          .put("confirm", new JsonObject().put("type", "boolean").put("description",
              "true only after the user agreed to this change in the conversation"));
      schema = schema.copy().put("properties", properties);
      description += " Changes the user's data: first ask the user, then call again with confirm true.";
    }
    return new Tool(t.name(), description, schema);
  }

  public List<Tool> tools() {
    return offered;
  }

  /**
   * The tools as the voice pipeline runs them for {@code user} in {@code conversation} (or null),
   * in a realtime session whose client is at {@code clientIp}.
   */
  public ToolRunner forSession(UUID user, UUID conversation, String clientIp) {
    return forCaller(new ServerTool.Caller(user, conversation, clientIp, null));
  }

  /** The tools as they run for {@code caller} (a chat completion's: with its client IP and request id). */
  public ToolRunner forCaller(ServerTool.Caller caller) {
    return new ToolRunner() {
      @Override
      public List<Tool> tools() {
        return offered;
      }

      @Override
      public Future<String> run(ToolCall call) {
        return ServerTools.this.run(caller, call).map(JsonObject::encode);
      }
    };
  }

  /** Runs one call for {@code caller}: its result, or an {@code error} result; never a failed future. */
  public Future<JsonObject> run(ServerTool.Caller caller, ToolCall call) {
    ServerTool tool = tools.get(call.name());
    if (tool == null) {
      return Future.succeededFuture(error("no such tool: " + call.name()));
    }
    JsonObject args;
    try {
      args = call.arguments().isBlank() ? new JsonObject() : new JsonObject(call.arguments());
    } catch (RuntimeException e) {
      return Future.succeededFuture(error("the arguments are not a JSON object: " + e.getMessage()));
    }
    if (tool.writes() && !Boolean.TRUE.equals(args.getValue("confirm"))) {
      return Future.succeededFuture(new JsonObject().put("status", "confirmation_required")
          .put("message", "Nothing was changed. Tell the user what " + tool.name() + " will do with these"
              + " arguments and ask them to confirm; if they agree, call " + tool.name()
              + " again with the same arguments and confirm: true.")
          .put("arguments", args));
    }
    args.remove("confirm");
    Future<JsonObject> result;
    try {
      result = tool.run(caller, args);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    if (tool.writes() && audit != null) {
      result = result.compose(r -> audited(tool, caller, r));
    }
    return result.timeout(timeout.toMillis(), TimeUnit.MILLISECONDS).recover(e -> {
      if (e instanceof TimeoutException) {
        return Future.succeededFuture(error(tool.name() + " did not answer within " + timeout.toMillis() + " ms"
            + (tool.writes() ? "; the change may still be applied, check before trying again" : "")));
      }
      if (e instanceof ToolError || e instanceof ParleyException || e instanceof IllegalArgumentException) {
        return Future.succeededFuture(error(e.getMessage()));
      }
      LOG.warn("assistant: tool {} failed: {}", tool.name(), e.toString());
      return Future.succeededFuture(error(tool.name() + " failed; tell the user it could not be done now"));
    });
  }

  /** {@code result}, once the write it reports is in the audit log (when it changed anything). */
  private Future<JsonObject> audited(ServerTool tool, ServerTool.Caller caller, JsonObject result) {
    String target = target(result);
    if (target == null) {
      return Future.succeededFuture(result);
    }
    JsonObject details = new JsonObject().put("tool", tool.name())
        .put("conversation_id", caller.conversation() == null ? null : caller.conversation().toString());
    return audit.record(new AuditLog.Who(caller.user(), caller.ip(), caller.requestId()), "tool." + tool.name(),
        caller.user(), target,
        details).map(result);
  }

  /**
   * What a write's result says it changed, as {@code kind:id[,id...]}: the id of a nested object
   * ({@code meal}, {@code appointment}, {@code memory}), a top-level {@code id}, or the ids of what
   * was {@code forgotten}; null when it changed nothing.
   */
  static String target(JsonObject result) {
    for (String kind : result.fieldNames()) {
      if (result.getValue(kind) instanceof JsonObject o && o.getValue("id") != null) {
        return kind + ":" + o.getValue("id");
      }
    }
    if (result.getValue("id") != null) {
      return "id:" + result.getValue("id");
    }
    if (result.getValue("forgotten") instanceof io.vertx.core.json.JsonArray gone && !gone.isEmpty()) {
      List<String> idsGone = gone.stream().map(g -> g instanceof JsonObject o ? String.valueOf(o.getValue("id"))
          : String.valueOf(g)).toList();
      return "memory:" + String.join(",", idsGone);
    }
    return null;
  }

  static JsonObject error(String message) {
    return new JsonObject().put("error", message);
  }
}
