package io.parley.api.assistant;

import io.parley.api.http.ApiProblem;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.llm.ToolChoice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the body of {@code POST /v1/chat/completions} into a {@link ChatRequest}: the messages
 * (system, developer, user, assistant with or without {@code tool_calls}, and {@code tool} results),
 * the <a href="https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools">function
 * tools</a> and {@code tool_choice}, and the sampling limits. Every rule OpenAI enforces on these
 * is a 400 naming the field: a tool message must answer a call of an earlier assistant message,
 * {@code tool_choice} must name one of the tools, and so on.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/chat/create">Create chat completion</a>
 */
final class OpenAiChatRequests {

  /** Largest number of messages in one chat request. */
  static final int MAX_MESSAGES = 256;
  /** Largest total characters of message content (and tool call arguments) in one chat request. */
  static final int MAX_CONTENT_CHARS = 200_000;
  /** Most tools in one request (OpenAI's limit). */
  static final int MAX_TOOLS = 128;
  /** Most characters of all tool definitions together. */
  static final int MAX_TOOLS_CHARS = 100_000;
  /** Most tool calls in one assistant message. */
  static final int MAX_TOOL_CALLS = 128;

  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "developer", "tool");

  private OpenAiChatRequests() {}

  static ChatRequest parse(JsonObject body) {
    List<Tool> tools = tools(body.getValue("tools"));
    ToolChoice choice = toolChoice(body.getValue("tool_choice"), tools);
    Object parallel = body.getValue("parallel_tool_calls");
    if (parallel != null && !(parallel instanceof Boolean)) {
      throw ApiProblem.field("/parallel_tool_calls", "type", "parallel_tool_calls must be a boolean");
    }
    List<ChatMessage> messages = messages(body.getValue("messages"));
    int maxTokens = 256;
    Object limit = body.getValue("max_completion_tokens", body.getValue("max_tokens"));
    if (limit != null) {
      if (!(limit instanceof Number n) || n.intValue() < 1 || n.intValue() > 32_768) {
        throw ApiProblem.field("/max_tokens", "range", "max_tokens must be an integer in 1..32768");
      }
      maxTokens = n.intValue();
    }
    double temperature = 0.7;
    Object t = body.getValue("temperature");
    if (t != null) {
      if (!(t instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 2) {
        throw ApiProblem.field("/temperature", "range", "temperature must be a number in 0..2");
      }
      temperature = n.doubleValue();
    }
    return new ChatRequest(messages, maxTokens, temperature, tools, choice);
  }

  /**
   * Parley's own part of the body, {@code "parley": {"tools": false}}: whether Parley's server tools
   * are offered next to the client's (default on, as in a realtime session's {@code parley.tools}).
   */
  static boolean serverTools(JsonObject body) {
    Object parley = body.getValue("parley");
    if (parley == null) {
      return true;
    }
    if (!(parley instanceof JsonObject p)) {
      throw ApiProblem.field("/parley", "type", "parley must be an object, e.g. {\"tools\": false}");
    }
    Object tools = p.getValue("tools");
    if (tools != null && !(tools instanceof Boolean)) {
      throw ApiProblem.field("/parley/tools", "type", "parley.tools must be true or false");
    }
    return !Boolean.FALSE.equals(tools);
  }

  private static List<ChatMessage> messages(Object value) {
    if (!(value instanceof JsonArray messages) || messages.isEmpty()) {
      throw ApiProblem.field("/messages", "required", "messages must be a non-empty array");
    }
    if (messages.size() > MAX_MESSAGES) {
      throw ApiProblem.field("/messages", "maxItems", "at most " + MAX_MESSAGES + " messages");
    }
    List<ChatMessage> out = new ArrayList<>();
    Set<String> calledIds = new HashSet<>();
    int chars = 0;
    for (int i = 0; i < messages.size(); i++) {
      String at = "/messages/" + i;
      if (!(messages.getValue(i) instanceof JsonObject m)) {
        throw ApiProblem.field(at, "type", "each message must be an object");
      }
      String role = m.getValue("role") instanceof String r ? r : null;
      if (role == null || !ROLES.contains(role)) {
        throw ApiProblem.field(at + "/role", "enum", "role must be system, developer, user, assistant or tool");
      }
      List<ToolCall> calls = role.equals("assistant") ? toolCalls(m.getValue("tool_calls"), at) : List.of();
      if (!role.equals("assistant") && m.getValue("tool_calls") != null) {
        throw ApiProblem.field(at + "/tool_calls", "not", "only an assistant message has tool_calls");
      }
      Object c = m.getValue("content");
      String content = c == null && !calls.isEmpty() ? "" : content(c, at);
      chars += content.length() + calls.stream().mapToInt(call -> call.arguments().length()).sum();
      if (chars > MAX_CONTENT_CHARS) {
        throw ApiProblem.field("/messages", "maxLength", "at most " + MAX_CONTENT_CHARS + " characters of content");
      }
      ChatMessage message;
      if (role.equals("tool")) {
        if (!(m.getValue("tool_call_id") instanceof String id) || id.isEmpty()) {
          throw ApiProblem.field(at + "/tool_call_id", "required", "a tool message needs the tool_call_id it answers");
        }
        if (!calledIds.contains(id)) {
          throw ApiProblem.field(at + "/tool_call_id", "const", "a tool message must answer a call of an earlier "
              + "assistant message's tool_calls; there is none with id " + id);
        }
        message = ChatMessage.tool(id, content);
      } else if (!calls.isEmpty()) {
        calls.forEach(call -> calledIds.add(call.id()));
        message = ChatMessage.assistant(content, calls);
      } else {
        message = new ChatMessage("developer".equals(role) ? "system" : role, content);
      }
      out.add(message);
    }
    return out;
  }

  /** An assistant message's {@code tool_calls}: absent, or an array of function calls. */
  private static List<ToolCall> toolCalls(Object value, String at) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array) || array.size() > MAX_TOOL_CALLS) {
      throw ApiProblem.field(at + "/tool_calls", "type", "tool_calls must be an array of at most " + MAX_TOOL_CALLS
          + " calls");
    }
    List<ToolCall> calls = new ArrayList<>();
    for (int j = 0; j < array.size(); j++) {
      String path = at + "/tool_calls/" + j;
      if (!(array.getValue(j) instanceof JsonObject call)) {
        throw ApiProblem.field(path, "type", "each tool call must be an object");
      }
      if (!(call.getValue("id") instanceof String id) || id.isEmpty()) {
        throw ApiProblem.field(path + "/id", "required", "a tool call needs an id");
      }
      if (!"function".equals(call.getValue("type", "function"))) {
        throw ApiProblem.field(path + "/type", "enum", "only function tool calls are supported");
      }
      if (!(call.getValue("function") instanceof JsonObject function)
          || !(function.getValue("name") instanceof String name) || !Tool.NAME.matcher(name).matches()) {
        throw ApiProblem.field(path + "/function/name", "pattern",
            "a tool call needs function.name of 1..64 letters, digits, _ or -");
      }
      if (!(function.getValue("arguments") instanceof String arguments)) {
        throw ApiProblem.field(path + "/function/arguments", "type", "function.arguments must be a string of JSON");
      }
      calls.add(new ToolCall(id, name, arguments));
    }
    return calls;
  }

  /** A message's content: a string, or an array of {type: text, text} parts. */
  private static String content(Object c, String at) {
    if (c instanceof String s) {
      return s;
    }
    if (c instanceof JsonArray parts) {
      StringBuilder sb = new StringBuilder();
      for (Object p : parts) {
        if (p instanceof JsonObject part && "text".equals(part.getString("type")) && part.getValue("text") instanceof String s) {
          sb.append(s);
        } else {
          throw ApiProblem.field(at + "/content", "type", "only text content parts are supported");
        }
      }
      return sb.toString();
    }
    throw ApiProblem.field(at + "/content", "type", "content must be a string or text parts");
  }

  /** {@code tools}: absent, or function tools with unique names and a JSON Schema object of parameters. */
  private static List<Tool> tools(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiProblem.field("/tools", "type", "tools must be an array");
    }
    if (array.size() > MAX_TOOLS) {
      throw ApiProblem.field("/tools", "maxItems", "at most " + MAX_TOOLS + " tools");
    }
    if (array.encode().length() > MAX_TOOLS_CHARS) {
      throw ApiProblem.field("/tools", "maxLength", "the tools take at most " + MAX_TOOLS_CHARS + " characters");
    }
    Map<String, Tool> tools = new LinkedHashMap<>();
    for (int i = 0; i < array.size(); i++) {
      String at = "/tools/" + i;
      if (!(array.getValue(i) instanceof JsonObject tool)) {
        throw ApiProblem.field(at, "type", "each tool must be an object");
      }
      if (!"function".equals(tool.getValue("type"))) {
        throw ApiProblem.field(at + "/type", "enum", "type must be function (the only kind of tool supported)");
      }
      if (!(tool.getValue("function") instanceof JsonObject function)) {
        throw ApiProblem.field(at + "/function", "required", "a function tool needs a function object");
      }
      if (!(function.getValue("name") instanceof String name) || !Tool.NAME.matcher(name).matches()) {
        throw ApiProblem.field(at + "/function/name", "pattern",
            "function.name must be 1..64 letters, digits, _ or -");
      }
      Object description = function.getValue("description");
      if (description != null && !(description instanceof String)) {
        throw ApiProblem.field(at + "/function/description", "type", "function.description must be a string");
      }
      Object parameters = function.getValue("parameters");
      if (parameters != null && !(parameters instanceof JsonObject)) {
        throw ApiProblem.field(at + "/function/parameters", "type",
            "function.parameters must be a JSON Schema object, e.g. {\"type\":\"object\",\"properties\":{...}}");
      }
      JsonObject schema = parameters == null ? new JsonObject().put("type", "object").put("properties", new JsonObject())
          : (JsonObject) parameters;
      if (schema.getValue("type") != null && !"object".equals(schema.getValue("type"))) {
        throw ApiProblem.field(at + "/function/parameters/type", "const", "a function's parameters are an object");
      }
      if (tools.put(name, new Tool(name, description == null ? "" : (String) description, schema)) != null) {
        throw ApiProblem.field(at + "/function/name", "uniqueItems", "two tools are named " + name);
      }
    }
    return List.copyOf(tools.values());
  }

  /** {@code tool_choice}: auto (the default), none, required, or {@code {type: function, function: {name}}}. */
  private static ToolChoice toolChoice(Object value, List<Tool> tools) {
    ToolChoice choice;
    if (value == null) {
      return ToolChoice.AUTO;
    } else if (value instanceof String s) {
      choice = switch (s) {
        case "auto" -> ToolChoice.AUTO;
        case "none" -> ToolChoice.NONE;
        case "required" -> ToolChoice.REQUIRED;
        default -> throw ApiProblem.field("/tool_choice", "enum",
            "tool_choice must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":...}}");
      };
    } else if (value instanceof JsonObject o && "function".equals(o.getValue("type"))
        && o.getValue("function") instanceof JsonObject f && f.getValue("name") instanceof String name) {
      if (tools.stream().noneMatch(t -> t.name().equals(name))) {
        throw ApiProblem.field("/tool_choice/function/name", "enum", "tool_choice names " + name
            + ", which is not one of the tools");
      }
      choice = ToolChoice.function(name);
    } else {
      throw ApiProblem.field("/tool_choice", "type",
          "tool_choice must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":...}}");
    }
    if (choice.forced() && tools.isEmpty()) {
      throw ApiProblem.field("/tool_choice", "dependentRequired", "tool_choice " + value + " needs tools");
    }
    return choice;
  }
}
