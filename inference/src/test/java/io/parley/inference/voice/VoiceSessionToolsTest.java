package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.llm.ToolChoice;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tool calls in an answer, on the scripted pipeline: a server tool is run and the answer goes on
 * with its result; a client function call ends the answer (no speech) and its output reaches the
 * next request; an interruption stops calls not yet started while a started one completes and is
 * stored.
 */
class VoiceSessionToolsTest {

  private static final Tool MEALS = new Tool("get_meals", "meals of a day", new JsonObject().put("type", "object"));
  private static final Tool LOG = new Tool("log_meal", "logs a meal", new JsonObject().put("type", "object"));

  private VoiceFixture fx;
  /** The server tool calls run, in order. */
  private final List<ToolCall> ran = Collections.synchronizedList(new ArrayList<>());
  /** Results by tool name (a promise left open keeps the call running). */
  private final Map<String, Promise<String>> results = new ConcurrentHashMap<>();

  private final ToolRunner runner = new ToolRunner() {
    @Override
    public List<Tool> tools() {
      return List.of(MEALS, LOG);
    }

    @Override
    public Future<String> run(ToolCall call) {
      ran.add(call);
      return results.computeIfAbsent(call.name(), n -> Promise.promise()).future();
    }
  };

  @AfterEach
  void stop() {
    fx.close();
  }

  private void open(ToolSettings tools) {
    fx = new VoiceFixture();
    fx.tools = tools;
    fx.open(false);
    fx.run(() -> fx.session.serverTools(runner));
  }

  private void ask(String text) {
    fx.run(() -> {
      fx.session.addUserText("item_user", text);
      fx.session.createResponse(null);
    });
  }

  private static boolean hasToolResult(ChatRequest r) {
    return r.messages().stream().anyMatch(m -> m.role().equals("tool"));
  }

  private List<ConversationLog.Message> stored(String role) {
    synchronized (fx.stored) {
      return fx.stored.stream().filter(m -> m.role().equals(role)).toList();
    }
  }

  @Test
  void everyRoundOfAnAnswerCarriesThePersonalContextLookedUpOnceForIt() {
    open(new ToolSettings(List.of(), ToolChoice.AUTO, true, 4));
    List<String> asked = Collections.synchronizedList(new ArrayList<>());
    fx.run(() -> fx.session.promptContext(text -> {
      asked.add(text);
      return Future.succeededFuture("The user is allergic to peanuts (" + asked.size() + ").");
    }));
    results.computeIfAbsent("get_meals", n -> Promise.promise()).complete("{\"kcal\":500}");
    fx.calls = r -> hasToolResult(r) ? List.of() : List.of(new ToolCall("call_1", "get_meals", "{}"));
    ask("what did I eat today?");
    VoiceFixture.await("the second request", () -> fx.requests.size() == 2);
    fx.settle();

    assertThat(asked).containsExactly("what did I eat today?");
    assertThat(fx.requests).extracting(r -> r.messages().get(0)).containsExactly(
        ChatMessage.system("be brief\n\nThe user is allergic to peanuts (1)."),
        ChatMessage.system("be brief\n\nThe user is allergic to peanuts (1)."));
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
  }

  @Test
  void aServerToolRunsAndTheAnswerGoesOnWithItsResult() {
    open(new ToolSettings(List.of(), ToolChoice.AUTO, true, 4));
    results.computeIfAbsent("get_meals", n -> Promise.promise()).complete("{\"kcal\":500}");
    fx.calls = r -> hasToolResult(r) ? List.of() : List.of(new ToolCall("call_1", "get_meals", "{\"date\":\"today\"}"));
    ask("what did I eat today?");
    VoiceFixture.await("the second request", () -> fx.requests.size() == 2);
    fx.settle();
    fx.idle(10_000);

    assertThat(fx.requests.get(0).tools()).extracting(Tool::name).containsExactly("get_meals", "log_meal");
    List<ChatMessage> second = fx.requests.get(1).messages();
    ChatMessage call = second.get(second.size() - 2);
    assertThat(call.toolCalls()).containsExactly(new ToolCall("call_1", "get_meals", "{\"date\":\"today\"}"));
    assertThat(second.getLast()).isEqualTo(ChatMessage.tool("call_1", "{\"kcal\":500}"));
    assertThat(ran).extracting(ToolCall::name).containsExactly("get_meals");
    assertThat(fx.events("function_call")).as("server calls are not the client's").isEmpty();
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
    assertThat(fx.audioSent()).as("the answer is spoken").isPositive();
    assertThat(stored("assistant")).hasSize(2);
    assertThat(stored("assistant").get(0).toolCalls()).contains("call_1", "get_meals");
    assertThat(stored("assistant").get(1).content()).isEqualTo("First sentence is here. Second one follows it.");
    assertThat(stored("tool")).singleElement().satisfies(m -> {
      assertThat(m.toolCallId()).isEqualTo("call_1");
      assertThat(m.content()).isEqualTo("{\"kcal\":500}");
    });
  }

  @Test
  void theToolRoundsAreBoundedAndTheLastRequestOffersNoServerTools() {
    open(new ToolSettings(List.of(), ToolChoice.REQUIRED, true, 2));
    results.computeIfAbsent("get_meals", n -> Promise.promise()).complete("{}");
    fx.calls = r -> r.tools().isEmpty() ? List.of()
        : List.of(new ToolCall("call_" + fx.requests.size(), "get_meals", "{}"));
    ask("loop");
    VoiceFixture.await("three requests", () -> fx.requests.size() == 3);
    fx.settle();
    fx.idle(10_000);
    assertThat(fx.requests).extracting(ChatRequest::toolChoice)
        .containsExactly(ToolChoice.REQUIRED, ToolChoice.AUTO, ToolChoice.AUTO);
    assertThat(fx.requests.get(2).tools()).isEmpty();
    assertThat(ran).hasSize(2);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
  }

  @Test
  void anInterruptionStopsCallsNotStartedAndAStartedWriteCompletesAndIsStored() {
    open(new ToolSettings(List.of(), ToolChoice.AUTO, true, 4));
    fx.calls = r -> List.of(new ToolCall("call_w", "log_meal", "{\"description\":\"two eggs\",\"confirm\":true}"),
        new ToolCall("call_r", "get_meals", "{}"));
    ask("log two eggs");
    VoiceFixture.await("the write started", () -> ran.size() == 1);
    fx.run(() -> fx.session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED));
    fx.run(() -> results.get("log_meal").complete("{\"logged\":true}"));
    fx.settle();
    fx.idle(2_000);

    assertThat(ran).extracting(ToolCall::name).as("the read after the write never ran").containsExactly("log_meal");
    assertThat(fx.requests).as("no request after the interruption").hasSize(1);
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value)
        .containsExactly("cancelled:client_cancelled");
    assertThat(stored("tool")).extracting(ConversationLog.Message::toolCallId, ConversationLog.Message::content)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("call_r", ToolRound.NOT_RUN),
            org.assertj.core.groups.Tuple.tuple("call_w", "{\"logged\":true}"));

    // The next answer's request has each call followed by its result.
    fx.calls = r -> List.of();
    ask("did it work?");
    VoiceFixture.await("the next request", () -> fx.requests.size() == 2);
    List<ChatMessage> next = fx.requests.get(1).messages();
    int at = next.indexOf(next.stream().filter(m -> !m.toolCalls().isEmpty()).findFirst().orElseThrow());
    assertThat(next.subList(at + 1, at + 3)).extracting(m -> m.toolCallId().orElseThrow())
        .containsExactly("call_w", "call_r");
  }

  @Test
  void aClientFunctionCallEndsTheAnswerUnspokenAndItsOutputReachesTheNextRequest() {
    Tool weather = new Tool("get_weather", "", new JsonObject().put("type", "object"));
    open(new ToolSettings(List.of(weather), ToolChoice.AUTO, false, 4));
    fx.calls = r -> hasToolResult(r) ? List.of() : List.of(new ToolCall("call_w", "get_weather", "{\"city\":\"Paris\"}"));
    ask("weather?");
    fx.settle();
    fx.idle(2_000);
    assertThat(fx.requests.get(0).tools()).extracting(Tool::name).as("server tools off").containsExactly("get_weather");
    assertThat(fx.events("function_call")).extracting(VoiceFixture.Event::value).containsExactly("get_weather");
    assertThat(fx.events("function_call_done")).extracting(VoiceFixture.Event::value)
        .containsExactly("{\"city\":\"Paris\"}");
    assertThat(fx.events("response_done")).extracting(VoiceFixture.Event::value).containsExactly("completed");
    assertThat(fx.audioSent()).as("nothing to say").isZero();
    assertThat(ran).isEmpty();

    fx.run(() -> {
      fx.session.addToolResult("item_output", "call_w", "{\"sky\":\"sunny\"}");
      fx.session.createResponse(null);
    });
    VoiceFixture.await("the second request", () -> fx.requests.size() == 2);
    fx.settle();
    fx.idle(10_000);
    assertThat(fx.requests.get(1).messages().getLast()).isEqualTo(ChatMessage.tool("call_w", "{\"sky\":\"sunny\"}"));
    assertThat(fx.audioSent()).isPositive();
  }
}
