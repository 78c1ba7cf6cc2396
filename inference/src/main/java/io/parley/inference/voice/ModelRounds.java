package io.parley.inference.voice;

import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.ToolCall;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Consumer;

/**
 * The model's side of one answer, whatever carries it (a realtime {@link Responder}, a chat
 * completion): the first request, and after each round of calls ({@link ToolRound}: the server's
 * run, the client's shown as they stream) a new request with their results while the answer goes
 * on, until the model answers in words, a client function is called, or the rounds run out. Text
 * and the end go to a {@link Listener}; client calls to the {@link VoiceEvent} consumer. On one
 * context: every sink call of the model hops there.
 */
public final class ModelRounds {

  /** What the answer's carrier hears, on the context, while the answer is live. */
  public interface Listener {
    /** A piece of the answer's text. */
    void text(String piece);

    /** A round of the model ended with calls, before they run (its text so far is said). */
    default void roundCalled() {}

    /**
     * The model is done with the answer: {@code finishReason} is {@code tool_calls} when the client
     * has calls to answer, else the last request's ({@code stop}, {@code length});
     * {@code lastRoundText} what it said since its last round of calls (the earlier text is stored
     * with them).
     */
    void finished(String finishReason, String lastRoundText);

    /** The model failed. */
    void failed(Throwable error);
  }

  /**
   * The model requests of one answer and where its tool calls go: round 0 is the first request;
   * after a round of server tool calls the next carries their results (the conversation has them).
   */
  public interface Rounds {
    /** The request of round {@code round}. */
    ChatRequest request(int round);

    /** Rounds of server tool calls one answer may make; the request after the last offers none. */
    int maxRounds();

    /** True when {@code name} is a server tool this answer runs. */
    boolean serverTool(String name);

    /** Runs a server tool call: its result for the model. */
    Future<String> run(ToolCall call);

    /** The model called {@code calls}, after saying {@code text}. */
    void called(String text, List<ToolCall> calls);

    /** The result of call {@code callId}. */
    void result(String callId, String output);

    /** A new item id (a client call's item). */
    String newItem();
  }

  private final Context context;
  private final ChatModel chat;
  private final Rounds rounds;
  private final ToolRound calls;
  private final Listener listener;
  private final StringBuilder transcript = new StringBuilder();
  private ChatModel.Completion completion;
  /** Where the text of the current round of the model starts in the transcript. */
  private int roundStart;
  private int round;
  private boolean live = true;

  /**
   * @param responseId the answer's id, in the client calls' events
   * @param events where the client's calls are shown as they stream (and the answer's other events go)
   */
  public ModelRounds(String responseId, Context context, ChatModel chat, Rounds rounds, Consumer<VoiceEvent> events,
                     Listener listener) {
    this.context = context;
    this.chat = chat;
    this.rounds = rounds;
    this.listener = listener;
    this.calls = new ToolRound(responseId, context, rounds, events, () -> live);
  }

  /** Starts the model on the first request. */
  public void start() {
    ask(rounds.request(0));
  }

  /** The text generated so far. */
  public String transcript() {
    return transcript.toString();
  }

  /** The text generated since the last round of tool calls (the earlier text is stored with the calls). */
  public String lastRoundText() {
    return transcript.substring(roundStart);
  }

  /** The client's function calls of this answer. */
  public List<VoiceEvent.FunctionCall> clientCalls() {
    return calls.clientCalls();
  }

  /** The next output index of the answer (its items count from 0 in the order they start). */
  int nextOutput() {
    return calls.nextOutput();
  }

  /**
   * Stops the model and the calls not yet started (stored as not run; one running completes and is
   * stored); nothing is heard after this.
   */
  public void interrupt() {
    live = false;
    if (completion != null) {
      completion.cancel();
    }
    calls.interrupted();
  }

  private void ask(ChatRequest request) {
    completion = chat.stream(request, new ChatModel.Sink() {
      @Override
      public void piece(String text) {
        context.runOnContext(v -> onPiece(text));
      }

      @Override
      public void toolCallStarted(int index, String callId, String name) {
        context.runOnContext(v -> calls.started(index, callId, name));
      }

      @Override
      public void toolCallArguments(int index, String delta) {
        context.runOnContext(v -> calls.arguments(index, delta));
      }

      @Override
      public void toolCallDone(int index, ToolCall call) {
        context.runOnContext(v -> calls.done(index, call));
      }

      @Override
      public void done(String finishReason) {
        context.runOnContext(v -> onDone(finishReason));
      }

      @Override
      public void failed(Throwable error) {
        context.runOnContext(v -> {
          if (live) {
            live = false;
            listener.failed(error);
          }
        });
      }
    });
  }

  private void onPiece(String text) {
    if (live) {
      transcript.append(text);
      listener.text(text);
    }
  }

  private void onDone(String finishReason) {
    if (!live) {
      return;
    }
    if (!calls.any()) {
      finish(finishReason);
      return;
    }
    // What was said before the calls is stored with them.
    String said = transcript.substring(roundStart);
    roundStart = transcript.length();
    listener.roundCalled();
    calls.finishRound(said, again -> {
      if (!live) {
        return;
      }
      if (again && round < rounds.maxRounds()) {
        ask(rounds.request(++round));
      } else {
        finish(finishReason);
      }
    });
  }

  private void finish(String finishReason) {
    live = false;
    boolean clientCalled = !calls.clientCalls().isEmpty();
    listener.finished(clientCalled ? "tool_calls" : "tool_calls".equals(finishReason) ? "stop" : finishReason,
        lastRoundText());
  }
}
