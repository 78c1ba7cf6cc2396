package io.parley.api.assistant.tools;

import static io.parley.api.assistant.tools.ToolSchema.id;
import static io.parley.api.assistant.tools.ToolSchema.schema;
import static io.parley.api.assistant.tools.ToolSchema.string;

import io.parley.api.assistant.ConversationStore;
import io.parley.api.assistant.memory.Memory;
import io.parley.api.assistant.memory.MemoryStore;
import io.parley.api.assistant.tools.ServerTool.Caller;
import io.parley.api.assistant.tools.ServerTool.Defined;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * The assistant's memory as tools: {@code remember} a note about the user (with the conversation it
 * was said in), {@code forget} one by id or by its words, and {@code recall} what the user said in
 * past conversations. Each names the calling user only: another user's memories and messages are
 * never read or changed.
 */
public final class MemoryTools {

  /** Most past messages one recall returns to the model. */
  static final int RECALLED = 5;

  private final MemoryStore memories;
  private final ConversationStore conversations;

  public MemoryTools(MemoryStore memories, ConversationStore conversations) {
    this.memories = memories;
    this.conversations = conversations;
  }

  /** The tools, in the order offered. */
  public List<ServerTool> all() {
    return List.of(
        new Defined("remember", "Keeps a short note about the user for later conversations, e.g. 'trains on"
            + " Tuesdays'; only what the user asked to be remembered or plainly wants kept.",
            schema(new JsonObject().put("content", string("the note, at most " + Memory.MAX_CHARS + " characters")),
                List.of("content")), true, this::remember),
        new Defined("forget", "Forgets notes kept about the user: one by its id, or every note containing the"
            + " given words.", schema(new JsonObject().put("id", string("the note's id"))
                .put("text", string("words the notes to forget contain, e.g. Tuesdays")), List.of()),
            true, this::forget),
        new Defined("recall", "Searches what the user said in past conversations, e.g. 'knee' for 'what did I"
            + " say about my knee last week?': up to " + RECALLED + " snippets with their dates, best match first.",
            schema(new JsonObject().put("query", string("the words to look for"))
                .put("since", string("only messages from this day on, YYYY-MM-DD (UTC)")), List.of("query")),
            false, this::recall));
  }

  private Future<JsonObject> remember(Caller caller, JsonObject args) {
    String content = args.getValue("content") instanceof String s ? s : "";
    return memories.remember(caller.user(), content, caller.conversation())
        .map(m -> new JsonObject().put("remembered", true).put("memory", m.toJson()));
  }

  private Future<JsonObject> forget(Caller caller, JsonObject args) {
    if (args.getValue("id") != null) {
      return memories.forget(caller.user(), id(args, "id")).map(forgotten -> {
        if (!forgotten) {
          throw new ToolError("the user has no note with that id");
        }
        return new JsonObject().put("forgotten", new JsonArray().add(args.getString("id")));
      });
    }
    String text = args.getValue("text") instanceof String s ? s.strip() : "";
    if (text.isEmpty()) {
      throw new ToolError("give the note's id or words it contains");
    }
    return memories.forgetMatching(caller.user(), text).map(gone -> new JsonObject()
        .put("forgotten", new JsonArray(gone.stream().map(Memory::toJson).toList())));
  }

  private Future<JsonObject> recall(Caller caller, JsonObject args) {
    String query = args.getValue("query") instanceof String s ? s.strip() : "";
    if (query.isEmpty()) {
      throw new ToolError("query must say what to look for");
    }
    Optional<OffsetDateTime> since;
    try {
      since = args.getValue("since") instanceof String s
          ? Optional.of(LocalDate.parse(s).atStartOfDay().atOffset(ZoneOffset.UTC)) : Optional.empty();
    } catch (DateTimeParseException e) {
      throw new ToolError("since must be YYYY-MM-DD");
    }
    return conversations.recall(caller.user(), query, since, RECALLED).map(found -> new JsonObject()
        .put("messages", new JsonArray(found.stream().map(ConversationStore.Recalled::toJson).toList())));
  }
}
