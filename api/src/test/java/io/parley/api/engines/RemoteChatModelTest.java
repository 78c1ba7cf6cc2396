package io.parley.api.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.TestNode;
import io.parley.core.config.ConfigSource;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.llm.ToolChoice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp in a real chat worker process (the tiny random-weight Qwen2.5 GGUF), through
 * {@link RemoteChatModel}: text streams in pieces and ends once, a forced tool call arrives as the
 * four sink events of a local model, and a cancel stops the worker's completion.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RemoteChatModelTest {

  @TempDir
  static Path dir;

  private static WorkerProcess worker;
  private static ChatModel model;

  @BeforeAll
  static void start() throws Exception {
    Path gguf = TinyGguf.write(dir.resolve("qwen.gguf"), TinyGguf.qwen25());
    ConfigSource config = ConfigSource.of(Map.of("PARLEY_HOME", dir.toString(), "PARLEY_LLAMA_MODEL", gguf.toString(),
        "PARLEY_MODELS", TestNode.nodeModelsDir().toString()));
    worker = new WorkerProcess(EngineGroup.CHAT, EngineWorkers.launch(EngineOptions.from(config), config), dir);
    JsonObject hello = worker.start();
    model = new RemoteChatModel(worker, hello.getJsonObject("chat"));
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  /** What a sink heard, in order; one terminal event. */
  private static final class Heard implements ChatModel.Sink {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<ToolCall> calls = new CopyOnWriteArrayList<>();
    final CountDownLatch ended = new CountDownLatch(1);
    final StringBuilder text = new StringBuilder();

    @Override
    public synchronized void piece(String t) {
      text.append(t);
      if (events.isEmpty() || !events.getLast().equals("piece")) {
        events.add("piece");
      }
    }

    @Override
    public void toolCallStarted(int index, String id, String name) {
      events.add("start:" + index + ":" + name);
    }

    @Override
    public void toolCallArguments(int index, String delta) {
      if (!events.getLast().startsWith("args:")) {
        events.add("args:" + index);
      }
    }

    @Override
    public void toolCallDone(int index, ToolCall call) {
      calls.add(call);
      events.add("done:" + index);
    }

    @Override
    public void done(String finishReason) {
      events.add("end:" + finishReason);
      ended.countDown();
    }

    @Override
    public void failed(Throwable error) {
      events.add("failed:" + error.getMessage());
      ended.countDown();
    }

    List<String> await() throws InterruptedException {
      assertThat(ended.await(120, TimeUnit.SECONDS)).as("an end: %s", events).isTrue();
      return events;
    }
  }

  @Test
  void textStreamsInPiecesAndEndsOnce() throws Exception {
    Heard heard = new Heard();
    ChatModel.Completion c = model.stream(new ChatRequest(List.of(ChatMessage.user("Hello?")), 12, 0.8), heard);
    List<String> events = heard.await();
    assertThat(events).first().isEqualTo("piece");
    assertThat(events.getLast()).isIn("end:stop", "end:length");
    assertThat(events).filteredOn(e -> e.startsWith("end:") || e.startsWith("failed:")).hasSize(1);
    assertThat(c.finished().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS))
        .isEqualTo(events.getLast().substring(4));
    assertThat(model.model()).as("the model's name from the worker's hello").isNotBlank();
  }

  @Test
  void aForcedToolCallArrivesAsALocalModelsEvents() throws Exception {
    Tool weather = new Tool("get_weather", "The weather now", new JsonObject().put("type", "object")
        .put("properties", new JsonObject()
            .put("unit", new JsonObject().put("type", "string").put("enum", new JsonArray().add("celsius").add("fahrenheit")))
            .put("windy", new JsonObject().put("type", "boolean")))
        .put("required", new JsonArray().add("unit").add("windy")).put("additionalProperties", false));
    Heard heard = new Heard();
    model.stream(new ChatRequest(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Is it windy?")), 200, 0.8)
        .withTools(List.of(weather), ToolChoice.function("get_weather")), heard);
    assertThat(heard.await()).containsExactly("start:0:get_weather", "args:0", "done:0", "end:tool_calls");
    ToolCall call = heard.calls.getFirst();
    assertThat(call.id()).startsWith("call_");
    JsonObject args = new JsonObject(call.arguments());
    assertThat(args.getString("unit")).isIn("celsius", "fahrenheit");
    assertThat(args.getValue("windy")).isInstanceOf(Boolean.class);
  }

  @Test
  void aCancelStopsTheWorkersCompletion() throws Exception {
    Heard heard = new Heard();
    ChatModel.Completion c = model.stream(new ChatRequest(List.of(ChatMessage.user("Tell me a long story.")), 4000,
        0.8), new ChatModel.Sink() {
          @Override
          public void piece(String text) {
            heard.piece(text);
          }

          @Override
          public void done(String finishReason) {
            heard.done(finishReason);
          }

          @Override
          public void failed(Throwable error) {
            heard.failed(error);
          }
        });
    c.cancel();
    assertThat(heard.await().getLast()).isEqualTo("end:cancelled");
    io.parley.api.support.Poll.until(java.time.Duration.ofSeconds(5), "no call left in the worker",
        () -> worker.inFlight() == 0);
  }
}
