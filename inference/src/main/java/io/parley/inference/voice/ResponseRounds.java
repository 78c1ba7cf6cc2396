package io.parley.inference.voice;

import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.llm.ToolChoice;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One answer's model requests and tool calls, over its session's conversation: each round's request
 * is the conversation so far under the same system prompt (the session's instructions and the
 * personal context looked up once for the answer, and the language to answer in), with the client's tools and the server's while
 * rounds of them are left; calls and results go to the conversation. On the session's context.
 */
final class ResponseRounds implements Responder.Rounds {

  private final ToolSettings tools;
  private final ToolRunner serverTools;
  private final ConversationMemory memory;
  private final ItemIds items;
  private final Supplier<VoiceSettings> settings;
  /** The language the answer is in (ISO 639-1), when known: the prompt asks for it. */
  private final Optional<String> language;
  /** The personal context under the instructions, the same in every round. */
  private String personal = "";

  ResponseRounds(ToolSettings tools, ToolRunner serverTools, ConversationMemory memory, ItemIds items,
                 Supplier<VoiceSettings> settings, Optional<String> language) {
    this.language = language;
    this.tools = tools;
    this.serverTools = serverTools;
    this.memory = memory;
    this.items = items;
    this.settings = settings;
  }

  /**
   * Looks up the personal context for this answer, judged by the latest user message, then runs
   * {@code start} on {@code context} while {@code live} (at once without a context); a failed
   * lookup starts the answer with the instructions alone.
   */
  void prepare(PromptContext prompt, Context context, BooleanSupplier live, Runnable start) {
    if (prompt == PromptContext.NONE) {
      start.run();
      return;
    }
    prompt.next(memory.lastUserText()).onComplete(ar -> context.runOnContext(v -> {
      if (live.getAsBoolean()) {
        personal = ar.succeeded() ? ar.result() : "";
        start.run();
      }
    }));
  }

  /**
   * The conversation so far, with the client's tools and the server's while rounds of them are
   * left; a forced choice holds for the first round only (then the model answers).
   */
  @Override
  public ChatRequest request(int round) {
    VoiceSettings s = settings.get();
    ChatRequest plain = new ChatRequest(memory.prompt(s.instructions(), personal, language, s.contextMessages()),
        s.maxTokens(), s.temperature());
    List<Tool> offered = new ArrayList<>(tools.tools());
    if (tools.serverTools() && round < tools.maxRounds()) {
      for (Tool t : serverTools.tools()) {
        if (offered.stream().noneMatch(c -> c.name().equals(t.name()))) {
          offered.add(t);
        }
      }
    }
    ToolChoice asked = tools.choice();
    boolean named = asked.function().isEmpty()
        || offered.stream().anyMatch(t -> t.name().equals(asked.function().get()));
    ToolChoice choice = round > 0 && asked.forced() || !named ? ToolChoice.AUTO : asked;
    return offered.isEmpty() ? plain : plain.withTools(offered, choice);
  }

  @Override
  public int maxRounds() {
    return tools.serverTools() ? tools.maxRounds() : 0;
  }

  @Override
  public boolean serverTool(String name) {
    return tools.serverTools() && serverTools.runs(name)
        && tools.tools().stream().noneMatch(t -> t.name().equals(name));
  }

  @Override
  public Future<String> run(ToolCall call) {
    return serverTools.run(call);
  }

  @Override
  public void called(String text, List<ToolCall> calls) {
    memory.assistantCalls(text, calls);
  }

  @Override
  public void result(String callId, String output) {
    memory.toolResult(callId, output);
  }

  @Override
  public String newItem() {
    return items.newItem();
  }
}
