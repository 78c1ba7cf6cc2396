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
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's conversation: the messages the LLM sees (history), each with the id of the item a
 * client knows it by, and their durable copy in the {@link ConversationLog}. A client's delete
 * removes an item's messages from both; a truncate cuts an answer in both to what was heard. A
 * write that fails is logged and reported as a {@link VoiceEvent.Code#NOT_STORED} error, never lost
 * silently; {@link #stored} tells when the writes made so far are done (an answer's response.done
 * waits for it). On the session's context.
 */
final class ConversationMemory {

  private static final Logger LOG = LoggerFactory.getLogger(ConversationMemory.class);

  /**
   * One message of the history: the item it belongs to (null for messages of an earlier session,
   * which no client of this one knows), its stored copy's id once written, and for an answer how
   * its text was spoken (null for the rest).
   */
  private record Entry(String itemId, ChatMessage message, Future<UUID> stored, SpokenText spoken) {}

  private final UUID conversationId;
  private final ConversationLog log;
  private final List<Entry> history = new ArrayList<>();
  private final Context context;
  private final Consumer<VoiceEvent> events;
  /** The last write asked for (each starts when the one before it has ended). */
  private Future<?> writes = Future.succeededFuture();

  ConversationMemory(UUID conversationId, ConversationLog log, List<ChatMessage> history, Context context,
                     Consumer<VoiceEvent> events) {
    this.conversationId = conversationId;
    this.log = log;
    history.forEach(m -> this.history.add(new Entry(null, m, null, null)));
    this.context = context;
    this.events = events;
  }

  UUID conversationId() {
    return conversationId;
  }

  /** User message {@code itemId}. */
  void user(String itemId, String text) {
    add(itemId, ChatMessage.user(text), new ConversationLog.Message("user", text, false), null);
  }

  /**
   * A client's system message {@code itemId}: a system message in its place in the history, under
   * the instructions the prompt starts with ({@link #prompt}), never instead of them.
   */
  void system(String itemId, String text) {
    add(itemId, ChatMessage.system(text), new ConversationLog.Message("system", text, false), null);
  }

  /**
   * Answer {@code itemId} as far as the user heard it ({@code spoken}: how its text was spoken, or
   * null). A complete one is stored when it said something; a cut one always, marked truncated,
   * even when nothing of it was heard.
   */
  void assistant(String itemId, String text, boolean truncated, SpokenText spoken) {
    ConversationLog.Message stored = new ConversationLog.Message("assistant", text, truncated);
    if (!text.isEmpty()) {
      add(itemId, ChatMessage.assistant(text), stored, spoken);
    } else if (truncated) {
      store(stored);
    }
  }

  /** The assistant's turn of answer {@code itemId} that called tools, with what it said before the calls. */
  void assistantCalls(String itemId, String text, List<ToolCall> calls) {
    add(itemId, ChatMessage.assistant(text, calls),
        new ConversationLog.Message("assistant", text, false, ToolTurns.json(calls), null), null);
  }

  /**
   * The result of the tool call {@code callId} (a server tool's, {@code itemId} null; or the client's
   * function output item {@code itemId}).
   */
  void toolResult(String itemId, String callId, String output) {
    add(itemId, ChatMessage.tool(callId, output), new ConversationLog.Message("tool", output, false, null, callId),
        null);
  }

  /**
   * conversation.item.delete: item {@code itemId}'s messages leave the history (the next answer's
   * prompt) and the stored conversation; false when it has none.
   */
  boolean delete(String itemId) {
    boolean found = false;
    for (var it = history.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (itemId.equals(e.itemId())) {
        it.remove();
        found = true;
        afterStored(e, id -> log.deleteMessage(conversationId, id), "deleted");
      }
    }
    return found;
  }

  /**
   * conversation.item.truncate of answer {@code itemId}, played up to {@code audioEndMs}: its text
   * becomes what was heard by then, in the history and the stored conversation (marked truncated).
   *
   * @return the text heard, or empty when no spoken answer has that id
   */
  Optional<String> truncate(String itemId, long audioEndMs) {
    for (int i = history.size() - 1; i >= 0; i--) {
      Entry e = history.get(i);
      if (itemId.equals(e.itemId()) && e.spoken() != null) {
        String heard = e.spoken().heardBy(audioEndMs);
        if (!heard.equals(e.message().content())) {
          history.set(i, new Entry(itemId, ChatMessage.assistant(heard), e.stored(), e.spoken()));
          afterStored(e, id -> log.truncateMessage(conversationId, id, heard), "truncated");
        }
        return Optional.of(heard);
      }
    }
    return Optional.empty();
  }

  /** The latest user message, or {@code ""}. */
  String lastUserText() {
    return lastUserText(history.stream().map(Entry::message).toList());
  }

  /** The latest user message of {@code messages}, or {@code ""}. */
  static String lastUserText(List<ChatMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) {
        return messages.get(i).content();
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
    return prompt(instructions, personal, language, history.subList(Math.max(0, history.size() - contextMessages),
        history.size()).stream().map(Entry::message).toList());
  }

  /**
   * As {@link #prompt(String, String, Optional, int)}, with {@code context} in place of the
   * conversation (a response.create's {@code input}, its references read by {@link #context}).
   */
  static List<ChatMessage> prompt(String instructions, String personal, Optional<String> language,
                                  List<ChatMessage> context) {
    List<ChatMessage> messages = new ArrayList<>();
    StringBuilder system = new StringBuilder(instructions);
    if (!personal.isEmpty()) {
      system.append("\n\n").append(personal);
    }
    language.ifPresent(code -> system.append("\n\n").append(Personality.answerIn(code)));
    messages.add(ChatMessage.system(system.toString()));
    messages.addAll(ToolTurns.paired(context));
    return messages;
  }

  /** The messages of {@code input}: its own, and those of the conversation's items it names, in its order. */
  List<ChatMessage> context(List<ContextItem> input) {
    List<ChatMessage> messages = new ArrayList<>();
    for (ContextItem item : input) {
      switch (item) {
        case ContextItem.Message m -> messages.add(m.message());
        case ContextItem.Reference r -> history.stream().filter(e -> r.itemId().equals(e.itemId()))
            .forEach(e -> messages.add(e.message()));
      }
    }
    return messages;
  }

  /**
   * Completes once every write made so far has been answered, stored or not (a failed one is
   * reported on its own): what a client reads of the conversation after this includes them.
   */
  Future<Void> stored() {
    return writes.transform(ar -> Future.succeededFuture());
  }

  private void add(String itemId, ChatMessage message, ConversationLog.Message stored, SpokenText spoken) {
    history.add(new Entry(itemId, message, store(stored), spoken));
  }

  /**
   * One write at a time, in the order the messages happened: two writes in flight at once could
   * commit (and be timestamped) the other way round.
   */
  private Future<UUID> store(ConversationLog.Message m) {
    Future<UUID> write = writes.transform(ignored -> log.append(conversationId, m));
    writes = write;
    write.onFailure(e -> notStored(m.role() + " message of " + m.content().length() + " characters (truncated: "
        + m.truncated() + ") not stored", "the " + m.role() + " message could not be stored in the conversation", e));
    return write;
  }

  /** A change to {@code e}'s stored copy, in turn with the other writes; nothing when it was never stored. */
  private void afterStored(Entry e, Function<UUID, Future<Void>> change, String what) {
    if (e.stored() == null) {
      return;
    }
    Future<Void> write = writes.transform(ignored -> e.stored().transform(ar -> ar.succeeded()
        ? change.apply(ar.result()) : Future.succeededFuture()));
    writes = write;
    write.onFailure(err -> notStored(e.message().role() + " message not " + what, "the " + e.message().role()
        + " message could not be " + what + " in the stored conversation", err));
  }

  private void notStored(String logged, String told, Throwable e) {
    context.runOnContext(v -> {
      LOG.warn("voice: conversation {}: {}: {}", conversationId, logged, e.toString());
      events.accept(new VoiceEvent.Error(VoiceEvent.Code.NOT_STORED, told + ": " + e.getMessage()));
    });
  }
}
