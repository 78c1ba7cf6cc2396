package io.parley.inference.voice;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.Personality;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's conversation: the messages the LLM sees (history) and their durable copy in the
 * {@link ConversationLog}. A write that fails is logged and reported as a
 * {@link VoiceEvent.Code#NOT_STORED} error, never lost silently; {@link #stored} tells when the
 * writes made so far are done (an answer's response.done waits for it). On the session's context.
 */
final class ConversationMemory {

  private static final Logger LOG = LoggerFactory.getLogger(ConversationMemory.class);

  private final UUID conversationId;
  private final ConversationLog log;
  private final List<ChatMessage> history;
  private final Context context;
  private final Consumer<VoiceEvent> events;
  /** The last write asked for (each starts when the one before it has ended). */
  private Future<?> writes = Future.succeededFuture();

  ConversationMemory(UUID conversationId, ConversationLog log, List<ChatMessage> history, Context context,
                     Consumer<VoiceEvent> events) {
    this.conversationId = conversationId;
    this.log = log;
    this.history = new ArrayList<>(history);
    this.context = context;
    this.events = events;
  }

  UUID conversationId() {
    return conversationId;
  }

  void user(String text) {
    history.add(ChatMessage.user(text));
    store(new ConversationLog.Message("user", text, false));
  }

  /**
   * An answer as far as the user heard it. A complete one is stored when it said something; a cut
   * one always, marked truncated, even when nothing of it was heard.
   */
  void assistant(String text, boolean truncated) {
    if (!text.isEmpty()) {
      history.add(ChatMessage.assistant(text));
    }
    if (!text.isEmpty() || truncated) {
      store(new ConversationLog.Message("assistant", text, truncated));
    }
  }

  /** The assistant's turn that called tools, with what it said before the calls. */
  void assistantCalls(String text, List<ToolCall> calls) {
    history.add(ChatMessage.assistant(text, calls));
    store(new ConversationLog.Message("assistant", text, false, ToolTurns.json(calls), null));
  }

  /** The result of the tool call {@code callId} (a server tool's, or the client's function output). */
  void toolResult(String callId, String output) {
    history.add(ChatMessage.tool(callId, output));
    store(new ConversationLog.Message("tool", output, false, null, callId));
  }

  /** The latest user message, or {@code ""}. */
  String lastUserText() {
    for (int i = history.size() - 1; i >= 0; i--) {
      if (history.get(i).role().equals("user")) {
        return history.get(i).content();
      }
    }
    return "";
  }

  /**
   * The LLM's input: the instructions with the personal context under them (when there is one) and
   * last the language to answer in (when known, {@link Personality#answerIn}), then the last
   * {@code contextMessages} messages, each tool call followed by its result ({@link ToolTurns#paired}).
   */
  List<ChatMessage> prompt(String instructions, String personal, Optional<String> language, int contextMessages) {
    List<ChatMessage> messages = new ArrayList<>();
    StringBuilder system = new StringBuilder(instructions);
    if (!personal.isEmpty()) {
      system.append("\n\n").append(personal);
    }
    language.ifPresent(code -> system.append("\n\n").append(Personality.answerIn(code)));
    messages.add(ChatMessage.system(system.toString()));
    messages.addAll(ToolTurns.paired(history.subList(Math.max(0, history.size() - contextMessages), history.size())));
    return messages;
  }

  /**
   * Completes once every write made so far has been answered, stored or not (a failed one is
   * reported on its own): what a client reads of the conversation after this includes them.
   */
  Future<Void> stored() {
    return writes.transform(ar -> Future.succeededFuture());
  }

  /**
   * One write at a time, in the order the messages happened: two writes in flight at once could
   * commit (and be timestamped) the other way round.
   */
  private void store(ConversationLog.Message m) {
    Future<?> previous = writes;
    Future<UUID> write = previous.transform(ignored -> log.append(conversationId, m));
    writes = write;
    write.onFailure(e -> context.runOnContext(v -> {
      LOG.warn("voice: conversation {}: {} message of {} characters (truncated: {}) not stored: {}", conversationId,
          m.role(), m.content().length(), m.truncated(), e.toString());
      events.accept(new VoiceEvent.Error(VoiceEvent.Code.NOT_STORED, "the " + m.role()
          + " message could not be stored in the conversation: " + e.getMessage()));
    }));
  }
}
