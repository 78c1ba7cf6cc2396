package io.parley.api.support;

import io.parley.inference.llm.ToolCall;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An OpenAI-compatible chat completions server for tests, whose answers are scripted: each request
 * to {@code POST /v1/chat/completions} takes the next {@link Reply} and streams it in OpenAI's
 * format (a role chunk; content deltas; for a tool call a chunk with index, id, type and name, then
 * the arguments in pieces; a finish chunk; {@code [DONE]}). It records every request body, so a
 * test can check what Parley sent (the tools, the tool results). It tests Parley, not a model.
 *
 * <p>It also answers {@code POST /v1/embeddings} ({@code input}: a string or strings) with
 * deterministic vectors: a bag of words hashed into {@value #DIMENSIONS} dimensions, each word
 * first put in its {@link #THESAURUS} group (so "jogging" and "runs" share a dimension, which no
 * word matching finds); short and common words count for nothing. {@link #embeddingsDown} makes it
 * answer 503 instead.
 */
public final class StandInLlm implements AutoCloseable {

  /**
   * One scripted answer, made from the request body (so it can check what reached the model: a
   * failed check answers HTTP 400 with the reason, which the test then sees as a failed completion).
   */
  public interface Reply extends Function<JsonObject, Answer> {

    /** Answers this text, a word per chunk. */
    static Reply text(String text) {
      return body -> new Answer(text, List.of());
    }

    /** Calls these tools. */
    static Reply toolCalls(ToolCall... calls) {
      return body -> new Answer("", List.of(calls));
    }
  }

  /** What a reply streams: text, then tool calls (finish reason tool_calls when there are any). */
  public record Answer(String text, List<ToolCall> calls) {}

  private final Vertx vertx;
  private final HttpServer server;
  private final Queue<Reply> replies = new ConcurrentLinkedQueue<>();
  private final List<JsonObject> requests = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.BlockingQueue<JsonObject> unread = new java.util.concurrent.LinkedBlockingQueue<>();
  private volatile Reply always;
  private final AtomicBoolean embeddingsDown = new AtomicBoolean();
  private final AtomicInteger embedded = new AtomicInteger();

  /** Dimensions of the stand-in's embeddings. */
  public static final int DIMENSIONS = 64;
  /** Words that mean the same to the stand-in's embeddings: each word to its group's name. */
  static final Map<String, String> THESAURUS = thesaurus(
      "run: run runs running ran jog jogs jogging jogged",
      "knee: knee knees kneecap joint joints",
      "food: food meal meals eat eating ate dinner lunch breakfast",
      "sleep: sleep sleeps sleeping slept bed bedtime");
  private static final Set<String> COMMON = Set.of("the", "and", "for", "you", "your", "are",
      "was", "what", "with", "that", "this", "have", "has", "how", "can", "not", "but", "does", "did", "about",
      "often", "every", "should");

  private StandInLlm(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  public static StandInLlm start() throws Exception {
    Vertx vertx = Vertx.vertx();
    StandInLlm[] self = new StandInLlm[1];
    HttpServer server = vertx.createHttpServer().requestHandler(r -> self[0].handle(r));
    self[0] = new StandInLlm(vertx, server);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return self[0];
  }

  /** The base URL to configure as PARLEY_LLM_BASE_URL. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/v1";
  }

  /** Scripts the next answer (answers are taken in order; with none left, the server answers 500). */
  public StandInLlm then(Reply reply) {
    replies.add(reply);
    return this;
  }

  /** Answers every request not scripted with {@link #then} by {@code reply}. */
  public StandInLlm always(Reply reply) {
    this.always = reply;
    return this;
  }

  /** The next request's body not read yet, waiting at most 10 s; fails when none came. */
  public JsonObject next() throws InterruptedException {
    JsonObject r = unread.poll(10, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("the stand-in LLM got no request within 10 s");
    }
    return r;
  }

  /** The system prompt of a recorded request (its first message, which must be the system one). */
  public static String systemPrompt(JsonObject request) {
    JsonObject first = request.getJsonArray("messages").getJsonObject(0);
    if (!"system".equals(first.getString("role"))) {
      throw new AssertionError("the first message is not the system prompt: " + request.encodePrettily());
    }
    return first.getString("content");
  }

  /** The request bodies received so far, in order. */
  public List<JsonObject> requests() {
    return List.copyOf(requests);
  }

  /** From now on, {@code /v1/embeddings} answers 503 ({@code true}) or vectors again ({@code false}). */
  public StandInLlm embeddingsDown(boolean down) {
    embeddingsDown.set(down);
    return this;
  }

  /** Texts embedded so far. */
  public int embedded() {
    return embedded.get();
  }

  /** The stand-in's vector of {@code text} (what {@code /v1/embeddings} answers). */
  public static float[] embedding(String text) {
    float[] v = new float[DIMENSIONS];
    for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (w.length() >= 3 && !COMMON.contains(w)) {
        v[Math.floorMod(THESAURUS.getOrDefault(w, w).hashCode(), DIMENSIONS)] += 1;
      }
    }
    return v;
  }

  private static Map<String, String> thesaurus(String... groups) {
    Map<String, String> out = new HashMap<>();
    for (String g : groups) {
      String[] parts = g.split(":");
      for (String w : parts[1].strip().split(" ")) {
        out.put(w, parts[0]);
      }
    }
    return Map.copyOf(out);
  }

  private void embeddings(JsonObject body, HttpServerResponse response) {
    if (embeddingsDown.get()) {
      response.setStatusCode(503).end(error("the stand-in's embeddings are down"));
      return;
    }
    Object input = body.getValue("input");
    JsonArray texts = input instanceof JsonArray a ? a : new JsonArray().add(input);
    JsonArray data = new JsonArray();
    for (int i = 0; i < texts.size(); i++) {
      JsonArray vector = new JsonArray();
      for (float f : embedding(texts.getString(i))) {
        vector.add(f);
      }
      data.add(new JsonObject().put("object", "embedding").put("index", i).put("embedding", vector));
      embedded.incrementAndGet();
    }
    response.putHeader("content-type", "application/json").end(new JsonObject().put("object", "list")
        .put("data", data).put("model", body.getString("model")).encode());
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(buffer -> {
      HttpServerResponse response = request.response();
      if (request.path().equals("/v1/embeddings")) {
        embeddings(buffer.toJsonObject(), response);
        return;
      }
      if (!request.path().equals("/v1/chat/completions")) {
        response.setStatusCode(404).end();
        return;
      }
      JsonObject body = buffer.toJsonObject();
      requests.add(body);
      unread.add(body);
      Reply reply = replies.poll();
      if (reply == null) {
        reply = always;
      }
      if (reply == null) {
        response.setStatusCode(500).end(error("the stand-in has no scripted answer left"));
        return;
      }
      Answer answer;
      try {
        answer = reply.apply(body);
      } catch (AssertionError | RuntimeException e) {
        response.setStatusCode(400).end(error("the stand-in's check failed: " + e.getMessage()));
        return;
      }
      response.setChunked(true).putHeader("content-type", "text/event-stream");
      response.write(chunk(new JsonObject().put("role", "assistant").put("content", ""), null));
      for (String word : words(answer.text())) {
        response.write(chunk(new JsonObject().put("content", word), null));
      }
      for (int i = 0; i < answer.calls().size(); i++) {
        ToolCall call = answer.calls().get(i);
        response.write(chunk(calls(new JsonObject().put("index", i).put("id", call.id()).put("type", "function")
            .put("function", new JsonObject().put("name", call.name()).put("arguments", ""))), null));
        String arguments = call.arguments();
        for (int at = 0; at < arguments.length(); at += 7) {
          response.write(chunk(calls(new JsonObject().put("index", i).put("function", new JsonObject()
              .put("arguments", arguments.substring(at, Math.min(arguments.length(), at + 7))))), null));
        }
      }
      response.write(chunk(new JsonObject(), answer.calls().isEmpty() ? "stop" : "tool_calls"));
      response.end("data: [DONE]\n\n");
    });
  }

  private static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    for (String w : text.split("(?<= )")) {
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    return words;
  }

  private static JsonObject calls(JsonObject call) {
    return new JsonObject().put("tool_calls", new JsonArray().add(call));
  }

  private static String chunk(JsonObject delta, String finish) {
    return "data: " + new JsonObject().put("id", "chatcmpl-standin").put("object", "chat.completion.chunk")
        .put("created", 1).put("model", "stand-in").put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0).put("delta", delta).put("finish_reason", finish))).encode() + "\n\n";
  }

  private static String error(String message) {
    return new JsonObject().put("error", new JsonObject().put("message", message).put("type", "invalid_request_error"))
        .encode();
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
