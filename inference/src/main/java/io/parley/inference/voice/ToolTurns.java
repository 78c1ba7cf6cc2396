package io.parley.inference.voice;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tool calls and results in a conversation: their stored form, and the order chat models require
 * (each assistant message with calls followed at once by one tool message per call).
 */
public final class ToolTurns {

  /** The result given to the model for a call that has none (interrupted, or the client never answered). */
  static final String NO_RESULT = "{\"error\":\"no result: the call was not run or its result did not come\"}";

  private ToolTurns() {}

  /**
   * {@code messages} as a model takes them: each call's result right after the assistant message
   * that made it (results may be stored later, after a cut answer), a call without a result given
   * {@link #NO_RESULT}, and a result whose call is not in the window left out.
   */
  static List<ChatMessage> paired(List<ChatMessage> messages) {
    Map<String, ChatMessage> results = new HashMap<>();
    Set<String> called = new HashSet<>();
    for (ChatMessage m : messages) {
      m.toolCallId().ifPresent(id -> results.putIfAbsent(id, m));
      m.toolCalls().forEach(c -> called.add(c.id()));
    }
    if (results.isEmpty() && called.isEmpty()) {
      return messages;
    }
    List<ChatMessage> out = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      if (m.role().equals("tool")) {
        continue; // placed after its call
      }
      out.add(m);
      for (ToolCall c : m.toolCalls()) {
        out.add(results.getOrDefault(c.id(), ChatMessage.tool(c.id(), NO_RESULT)));
      }
    }
    return out;
  }

  /** A stored message as the model sees it. */
  public static ChatMessage chat(ConversationLog.Message m) {
    if ("tool".equals(m.role()) && m.toolCallId() != null) {
      return ChatMessage.tool(m.toolCallId(), m.content());
    }
    if ("assistant".equals(m.role()) && m.toolCalls() != null) {
      List<ToolCall> calls = new ArrayList<>();
      for (Object o : new JsonArray(m.toolCalls())) {
        JsonObject c = (JsonObject) o;
        calls.add(new ToolCall(c.getString("id"), c.getString("name"), c.getString("arguments")));
      }
      return ChatMessage.assistant(m.content(), calls);
    }
    return new ChatMessage(m.role(), m.content());
  }

  /** The stored form of an assistant message's calls. */
  public static String json(List<ToolCall> calls) {
    JsonArray out = new JsonArray();
    for (ToolCall c : calls) {
      out.add(new JsonObject().put("id", c.id()).put("name", c.name()).put("arguments", c.arguments()));
    }
    return out.encode();
  }
}
