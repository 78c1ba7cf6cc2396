package io.parley.api.assistant;

import io.parley.api.assistant.context.PersonalPrompts;
import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.Personality;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.voice.ResponseRounds;
import io.parley.inference.voice.ToolTurns;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chat completion's conversation for its answer's rounds: the client's messages under Parley's
 * system prompt, growing with the answer's tool calls and results. The first result of a server tool
 * starts a stored conversation of the user's: the latest user message, then every call, result and
 * the answer, in order. A completion that runs no server tool stores nothing (as before tools).
 * On the request's context.
 */
final class ChatDialogue implements ResponseRounds.Dialogue {

  private static final Logger LOG = LoggerFactory.getLogger(ChatDialogue.class);
  private static final String PERSONALITY = "assistant";

  private final List<ChatMessage> messages;
  private final int maxTokens;
  private final double temperature;
  private final UUID user;
  private final ConversationLog log;
  /** The stored conversation, once a server tool has run. */
  private Future<UUID> conversation;
  /** The calls of the round in progress, until the conversation is started by one of their results. */
  private ConversationLog.Message pendingCalls;
  /** The writes so far, one after the other. */
  private Future<Void> writes = Future.succeededFuture();

  ChatDialogue(ChatRequest asked, UUID user, ConversationLog log) {
    this.messages = new ArrayList<>(asked.messages());
    this.maxTokens = asked.maxTokens();
    this.temperature = asked.temperature();
    this.user = user;
    this.log = log;
  }

  @Override
  public ChatRequest request(String personal) {
    return new ChatRequest(PersonalPrompts.chat(Personality.of(PERSONALITY), messages, personal), maxTokens,
        temperature);
  }

  @Override
  public String lastUserText() {
    return PersonalPrompts.lastUserText(messages);
  }

  @Override
  public void called(String text, List<ToolCall> calls) {
    messages.add(ChatMessage.assistant(text, calls));
    ConversationLog.Message m = new ConversationLog.Message("assistant", text, false, ToolTurns.json(calls), null);
    if (conversation == null) {
      pendingCalls = m;
    } else {
      store(m);
    }
  }

  @Override
  public void result(String callId, String output) {
    messages.add(ChatMessage.tool(callId, output));
    if (conversation == null) {
      // Only a server tool's result is given here: the exchange is worth keeping from now on.
      conversation = log.start(user, PERSONALITY);
      store(new ConversationLog.Message("user", lastUserText(), false));
    }
    if (pendingCalls != null) {
      store(pendingCalls);
      pendingCalls = null;
    }
    store(new ConversationLog.Message("tool", output, false, null, callId));
  }

  /** The answer's last words (after its tool rounds), stored when the exchange is. */
  void answered(String text) {
    if (conversation != null && !text.isEmpty()) {
      store(new ConversationLog.Message("assistant", text, false));
    }
  }

  /** Completes once every write so far is answered (stored or not: a failed one is logged). */
  Future<Void> stored() {
    return writes;
  }

  /** The stored conversation's id, when the exchange is stored and its conversation could be started. */
  Optional<UUID> conversationId() {
    return conversation != null && conversation.succeeded() ? Optional.of(conversation.result()) : Optional.empty();
  }

  private void store(ConversationLog.Message m) {
    Future<UUID> started = conversation;
    writes = writes.compose(v -> started.compose(id -> log.append(id, m)))
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.warn("assistant: chat completion of user {}: {} message not stored: {}", user, m.role(), e.toString());
          return Future.succeededFuture();
        });
  }
}
