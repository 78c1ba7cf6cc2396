package io.parley.inference.llm;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a GGUF model calls tools: the convention its chat template teaches, the text Parley adds when
 * the template knows no tools, the <a href="https://github.com/ggml-org/llama.cpp/blob/master/grammars/README.md">
 * GBNF grammar</a> that holds a call to the tools' JSON Schemas, and the parser of a generated call.
 *
 * <ul>
 *   <li>{@link Format#HERMES} (Qwen2.5, Hermes, and models whose template knows no tools): the tools
 *       as JSON inside {@code <tools></tools>} in the system message; a call is
 *       {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}; a result comes back in
 *       a user turn inside {@code <tool_response></tool_response>}.</li>
 *   <li>{@link Format#LLAMA3} (Llama 3.1+ templates, which have an {@code ipython} turn): the answer
 *       is the call itself, {@code {"name": ..., "parameters": {...}}}; results come back in an
 *       {@code ipython} turn.</li>
 * </ul>
 *
 * Where the template knows tools, llama.cpp renders them with it (its Jinja engine, as its server's
 * {@code --jinja} does); otherwise Parley writes the Hermes text above into the prompt itself.
 */
final class LlamaTools {

  /** The tool call convention of a model. */
  enum Format {
    HERMES("<tool_call>"),
    LLAMA3("{");

    /** The text that starts a call in the model's answer. */
    final String trigger;

    Format(String trigger) {
      this.trigger = trigger;
    }
  }

  static final String CALL_END = "</tool_call>";

  /**
   * The convention a chat template teaches, as llama.cpp recognises it (common/chat.cpp): a template
   * that writes {@code <tool_call>} is Hermes-style; one with an {@code ipython} header is Llama 3.x.
   */
  static Optional<Format> templateFormat(Optional<String> template) {
    if (template.isEmpty()) {
      return Optional.empty();
    }
    String t = template.get();
    if (t.contains("<|start_header_id|>") && t.contains("ipython")) {
      return Optional.of(Format.LLAMA3);
    }
    if (t.contains("<tool_call>")) {
      return Optional.of(Format.HERMES);
    }
    return Optional.empty();
  }

  private LlamaTools() {}

  // ---- Prompt text for templates that know no tools (Qwen2.5's wording) ----

  /** The tools section Parley appends to the system message when the template cannot render tools. */
  static String hermesSystemText(List<Tool> tools) {
    StringBuilder s = new StringBuilder("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
    for (Tool tool : tools) {
      s.append('\n').append(tool.toJson().encode());
    }
    return s.append("\n</tools>\n\nFor each function call, return a json object with function name and arguments "
        + "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
        + "<args-json-object>}\n</tool_call>").toString();
  }

  /** An assistant message's calls as the model writes them (Hermes). */
  static String hermesCalls(List<ToolCall> calls) {
    StringBuilder s = new StringBuilder();
    for (ToolCall call : calls) {
      s.append(s.isEmpty() ? "" : "\n").append("<tool_call>\n{\"name\": \"").append(call.name())
          .append("\", \"arguments\": ").append(call.arguments()).append("}\n</tool_call>");
    }
    return s.toString();
  }

  /** A tool result as Qwen2.5's template passes it back (in a user turn). */
  static String hermesResult(String content) {
    return "<tool_response>\n" + content + "\n</tool_response>";
  }

  // ---- The request as llama.cpp's OpenAI-style template input ----

  /**
   * The {@code messages}, {@code tools} and {@code tool_choice} llama.cpp's template engine takes
   * (system messages joined into the first), every text passed through {@code clean}.
   */
  static JsonObject templateInput(ChatRequest request, UnaryOperator<String> clean) {
    JsonArray messages = new JsonArray();
    StringBuilder system = new StringBuilder();
    for (ChatMessage m : request.messages()) {
      if (m.role().equals("system")) {
        system.append(system.isEmpty() ? "" : "\n\n").append(clean.apply(m.content()));
        continue;
      }
      JsonObject message = new JsonObject().put("role", m.role()).put("content", clean.apply(m.content()));
      if (!m.toolCalls().isEmpty()) {
        JsonArray calls = new JsonArray();
        for (ToolCall c : m.toolCalls()) {
          calls.add(new JsonObject().put("id", c.id()).put("type", "function").put("function",
              new JsonObject().put("name", c.name()).put("arguments", clean.apply(c.arguments()))));
        }
        message.put("tool_calls", calls);
      }
      m.toolCallId().ifPresent(id -> message.put("tool_call_id", id));
      messages.add(message);
    }
    if (!system.isEmpty()) {
      messages.add(0, new JsonObject().put("role", "system").put("content", system.toString()));
    }
    JsonObject input = new JsonObject().put("messages", messages);
    List<Tool> tools = request.callableTools();
    if (!tools.isEmpty()) {
      JsonArray array = new JsonArray();
      for (Tool tool : tools) {
        array.add(new JsonObject(clean.apply(tool.toJson().encode())));
      }
      input.put("tools", array).put("tool_choice", request.toolChoice().forced() ? "required" : "auto");
    }
    return input;
  }

  // ---- Grammar ----

  /** The rule the whole call's JSON gets in the grammar (the converter's own root, renamed). */
  private static final String CALL_RULE = "parley-tool-call";

  /**
   * A grammar for one call of one of {@code tools} in {@code format}, from where the trigger ended:
   * for Hermes the newline after {@code <tool_call>}, the JSON, and {@code \n</tool_call>}; for Llama
   * the JSON object from its first character. The arguments follow each tool's JSON Schema (through
   * llama.cpp's own converter, {@code schemaToGrammar}); the name is one of the tools'.
   */
  static String grammar(Format format, List<Tool> tools, UnaryOperator<String> schemaToGrammar) {
    JsonArray alternatives = new JsonArray();
    String argumentsKey = format == Format.LLAMA3 ? "parameters" : "arguments";
    for (Tool tool : tools) {
      JsonObject parameters = tool.parameters();
      if (parameters.isEmpty() || !parameters.containsKey("type")) {
        parameters.put("type", "object");
      }
      alternatives.add(new JsonObject().put("type", "object")
          .put("properties", new JsonObject().put("name", new JsonObject().put("const", tool.name()))
              .put(argumentsKey, parameters))
          .put("required", new JsonArray().add("name").add(argumentsKey))
          .put("additionalProperties", false));
    }
    JsonObject schema = alternatives.size() == 1 ? alternatives.getJsonObject(0)
        : new JsonObject().put("oneOf", alternatives);
    String converted = renameRule(schemaToGrammar.apply(schema.encode()), "root", CALL_RULE);
    String root = format == Format.HERMES
        ? "root ::= \"\\n\" " + CALL_RULE + " \"\\n" + CALL_END + "\"\n"
        : "root ::= " + CALL_RULE + "\n";
    return root + converted;
  }

  private static final Pattern RULE_NAME = Pattern.compile("(?m)^([A-Za-z0-9-]+)\\s*::=");

  /**
   * {@code grammar} with the rule {@code from} named {@code to}, in its definition and every
   * reference (outside string literals and character classes).
   */
  static String renameRule(String grammar, String from, String to) {
    Set<String> names = new HashSet<>();
    Matcher m = RULE_NAME.matcher(grammar);
    while (m.find()) {
      names.add(m.group(1));
    }
    if (names.contains(to)) {
      throw new IllegalStateException("the grammar already has a rule " + to);
    }
    StringBuilder out = new StringBuilder(grammar.length() + 32);
    int i = 0;
    while (i < grammar.length()) {
      char c = grammar.charAt(i);
      if (c == '"' || c == '[') {
        char close = c == '"' ? '"' : ']';
        int j = i + 1;
        while (j < grammar.length() && grammar.charAt(j) != close) {
          j += grammar.charAt(j) == '\\' ? 2 : 1;
        }
        out.append(grammar, i, Math.min(j + 1, grammar.length()));
        i = j + 1;
      } else if (c == '#') {
        int j = grammar.indexOf('\n', i);
        j = j < 0 ? grammar.length() : j;
        out.append(grammar, i, j);
        i = j;
      } else if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        int j = i;
        while (j < grammar.length() && (Character.isLetterOrDigit(grammar.charAt(j)) || grammar.charAt(j) == '-'
            || grammar.charAt(j) == '_')) {
          j++;
        }
        String word = grammar.substring(i, j);
        out.append(word.equals(from) ? to : word);
        i = j;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /**
   * Watches an answer for the start of a tool call ({@link Format#trigger}), passing on
   * the text before it and holding back only what could still become the trigger.
   */
  static final class CallStart {
    private final Format format;
    private final StringBuilder held = new StringBuilder();
    /** The answer up to the end of the trigger, once triggered. */
    private String written = "";
    private boolean triggered;
    private boolean decided;
    private final StringBuilder all = new StringBuilder();
    private final Consumer<String> out;

    CallStart(Format format, Consumer<String> out) {
      this.format = format;
      this.out = out;
    }

    boolean triggered() {
      return triggered;
    }

    String written() {
      return written;
    }

    boolean accept(String piece) {
      all.append(piece);
      if (decided) {
        out.accept(piece);
        return true;
      }
      held.append(piece);
      if (format == Format.LLAMA3) {
        // A Llama answer is a call when it starts with "{": decided by its first visible character.
        String visible = held.toString().stripLeading();
        if (visible.isEmpty()) {
          return true;
        }
        if (visible.startsWith(format.trigger)) {
          triggered = true;
          return false;
        }
        decided = true;
        flush();
        return true;
      }
      int at = held.indexOf(format.trigger);
      if (at >= 0) {
        if (at > 0) {
          out.accept(held.substring(0, at));
        }
        triggered = true;
        written = all.substring(0, all.length() - held.length() + at + format.trigger.length());
        return false;
      }
      int keep = partialTrigger(held);
      if (held.length() > keep) {
        out.accept(held.substring(0, held.length() - keep));
        held.delete(0, held.length() - keep);
      }
      return true;
    }

    /** The length of the longest end of {@code text} that begins the trigger. */
    private int partialTrigger(CharSequence text) {
      for (int n = Math.min(text.length(), format.trigger.length() - 1); n > 0; n--) {
        if (format.trigger.startsWith(text.subSequence(text.length() - n, text.length()).toString())) {
          return n;
        }
      }
      return 0;
    }

    void flush() {
      if (!held.isEmpty()) {
        out.accept(held.toString());
        held.setLength(0);
      }
    }
  }

  // ---- Parsing ----

  /**
   * The call in {@code json} (the text between the trigger and the end of the call): its name and
   * arguments, with a fresh id. A call that is not such JSON, or names no offered tool, is a
   * {@link ParleyException} (reason UNAVAILABLE: the model failed) saying what was wrong.
   */
  static ToolCall parseCall(Format format, String json, List<Tool> tools) {
    JsonObject call;
    try {
      call = new JsonObject(json.strip());
    } catch (RuntimeException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "the model wrote a tool call that is not a JSON object: "
          + abbreviate(json));
    }
    if (!(call.getValue("name") instanceof String name) || tools.stream().noneMatch(t -> t.name().equals(name))) {
      throw new ParleyException(Reason.UNAVAILABLE, "the model called a function that is not one of the tools: "
          + abbreviate(json));
    }
    Object arguments = call.getValue(format == Format.LLAMA3 && call.containsKey("parameters") ? "parameters"
        : "arguments");
    if (arguments instanceof String s) {
      try {
        arguments = new JsonObject(s); // some models write the arguments as a string of JSON
      } catch (RuntimeException e) {
        arguments = null;
      }
    }
    if (!(arguments instanceof JsonObject object)) {
      throw new ParleyException(Reason.UNAVAILABLE, "the model's call of " + name + " has no arguments object: "
          + abbreviate(json));
    }
    return new ToolCall(newCallId(), name, object.encode());
  }

  /** Splits {@code text} (what the model wrote after the trigger) into the Hermes calls it holds. */
  static List<String> hermesCallBodies(String text) {
    List<String> bodies = new ArrayList<>();
    String rest = text;
    while (true) {
      int end = rest.indexOf(CALL_END);
      bodies.add(end < 0 ? rest : rest.substring(0, end));
      if (end < 0) {
        return bodies;
      }
      int next = rest.indexOf(Format.HERMES.trigger, end);
      if (next < 0) {
        return bodies;
      }
      rest = rest.substring(next + Format.HERMES.trigger.length());
    }
  }

  static String newCallId() {
    return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
