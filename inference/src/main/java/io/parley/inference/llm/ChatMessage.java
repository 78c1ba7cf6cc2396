package io.parley.inference.llm;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One message of a conversation, with an OpenAI role: {@code system}, {@code user},
 * {@code assistant} or {@code tool}. An assistant message may carry the
 * <a href="https://platform.openai.com/docs/guides/function-calling">tool calls</a> the model made
 * (its content then often empty); a {@code tool} message is the result of one call, named by
 * {@code toolCallId}.
 *
 * @param role system, user, assistant or tool
 * @param content the text ("" for an assistant message that only calls tools)
 * @param toolCalls the calls an assistant message made; empty otherwise
 * @param toolCallId the call a tool message answers; empty for the other roles
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, Optional<String> toolCallId) {

  static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
    toolCalls = List.copyOf(toolCalls);
    Objects.requireNonNull(toolCallId, "toolCallId");
    if (!ROLES.contains(role)) {
      throw new IllegalArgumentException("role must be one of " + ROLES + ": " + role);
    }
    if (!toolCalls.isEmpty() && !role.equals("assistant")) {
      throw new IllegalArgumentException("only an assistant message carries tool calls");
    }
    if (role.equals("tool") != toolCallId.isPresent()) {
      throw new IllegalArgumentException("a tool message, and only it, names the tool call it answers");
    }
  }

  public ChatMessage(String role, String content) {
    this(role, content, List.of(), Optional.empty());
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }

  /** The assistant's turn that called tools (and possibly said something first). */
  public static ChatMessage assistant(String content, List<ToolCall> toolCalls) {
    return new ChatMessage("assistant", content, toolCalls, Optional.empty());
  }

  /** The result of the call {@code toolCallId}, as text (usually JSON). */
  public static ChatMessage tool(String toolCallId, String content) {
    return new ChatMessage("tool", content, List.of(), Optional.of(toolCallId));
  }
}
