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
 * One answer's model requests and tool calls, over a conversation ({@link Dialogue}: a realtime
 * session's, or a chat completion's messages): each round's request is the conversation so far under
 * the same system prompt (the instructions, the personal context looked up once for the answer, and
 * the language to answer in), with the client's tools and the server's while rounds of them are
 * left; calls and results go to the conversation. On the answer's context.
 */
public final class ResponseRounds implements ModelRounds.Rounds {

  /** The conversation an answer reads and adds its tool turns to. */
  public interface Dialogue {
    /** The conversation so far as a request (no tools), with {@code personal} under its system prompt. */
    ChatRequest request(String personal);

    /** The latest user message, or {@code ""}: what the personal context's relevance is judged by. */
    String lastUserText();

    /** The model called {@code calls}, after saying {@code text}. */
    void called(String text, List<ToolCall> calls);

    /** The result of call {@code callId}. */
    void result(String callId, String output);
  }

  private final ToolSettings tools;
  private final ToolRunner serverTools;
  private final Dialogue dialogue;
  private final Supplier<String> newItem;
  /** The personal context under the instructions, the same in every round. */
  private String personal = "";

  /**
   * @param newItem a new item id (a client call's item)
   */
  public ResponseRounds(ToolSettings tools, ToolRunner serverTools, Dialogue dialogue, Supplier<String> newItem) {
    this.tools = tools;
    this.serverTools = serverTools;
    this.dialogue = dialogue;
    this.newItem = newItem;
  }

  /**
   * Looks up the personal context for this answer, judged by the latest user message, then runs
   * {@code start} on {@code context} while {@code live} (at once without a context); a failed
   * lookup starts the answer with the instructions alone.
   */
  public void prepare(PromptContext prompt, Context context, BooleanSupplier live, Runnable start) {
    if (prompt == PromptContext.NONE) {
      start.run();
      return;
    }
    prompt.next(dialogue.lastUserText()).onComplete(ar -> context.runOnContext(v -> {
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
    ChatRequest plain = dialogue.request(personal);
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
    dialogue.called(text, calls);
  }

  @Override
  public void result(String callId, String output) {
    dialogue.result(callId, output);
  }

  @Override
  public String newItem() {
    return newItem.get();
  }
}
