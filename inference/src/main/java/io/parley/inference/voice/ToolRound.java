package io.parley.inference.voice;

import io.parley.inference.llm.ToolCall;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The tool calls of one answer ({@link Responder}), round by round. A call of a client function is
 * shown to the client as it streams (its own output item) and ends the answer; a call of a server
 * tool is run here. When a round of the model ends, its calls are stored in the conversation, the
 * server's are run one after the other and each result is stored as it comes. An interruption stops
 * the calls not yet started (stored as not run); one already running completes and its result is
 * stored: a write is never left half-told. On the session's context.
 */
final class ToolRound {

  /** The result stored for a call that an interruption kept from running. */
  static final String NOT_RUN = "{\"error\":\"not run: the user interrupted the answer\"}";

  /** A call of the round in progress, by its index in the completion. */
  private record Call(String callId, boolean server, String itemId, int outputIndex) {}

  private final String responseId;
  private final Context context;
  private final ModelRounds.Rounds conversation;
  private final Consumer<VoiceEvent> events;
  private final BooleanSupplier live;
  private final Map<Integer, Call> calling = new HashMap<>();
  /** This round's complete calls, in order. */
  private final List<ToolCall> made = new ArrayList<>();
  private final List<VoiceEvent.FunctionCall> clientCalls = new ArrayList<>();
  /** Server calls of the finished round not yet started. */
  private final Deque<ToolCall> waiting = new ArrayDeque<>();
  private int outputs;

  ToolRound(String responseId, Context context, ModelRounds.Rounds conversation, Consumer<VoiceEvent> events,
            BooleanSupplier live) {
    this.responseId = responseId;
    this.context = context;
    this.conversation = conversation;
    this.events = events;
    this.live = live;
  }

  /** The next output index of the answer (its items count from 0 in the order they start). */
  int nextOutput() {
    return outputs++;
  }

  /** True when the round in progress called a tool. */
  boolean any() {
    return !made.isEmpty();
  }

  List<VoiceEvent.FunctionCall> clientCalls() {
    return List.copyOf(clientCalls);
  }

  void started(int index, String callId, String name) {
    if (!live.getAsBoolean()) {
      return;
    }
    if (conversation.serverTool(name)) {
      calling.put(index, new Call(callId, true, null, -1));
      return;
    }
    Call c = new Call(callId, false, conversation.newItem(), nextOutput());
    calling.put(index, c);
    events.accept(new VoiceEvent.FunctionCallStarted(responseId, c.itemId(), c.outputIndex(), callId, name));
  }

  void arguments(int index, String delta) {
    Call c = calling.get(index);
    if (live.getAsBoolean() && c != null && !c.server()) {
      events.accept(new VoiceEvent.FunctionCallArguments(responseId, c.itemId(), c.outputIndex(), c.callId(), delta));
    }
  }

  void done(int index, ToolCall call) {
    if (!live.getAsBoolean()) {
      return;
    }
    if (!calling.containsKey(index)) {
      started(index, call.id(), call.name());
    }
    Call c = calling.get(index);
    made.add(call);
    if (!c.server()) {
      VoiceEvent.FunctionCall f = new VoiceEvent.FunctionCall(c.itemId(), c.outputIndex(), call.id(), call.name(),
          call.arguments());
      clientCalls.add(f);
      events.accept(new VoiceEvent.FunctionCallDone(responseId, f));
    }
  }

  /**
   * The model's round ended with calls (after saying {@code said}): they are stored, the server's
   * run; then {@code next} hears whether the answer goes on (true: only server tools were called)
   * or ends (a client function was called: the client answers it).
   */
  void finishRound(String said, Consumer<Boolean> next) {
    conversation.called(said, List.copyOf(made));
    boolean clientCalled = false;
    for (int i = 0; i < made.size(); i++) {
      ToolCall call = made.get(i);
      if (calling.values().stream().anyMatch(c -> c.server() && c.callId().equals(call.id()))) {
        waiting.add(call);
      } else {
        clientCalled = true;
      }
    }
    made.clear();
    calling.clear();
    boolean goOn = !clientCalled;
    runNext(() -> next.accept(goOn));
  }

  private void runNext(Runnable then) {
    ToolCall call = waiting.poll();
    if (call == null) {
      then.run();
      return;
    }
    Future<String> result;
    try {
      result = conversation.run(call);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> context.runOnContext(v -> {
      conversation.result(call.id(), ar.succeeded() ? ar.result()
          : new JsonObject().put("error", "the tool failed: " + ar.cause().getMessage()).encode());
      if (live.getAsBoolean()) {
        runNext(then);
      }
    }));
  }

  /** The answer was interrupted: the calls not yet started are not run. */
  void interrupted() {
    for (ToolCall call : waiting) {
      conversation.result(call.id(), NOT_RUN);
    }
    waiting.clear();
  }
}
