package io.parley.api.assistant.realtime;

import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The Realtime form of function tools, in {@code session.tools} and {@code response.tools}:
 * {@code {type: "function", name, description, parameters}} (flat, unlike Chat Completions'), and
 * {@code tool_choice}: {@code auto}, {@code none}, {@code required} or {@code {type: "function", name}}.
 */
public final class RealtimeTools {

  /** Most tools a client may offer. */
  static final int MAX_TOOLS = 128;

  private RealtimeTools() {}

  /** {@code value} as tools ({@code param}: where it was, for errors). */
  public static List<Tool> tools(Object value, String param, String eventId) throws RealtimeProtocolException {
    if (!(value instanceof JsonArray array) || array.size() > MAX_TOOLS) {
      throw new RealtimeProtocolException("invalid_value", param + " must be an array of at most " + MAX_TOOLS
          + " function tools", param, eventId);
    }
    List<Tool> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String at = param + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject t) || !"function".equals(t.getValue("type"))) {
        throw new RealtimeProtocolException("invalid_value", at + " must be {\"type\":\"function\",...}; Parley"
            + " offers only function tools", at, eventId);
      }
      if (!(t.getValue("name") instanceof String name) || !Tool.NAME.matcher(name).matches()) {
        throw new RealtimeProtocolException("invalid_value", at + ".name must be 1..64 letters, digits, _ or -",
            at + ".name", eventId);
      }
      if (!names.add(name)) {
        throw new RealtimeProtocolException("invalid_value", "two tools are named " + name, at + ".name", eventId);
      }
      Object description = t.getValue("description");
      Object parameters = t.getValue("parameters");
      if (description != null && !(description instanceof String) || parameters != null
          && !(parameters instanceof JsonObject)) {
        throw new RealtimeProtocolException("invalid_value", at + ": description must be a string and parameters"
            + " a JSON Schema object", at, eventId);
      }
      out.add(new Tool(name, description == null ? "" : (String) description,
          parameters == null ? new JsonObject().put("type", "object") : (JsonObject) parameters));
    }
    return out;
  }

  /** {@code value} as a tool choice over {@code tools}. */
  public static ToolChoice choice(Object value, List<Tool> tools, String param, String eventId)
      throws RealtimeProtocolException {
    ToolChoice choice;
    if (value instanceof String s) {
      choice = switch (s) {
        case "auto" -> ToolChoice.AUTO;
        case "none" -> ToolChoice.NONE;
        case "required" -> ToolChoice.REQUIRED;
        default -> null;
      };
    } else if (value instanceof JsonObject o && "function".equals(o.getValue("type"))
        && o.getValue("name") instanceof String name) {
      if (tools.stream().noneMatch(t -> t.name().equals(name))) {
        throw new RealtimeProtocolException("invalid_value", param + " names " + name + ", which is no tool", param,
            eventId);
      }
      choice = ToolChoice.function(name);
    } else {
      choice = null;
    }
    if (choice == null) {
      throw new RealtimeProtocolException("invalid_value", param + " must be auto, none, required or"
          + " {\"type\":\"function\",\"name\":...}", param, eventId);
    }
    return choice;
  }

  public static JsonArray toJson(List<Tool> tools) {
    JsonArray out = new JsonArray();
    for (Tool t : tools) {
      out.add(new JsonObject().put("type", "function").put("name", t.name()).put("description", t.description())
          .put("parameters", t.parameters()));
    }
    return out;
  }

  public static Object toJson(ToolChoice choice) {
    return choice.function().<Object>map(f -> new JsonObject().put("type", "function").put("name", f))
        .orElse(choice.toJson());
  }
}
