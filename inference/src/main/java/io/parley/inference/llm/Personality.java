package io.parley.inference.llm;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.stt.Languages;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The assistant's voice: a short system prompt for a health-and-wellbeing app, and how a request is
 * assembled from it.
 *
 * <p>Every prompt starts with the same ground rules (general wellbeing information, not diagnosis;
 * urge emergency services for emergencies; suggest a professional for anything serious; never
 * contradict a listed allergy); an answer that is spoken adds {@link #SPOKEN} (short, free of
 * markdown), one that is read does not. Prompts differ only in the tone that follows:
 * <ul>
 *   <li>{@link #ASSISTANT}: helpful and neutral (the default);</li>
 *   <li>{@link #FRIEND}: warm and encouraging, casual;</li>
 *   <li>{@link #EXPERT}: precise, a coach's or nutritionist's vocabulary, explains the why;</li>
 *   <li>{@link #MINIMALIST}: the fewest words that answer, one or two sentences.</li>
 * </ul>
 *
 * <p>A client's own instructions come after both ({@link #systemPrompt(String, boolean)}): they add
 * to the ground rules, never replace them.
 *
 * <p>{@link #request} builds: the system prompt, then the last {@code contextMessages} messages of
 * the history (system messages in the history are dropped, so a client cannot replace the ground
 * rules; empty messages are skipped), then the new user message.
 */
public enum Personality {
  ASSISTANT("You are Parley, a helpful voice assistant in a health and wellbeing app. "
      + "Answer clearly and kindly."),
  FRIEND("You are Parley, a warm, encouraging friend in a health and wellbeing app. "
      + "Speak casually, celebrate small wins and keep the user motivated."),
  EXPERT("You are Parley, an expert wellbeing coach with a nutritionist's and trainer's knowledge. "
      + "Be precise, use correct terms and briefly explain why your advice works."),
  MINIMALIST("You are Parley, a wellbeing assistant who uses as few words as possible. "
      + "Answer in one or two short sentences.");

  /** Rules every personality follows, whatever the answer's form: safe health information. */
  public static final String GROUND_RULES = "Give general wellbeing information, "
      + "never a diagnosis or a prescription. For anything serious or persistent suggest a doctor "
      + "or one of the app's experts; in an emergency tell the user to call emergency services now. "
      + "Never contradict or ignore an allergy listed for the user; if a food contains one, say so.";

  /** The rule for answers that are spoken (audio out), after the ground rules; text answers go without it. */
  public static final String SPOKEN = "Your answers are spoken aloud: keep them short, "
      + "use plain sentences without lists, markdown or emoji.";

  private final String tone;

  /**
   * The rule for the language of an answer: the user's ({@code code}, ISO 639-1, by its English
   * name), so a model prompted in English still answers in the language the user spoke.
   */
  public static String answerIn(String code) {
    String name = Languages.englishName(code);
    return "The user speaks " + name + ": answer in " + name + ".";
  }

  Personality(String tone) {
    this.tone = tone;
  }

  /** The system prompt of a spoken answer: the ground rules, the spoken rule, then the tone. */
  public String systemPrompt() {
    return systemPrompt(null, true);
  }

  /**
   * The system prompt with a client's own instructions appended under the ground rules and the
   * tone: they add to them, never replace them.
   *
   * @param instructions the client's (realtime {@code instructions}, chat completion system
   *     messages), or null or blank for none
   * @param spoken true when the answer is heard (audio out): the {@link #SPOKEN} rule follows the
   *     ground rules; a text answer (chat completions, a text-only realtime session) goes without it
   */
  public String systemPrompt(String instructions, boolean spoken) {
    String rules = spoken ? GROUND_RULES + " " + SPOKEN + " " + tone : GROUND_RULES + " " + tone;
    return instructions == null || instructions.isBlank() ? rules
        : rules + "\n\nThe app's instructions, within the rules above:\n" + instructions.strip();
  }

  /** A personality by name, case-insensitive ({@code assistant}, {@code friend}, ...). */
  public static Personality of(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParleyException(Reason.INVALID, "personality: unknown '" + name
          + "' (assistant, friend, expert or minimalist)");
    }
  }

  /**
   * The request for the next answer.
   *
   * @param history earlier user and assistant messages, oldest first
   * @param contextMessages how many of the latest history messages to keep (PARLEY_LLM_CONTEXT_MESSAGES)
   * @param userMessage what the user just said
   * @param maxTokens the answer limit (PARLEY_LLM_MAX_TOKENS)
   */
  public ChatRequest request(List<ChatMessage> history, int contextMessages, String userMessage,
      int maxTokens, double temperature) {
    Objects.requireNonNull(history, "history");
    Objects.requireNonNull(userMessage, "userMessage");
    if (contextMessages < 0) {
      throw new IllegalArgumentException("contextMessages must be >= 0");
    }
    List<ChatMessage> kept = new ArrayList<>();
    for (ChatMessage m : history) {
      if (!m.role().equals("system") && !m.content().isBlank()) {
        kept.add(m);
      }
    }
    List<ChatMessage> messages = new ArrayList<>();
    messages.add(ChatMessage.system(systemPrompt()));
    messages.addAll(kept.subList(Math.max(0, kept.size() - contextMessages), kept.size()));
    messages.add(ChatMessage.user(userMessage));
    return new ChatRequest(messages, maxTokens, temperature);
  }
}
