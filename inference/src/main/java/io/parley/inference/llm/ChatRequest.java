package io.parley.inference.llm;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A chat completion request: the messages (system prompt first), sampling limits, and the function
 * tools the model may call with how it may call them (none by default).
 */
public record ChatRequest(List<ChatMessage> messages, int maxTokens, double temperature, List<Tool> tools,
                          ToolChoice toolChoice) {
  public ChatRequest {
    messages = List.copyOf(messages);
    tools = List.copyOf(tools);
    Objects.requireNonNull(toolChoice, "toolChoice");
    if (maxTokens <= 0) {
      throw new IllegalArgumentException("maxTokens must be positive");
    }
    Set<String> names = new HashSet<>();
    for (Tool tool : tools) {
      if (!names.add(tool.name())) {
        throw new IllegalArgumentException("two tools are named " + tool.name());
      }
    }
    if (toolChoice.forced() && tools.isEmpty()) {
      throw new IllegalArgumentException("tool_choice " + toolChoice.mode() + " needs tools");
    }
    if (toolChoice.function().isPresent() && !names.contains(toolChoice.function().get())) {
      throw new IllegalArgumentException("tool_choice names " + toolChoice.function().get() + ", which is no tool");
    }
  }

  public ChatRequest(List<ChatMessage> messages, int maxTokens, double temperature) {
    this(messages, maxTokens, temperature, List.of(), ToolChoice.AUTO);
  }

  /** The same request with these tools and choice. */
  public ChatRequest withTools(List<Tool> tools, ToolChoice toolChoice) {
    return new ChatRequest(messages, maxTokens, temperature, tools, toolChoice);
  }

  /** True when the model may call a tool: there are tools and the choice is not {@code none}. */
  public boolean toolsOffered() {
    return !tools.isEmpty() && toolChoice.mode() != ToolChoice.Mode.NONE;
  }

  /** The tools the model may call now: all, or only the named function. */
  public List<Tool> callableTools() {
    if (!toolsOffered()) {
      return List.of();
    }
    return toolChoice.function().map(f -> tools.stream().filter(t -> t.name().equals(f)).toList()).orElse(tools);
  }
}
