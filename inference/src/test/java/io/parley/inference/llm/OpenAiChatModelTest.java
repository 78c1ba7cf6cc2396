package io.parley.inference.llm;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * {@link OpenAiChatModel} against a local Vert.x server that speaks the OpenAI Chat Completions
 * streaming format as documented (role-only first chunk, content deltas, a finish chunk, a usage
 * chunk, {@code data: [DONE]}), and against servers that fail in the ways real ones do.
 */
@ExtendWith(VertxExtension.class)
class OpenAiChatModelTest {

  static final String KEY = "sk-test-secret-123";
  static final String CHUNK = "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      + "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":0,\"delta\":%s,"
      + "\"logprobs\":null,\"finish_reason\":%s}]}";

  static Vertx vertx;
  static HttpServer server;
  static int port;
  static final Map<String, HttpServerRequest> requests = new ConcurrentHashMap<>();
  static final Map<String, JsonObject> bodies = new ConcurrentHashMap<>();
  static final Promise<Void> slowConnectionClosed = Promise.promise();
  static ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void start(Vertx v) throws Exception {
    vertx = v;
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    server = vertx.createHttpServer().requestHandler(OpenAiChatModelTest::handle);
    port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  static void handle(HttpServerRequest request) {
    String scenario = request.path().split("/")[1];
    requests.put(scenario, request);
    request.body().onSuccess(body -> {
      bodies.put(scenario, body.toJsonObject());
      HttpServerResponse response = request.response();
      switch (scenario) {
        case "ok" -> stream(response, List.of(
            event(chunk("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", null)),
            event(chunk("{\"content\":\"Drink\"}", null)),
            // CRLF line endings, the CR and the LF in different writes
            "data: " + chunk("{\"content\":\" water\"}", null) + "\r",
            "\n\r\n",
            ": keep-alive\n\n",
            event(chunk("{\"content\":\" and caf\u00e9 \u2615\"}", null)),
            event(chunk("{}", "\"stop\"")),
            event("{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
                + "\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,"
                + "\"total_tokens\":12}}"),
            "data: [DONE]\n\n"), true);
        case "tools" -> stream(response, List.of(
            event(chunk("{\"role\":\"assistant\",\"content\":null}", null)),
            event(chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_meals\",\"arguments\":\"\"}}]}", null)),
            event(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"day\\\":\"}}]}", null)),
            event(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\" \\\"today\\\"}\"}}]}", null)),
            event(chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_profile\",\"arguments\":\"\"}}]}", null)),
            event(chunk("{}", "\"tool_calls\"")),
            "data: [DONE]\n\n"), true);
        // A server that sends a whole call in one delta, without an id, and says stop
        case "onecall" -> stream(response, List.of(
            event(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"log_meal\","
                + "\"arguments\":\"{\\\"text\\\":\\\"two eggs\\\"}\"}}]}", null)),
            event(chunk("{}", "\"stop\"")),
            "data: [DONE]\n\n"), true);
        case "nameless" -> stream(response, List.of(
            event(chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}", null)),
            event(chunk("{}", "\"tool_calls\"")),
            "data: [DONE]\n\n"), true);
        case "error" -> response.setStatusCode(500).putHeader("content-type", "application/json")
            .end("{\"error\":{\"message\":\"The server had an error while processing your request. Incorrect API "
                + "key provided: " + KEY + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        case "limited" -> response.setStatusCode(429).putHeader("Retry-After", "7")
            .end("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
        case "cut" -> {
          stream(response, List.of(
              event(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)),
              event(chunk("{\"content\":\"Hel\"}", null)),
              "data: {\"id\":\"chatcmpl-123\",\"choi"), false);
          vertx.setTimer(100, t -> request.connection().close());
        }
        case "slow" -> {
          request.connection().closeHandler(v -> slowConnectionClosed.tryComplete());
          stream(response, List.of(
              event(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null)),
              event(chunk("{\"content\":\"Hi\"}", null))), false);
          // ...and then nothing more, as a server busy generating
        }
        case "busy" -> vertx.setTimer(300, t -> stream(response, List.of( // a server answering after a while
            event(chunk("{\"content\":\"Hi\"}", "\"stop\"")), "data: [DONE]\n\n"), true));
        case "silent" -> { } // never answers
        case "midstream" -> stream(response, List.of(
            event(chunk("{\"content\":\"So\"}", null)),
            event("{\"error\":{\"message\":\"This model's maximum context length is 4096 tokens\"}}")), false);
        case "garbage" -> stream(response, List.of(event("{not json")), false);
        case "nodone" -> stream(response, List.of(
            event(chunk("{\"content\":\"Fine\"}", null)),
            event(chunk("{}", "\"length\""))), true);
        default -> response.setStatusCode(404).end();
      }
    });
  }

  static String chunk(String delta, String finishReason) {
    return String.format(CHUNK, delta, finishReason);
  }

  static String event(String data) {
    return "data: " + data + "\n\n";
  }

  /** Writes the parts with small pauses; the multi-byte character of a part is split across writes. */
  static void stream(HttpServerResponse response, List<String> parts, boolean end) {
    response.setChunked(true).putHeader("content-type", "text/event-stream");
    List<Buffer> writes = new ArrayList<>();
    for (String part : parts) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      int split = part.indexOf('\u2615') < 0 ? bytes.length
          : new String(bytes, StandardCharsets.UTF_8).substring(0, part.indexOf('\u2615')).getBytes(StandardCharsets.UTF_8).length + 1;
      writes.add(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, 0, split)));
      if (split < bytes.length) {
        writes.add(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, split, bytes.length)));
      }
    }
    writeNext(response, writes, 0, end);
  }

  static void writeNext(HttpServerResponse response, List<Buffer> writes, int i, boolean end) {
    if (response.closed()) {
      return;
    }
    if (i == writes.size()) {
      if (end) {
        response.end();
      }
      return;
    }
    response.write(writes.get(i));
    vertx.setTimer(10, t -> writeNext(response, writes, i + 1, end));
  }

  static OpenAiChatModel model(String scenario) {
    return model(scenario, Duration.ofSeconds(5));
  }

  static OpenAiChatModel model(String scenario, Duration idle) {
    return new OpenAiChatModel(vertx, new OpenAiChatModel.Settings(
        URI.create("http://127.0.0.1:" + port + "/" + scenario + "/v1"), Optional.of(KEY), "gpt-4o-mini",
        Duration.ofSeconds(2), idle));
  }

  static ChatRequest request() {
    return Personality.EXPERT.request(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello!")), 20,
        "How much water should I drink?", 64, 0.7);
  }

  /**
   * More answers at once than the client's connection pool holds: the rest wait for a connection.
   * Vert.x 5.0's pool armed a timer per waiting request that it never cancelled once the request
   * got a connection; at the connect timeout each such timer failed an already completed request
   * and Vert.x logged "Unhandled exception ... Promise already completed" (upstream
   * eclipse-vertx/vert.x#6169). Nothing may be logged so.
   */
  @Test
  void moreAnswersAtOnceThanThePoolHoldsLogNothingAfterTheConnectTimeout() throws Exception {
    Duration connect = Duration.ofMillis(800);
    try (OpenAiChatModel model = new OpenAiChatModel(vertx, new OpenAiChatModel.Settings(
        URI.create("http://127.0.0.1:" + port + "/busy/v1"), Optional.of(KEY), "gpt-4o-mini", connect,
        Duration.ofSeconds(5)))) {
      List<RecordingSink> sinks = new ArrayList<>();
      for (int i = 0; i < 3 * OpenAiChatModel.MAX_CONNECTIONS; i++) {
        RecordingSink sink = new RecordingSink();
        model.stream(request(), sink);
        sinks.add(sink);
      }
      for (RecordingSink sink : sinks) {
        sink.await();
        assertThat(sink.error).isNull();
        assertThat(sink.pieces).containsExactly("Hi");
      }
      Thread.sleep(connect.toMillis() * 2); // past every waiting request's connect timeout
      assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains("Unhandled exception"));
    }
  }

  /** The wait for a connection is bounded: past MAX_WAITING an answer fails at once, naming the cause. */
  @Test
  void pastTheWaitingAnswersOneMoreFailsAtOnceAsBusy() throws Exception {
    try (OpenAiChatModel model = model("silent")) {
      List<RecordingSink> held = new ArrayList<>();
      for (int i = 0; i < OpenAiChatModel.MAX_CONNECTIONS + OpenAiChatModel.MAX_WAITING; i++) {
        RecordingSink sink = new RecordingSink();
        model.stream(request(), sink);
        held.add(sink);
      }
      RecordingSink refused = new RecordingSink();
      model.stream(request(), refused);
      refused.await();
      assertThat(refused.error).hasMessageContaining("busy");
      assertThat(held).allMatch(sink -> sink.error == null);
    }
  }

  @Test
  void streamsTheDocumentedFormat() throws Exception {
    try (OpenAiChatModel model = model("ok")) {
      RecordingSink sink = new RecordingSink();
      ChatModel.Completion completion = model.stream(request(), sink);
      sink.await();

      assertThat(sink.error).isNull();
      assertThat(sink.pieces).containsExactly("Drink", " water", " and caf\u00e9 \u2615");
      assertThat(sink.terminal).containsExactly("done:stop");
      assertThat(completion.finished().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo("stop");
      assertThat(sink.threads).allMatch(t -> t.startsWith("vert.x-eventloop-thread-")).hasSize(3);
      assertThat(sink.threads.stream().distinct()).hasSize(1);
      assertThat(model.model()).isEqualTo("gpt-4o-mini");

      HttpServerRequest seen = requests.get("ok");
      assertThat(seen.method().name()).isEqualTo("POST");
      assertThat(seen.path()).isEqualTo("/ok/v1/chat/completions");
      assertThat(seen.getHeader("Authorization")).isEqualTo("Bearer " + KEY);
      assertThat(seen.getHeader("Content-Type")).isEqualTo("application/json");
      JsonObject body = bodies.get("ok");
      assertThat(body.getBoolean("stream")).isTrue();
      assertThat(body.getString("model")).isEqualTo("gpt-4o-mini");
      assertThat(body.getInteger("max_tokens")).isEqualTo(64);
      assertThat(body.getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("role")))
          .containsExactly("system", "user", "assistant", "user");
      assertThat(body.getJsonArray("messages").getJsonObject(0).getString("content"))
          .isEqualTo(Personality.EXPERT.systemPrompt());
    }
  }

  static final Tool MEALS = new Tool("get_meals", "The meals logged on a day", new JsonObject()
      .put("type", "object").put("properties", new JsonObject().put("day", new JsonObject().put("type", "string")))
      .put("required", new io.vertx.core.json.JsonArray().add("day")));
  static final Tool PROFILE = new Tool("get_profile", "", new JsonObject().put("type", "object"));

  @Test
  void sendsToolsAndParsesStreamedToolCallDeltas() throws Exception {
    try (OpenAiChatModel model = model("tools")) {
      RecordingSink sink = new RecordingSink();
      ChatRequest request = new ChatRequest(List.of(ChatMessage.user("What did I eat?")), 64, 0.7)
          .withTools(List.of(MEALS, PROFILE), ToolChoice.AUTO);
      model.stream(request, sink);
      sink.await();

      assertThat(sink.error).isNull();
      assertThat(sink.pieces).isEmpty();
      assertThat(sink.toolEvents).containsExactly("start:0:call_a:get_meals", "args:0:{\"day\":",
          "args:0: \"today\"}", "done:0", "start:1:call_b:get_profile", "args:1:{}", "done:1");
      assertThat(sink.toolCalls).containsExactly(new ToolCall("call_a", "get_meals", "{\"day\": \"today\"}"),
          new ToolCall("call_b", "get_profile", "{}"));
      assertThat(sink.terminal).containsExactly("done:tool_calls");

      JsonObject body = bodies.get("tools");
      assertThat(body.getString("tool_choice")).isEqualTo("auto");
      assertThat(body.getJsonArray("tools").getJsonObject(0)).isEqualTo(new JsonObject().put("type", "function")
          .put("function", new JsonObject().put("name", "get_meals").put("description", "The meals logged on a day")
              .put("parameters", MEALS.parameters())));
      assertThat(body.getJsonArray("tools").getJsonObject(1).getJsonObject("function").containsKey("description"))
          .isFalse();
    }
  }

  @Test
  void sendsTheCallsAndTheirResultsBack() throws Exception {
    try (OpenAiChatModel model = model("ok")) {
      RecordingSink sink = new RecordingSink();
      ChatRequest request = new ChatRequest(List.of(ChatMessage.user("What did I eat?"),
          ChatMessage.assistant("", List.of(new ToolCall("call_a", "get_meals", "{\"day\":\"today\"}"))),
          ChatMessage.tool("call_a", "{\"meals\":[]}")), 64, 0.7)
          .withTools(List.of(MEALS), ToolChoice.function("get_meals"));
      model.stream(request, sink);
      sink.await();

      JsonObject body = bodies.get("ok");
      assertThat(body.getJsonObject("tool_choice")).isEqualTo(new JsonObject().put("type", "function")
          .put("function", new JsonObject().put("name", "get_meals")));
      assertThat(body.getJsonArray("messages").getJsonObject(1)).isEqualTo(new JsonObject().put("role", "assistant")
          .putNull("content").put("tool_calls", new io.vertx.core.json.JsonArray().add(new JsonObject()
              .put("id", "call_a").put("type", "function").put("function", new JsonObject().put("name", "get_meals")
                  .put("arguments", "{\"day\":\"today\"}")))));
      assertThat(body.getJsonArray("messages").getJsonObject(2)).isEqualTo(new JsonObject().put("role", "tool")
          .put("content", "{\"meals\":[]}").put("tool_call_id", "call_a"));
    }
  }

  @Test
  void aWholeCallInOneDeltaWithoutAnIdAndAStopReason() throws Exception {
    try (OpenAiChatModel model = model("onecall")) {
      RecordingSink sink = new RecordingSink();
      model.stream(request().withTools(List.of(MEALS), ToolChoice.REQUIRED), sink);
      sink.await();

      assertThat(sink.toolCalls).hasSize(1);
      ToolCall call = sink.toolCalls.get(0);
      assertThat(call.id()).startsWith("call_");
      assertThat(call.name()).isEqualTo("log_meal");
      assertThat(call.arguments()).isEqualTo("{\"text\":\"two eggs\"}");
      assertThat(sink.terminal).containsExactly("done:tool_calls");
    }
  }

  @Test
  void aCallWithoutANameFails() throws Exception {
    try (OpenAiChatModel model = model("nameless")) {
      RecordingSink sink = new RecordingSink();
      model.stream(request().withTools(List.of(MEALS), ToolChoice.AUTO), sink);
      sink.await();
      assertThat(sink.error).isInstanceOf(ParleyException.class)
          .hasMessageContaining("malformed tool calls: tool call 0 has no function name");
    }
  }

  @Test
  void withoutToolsNoToolFieldsAreSent() throws Exception {
    try (OpenAiChatModel model = model("nodone")) {
      model.stream(request(), new RecordingSink()).finished().toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertThat(bodies.get("nodone").fieldNames()).doesNotContain("tools", "tool_choice");
    }
  }

  @Test
  void aFinishReasonWithoutDoneStillEnds() throws Exception {
    try (OpenAiChatModel model = model("nodone")) {
      RecordingSink sink = new RecordingSink();
      model.stream(request(), sink);
      sink.await();
      assertThat(sink.pieces).containsExactly("Fine");
      assertThat(sink.terminal).containsExactly("done:length");
    }
  }

  @Test
  void http500WithAnErrorBody() throws Exception {
    try (OpenAiChatModel model = model("error")) {
      RecordingSink sink = new RecordingSink();
      model.stream(request(), sink);
      sink.await();

      assertThat(sink.pieces).isEmpty();
      assertThat(sink.error).isInstanceOf(ParleyException.class)
          .hasMessageContaining("answered HTTP 500: The server had an error while processing your request")
          .hasMessageNotContaining(KEY);
      assertThat(((ParleyException) sink.error).reason()).isEqualTo(Reason.UNAVAILABLE);
    }
  }

  @Test
  void http429IsLimitedWithRetryAfter() throws Exception {
    try (OpenAiChatModel model = model("limited")) {
      RecordingSink sink = new RecordingSink();
      model.stream(request(), sink);
      sink.await();
      ParleyException e = (ParleyException) sink.error;
      assertThat(e.reason()).isEqualTo(Reason.LIMITED);
      assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
      assertThat(e).hasMessageContaining("Rate limit reached");
    }
  }

  @Test
  void aStreamCutMidwayFails() throws Exception {
    try (OpenAiChatModel model = model("cut")) {
      RecordingSink sink = new RecordingSink();
      ChatModel.Completion completion = model.stream(request(), sink);
      sink.await();

      assertThat(sink.pieces).containsExactly("Hel");
      assertThat(sink.error).isInstanceOf(ParleyException.class).hasMessageContaining("LLM server http://127.0.0.1:")
          .hasMessageContaining("/cut/v1 stream broke off before [DONE]");
      assertThat(completion.finished().toCompletionStage().toCompletableFuture()
          .handle((r, e) -> e).get(5, TimeUnit.SECONDS)).isSameAs(sink.error);
    }
  }

  @Test
  void cancelResetsTheRequestSoTheServerStops() throws Exception {
    try (OpenAiChatModel model = model("slow")) {
      ChatModel.Completion[] self = new ChatModel.Completion[1];
      RecordingSink sink = new RecordingSink(s -> self[0].cancel());
      self[0] = model.stream(request(), sink);
      sink.await();

      assertThat(sink.pieces).containsExactly("Hi");
      assertThat(sink.terminal).containsExactly("done:cancelled");
      slowConnectionClosed.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSilentServerTimesOut() throws Exception {
    try (OpenAiChatModel model = model("silent", Duration.ofMillis(300))) {
      RecordingSink sink = new RecordingSink();
      long started = System.nanoTime();
      model.stream(request(), sink);
      sink.await();
      assertThat(sink.error).isInstanceOf(ParleyException.class).hasMessageContaining("timeout");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void anUnreachableServerFails() throws Exception {
    // A port bound but not listening refuses connections, and nothing else can take it meanwhile
    // (a port freed by closing a server could be reused by another test's server at once: seen in CI).
    try (java.net.Socket held = new java.net.Socket()) {
      held.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
      assertUnreachable(held.getLocalPort());
    }
  }

  private void assertUnreachable(int port) throws Exception {
    try (OpenAiChatModel model = new OpenAiChatModel(vertx, new OpenAiChatModel.Settings(
        URI.create("http://127.0.0.1:" + port + "/v1"), Optional.of(KEY), "m"))) {
      RecordingSink sink = new RecordingSink();
      model.stream(request(), sink);
      sink.await();
      assertThat(sink.error).isInstanceOf(ParleyException.class).hasMessageContaining("unreachable");
    }
  }

  @Test
  void anErrorEventMidStreamFails() throws Exception {
    try (OpenAiChatModel model = model("midstream")) {
      RecordingSink sink = new RecordingSink();
      model.stream(request(), sink);
      sink.await();
      assertThat(sink.pieces).containsExactly("So");
      assertThat(sink.error).hasMessageContaining("maximum context length");
    }
  }

  @Test
  void aMalformedEventFails() throws Exception {
    try (OpenAiChatModel model = model("garbage")) {
      RecordingSink sink = new RecordingSink();
      model.stream(request(), sink);
      sink.await();
      assertThat(sink.error).hasMessageContaining("malformed event: {not json");
    }
  }

  @Test
  void theKeyIsInNoLogLineNorInTheSettings() throws Exception {
    // run the failing paths once more so their log lines are certainly captured
    for (String scenario : List.of("ok", "error", "cut", "garbage")) {
      try (OpenAiChatModel model = model(scenario)) {
        model.stream(request(), new RecordingSink()).finished().toCompletionStage().toCompletableFuture()
            .handle((r, e) -> r).get(10, TimeUnit.SECONDS);
      }
    }
    assertThat(logs.list).isNotEmpty();
    for (ILoggingEvent event : logs.list) {
      String line = event.getFormattedMessage()
          + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
      assertThat(line).doesNotContain(KEY);
    }
    assertThat(new OpenAiChatModel.Settings(URI.create("http://h/v1"), Optional.of(KEY), "m").toString())
        .doesNotContain(KEY).contains("(set)");
  }
}
