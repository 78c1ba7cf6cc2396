package io.parley.api.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible chat completions server for tests (it tests Parley, not a model): every
 * request body is recorded, and every answer is the same short streamed reply. Point a node at it
 * with {@code PARLEY_LLM_BASE_URL=}{@link #baseUrl()}.
 */
public final class LlmStandIn implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final BlockingQueue<JsonObject> requests = new LinkedBlockingQueue<>();
  private final String reply;

  private LlmStandIn(String reply) throws Exception {
    this.reply = reply;
    this.server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      requests.add(body.toJsonObject());
      req.response().setChunked(true).putHeader("content-type", "text/event-stream");
      req.response().write(event(new JsonObject().put("role", "assistant").put("content", ""), null));
      req.response().write(event(new JsonObject().put("content", this.reply), null));
      req.response().write(event(new JsonObject(), "stop"));
      req.response().end("data: [DONE]\n\n");
    }));
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  /** A stand-in that answers every request with {@code reply}. */
  public static LlmStandIn start(String reply) throws Exception {
    return new LlmStandIn(reply);
  }

  private static String event(JsonObject delta, String finish) {
    return "data: " + new JsonObject().put("id", "chatcmpl-standin").put("object", "chat.completion.chunk")
        .put("created", 0).put("model", "stand-in").put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0).put("delta", delta).put("finish_reason", finish))).encode() + "\n\n";
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/v1";
  }

  /** The next request's body, waiting at most 10 s; fails when none came. */
  public JsonObject next() throws InterruptedException {
    JsonObject r = requests.poll(10, TimeUnit.SECONDS);
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

  @Override
  public void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
