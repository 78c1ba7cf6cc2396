package io.parley.inference.voice;

import io.vertx.core.Future;

/**
 * What the system prompt of each answer carries under the session's instructions, looked up afresh
 * for that answer: the user's profile, today's meals or saved memories may change during a session.
 * Set on a session with {@link VoiceSession#promptContext}; without one, the instructions alone.
 */
@FunctionalInterface
public interface PromptContext {

  /** No context: the instructions alone, and the answer starts at once. */
  PromptContext NONE = userText -> Future.succeededFuture("");

  /**
   * The text for the next answer ({@code ""} for none). A failed future starts the answer without
   * it; implementations keep their own fallback (such as the last text they had) when that matters.
   *
   * @param userText the conversation's latest user message, or {@code ""}: what relevance is judged by
   */
  Future<String> next(String userText);
}
