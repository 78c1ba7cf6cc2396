package io.parley.api.assistant.context;

import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.Personality;
import io.parley.inference.voice.PromptContext;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The personal context of each answer, for the realtime sessions ({@link #forSession}) and the chat
 * completions ({@link #chat}): read afresh for every answer (one query and the memories; no cache to
 * go stale when a meal is logged mid-conversation), within {@code PARLEY_ASSISTANT_CONTEXT_TOKENS}.
 * The prompt is always, in this order: the ground rules, the personality's tone, the client's own
 * instructions, then this context.
 */
public final class PersonalPrompts {

  private static final Logger LOG = LoggerFactory.getLogger(PersonalPrompts.class);

  /** Longest wait for a context before an answer starts without a fresh one. */
  static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(1);

  private final PersonalContextLoader loader;
  private final int budgetTokens;

  /** {@code budgetTokens} 0: no personal context at all. */
  public PersonalPrompts(PersonalContextLoader loader, int budgetTokens) {
    this.loader = loader;
    this.budgetTokens = budgetTokens;
  }

  /** The user's context for an answer to {@code query}, as prompt text ({@code ""} when off or unknown). */
  public Future<String> render(UUID user, String query) {
    if (budgetTokens == 0) {
      return Future.succeededFuture("");
    }
    return loader.load(user, query).timeout(LOOKUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(c -> c.map(context -> context.render(budgetTokens)).orElse(""));
  }

  /**
   * A realtime session's context: looked up for each answer; when a lookup fails or is slow, the
   * answer carries the last context the session had (the allergies it knew stay in the prompt).
   */
  public PromptContext forSession(UUID user) {
    if (budgetTokens == 0) {
      return PromptContext.NONE;
    }
    AtomicReference<String> last = new AtomicReference<>("");
    return query -> render(user, query)
        .onSuccess(last::set)
        .recover(e -> {
          LOG.warn("assistant: personal context of user {} unavailable ({}); the answer uses the last one", user,
              e.toString());
          return Future.succeededFuture(last.get());
        });
  }

  /**
   * A chat completion's messages with Parley's system prompt first: the ground rules and the tone,
   * the client's system messages appended under them (in their order), then {@code personal}; the
   * client's other messages follow as sent.
   */
  public static List<ChatMessage> chat(Personality personality, List<ChatMessage> messages, String personal) {
    List<String> instructions = new ArrayList<>();
    List<ChatMessage> rest = new ArrayList<>();
    for (ChatMessage m : messages) {
      if (m.role().equals("system")) {
        instructions.add(m.content());
      } else {
        rest.add(m);
      }
    }
    // A chat completion is read, not heard: no spoken rule.
    String system = personality.systemPrompt(String.join("\n\n", instructions), false);
    List<ChatMessage> out = new ArrayList<>();
    out.add(ChatMessage.system(personal.isEmpty() ? system : system + "\n\n" + personal));
    out.addAll(rest);
    return out;
  }

  /** The latest user message of {@code messages}, or {@code ""}. */
  public static String lastUserText(List<ChatMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) {
        return messages.get(i).content();
      }
    }
    return "";
  }
}
