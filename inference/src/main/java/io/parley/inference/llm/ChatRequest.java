package io.parley.inference.llm;

import java.util.List;

/** A chat completion request: the messages (system prompt first), and sampling limits. */
public record ChatRequest(List<ChatMessage> messages, int maxTokens, double temperature) {
  public ChatRequest {
    messages = List.copyOf(messages);
    if (maxTokens <= 0) {
      throw new IllegalArgumentException("maxTokens must be positive");
    }
  }
}
