package io.parley.api.assistant.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.core.testing.LogCapture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * More texts at once than the embeddings client sends: at most {@link OpenAiEmbeddings#MAX_IN_FLIGHT}
 * go to the server, the rest are kept without a vector at once (counted), and nothing waits in
 * Vert.x's connection pool, whose queue fails a request at the connect timeout and, in Vert.x 5.0,
 * later logs "Unhandled exception ... Promise already completed" for each request it queued.
 */
class EmbeddingsLoadTest {

  @Test
  void aBurstBeyondTheRequestsInFlightIsCountedAndLogsNothingLater() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (LogCapture logs = new LogCapture(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
      HttpServer server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body ->
          vertx.setTimer(200, t -> request.response().putHeader("content-type", "application/json")
              .end(new JsonObject().put("data", new JsonArray().add(new JsonObject()
                  .put("embedding", new JsonArray().add(0.6).add(0.8)))).encode()))));
      int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      OpenAiEmbeddings embeddings = new OpenAiEmbeddings(vertx, new OpenAiEmbeddings.Settings(
          URI.create("http://127.0.0.1:" + port + "/v1"), Optional.empty(), "test-embedder"), registry);
      try {
        int burst = OpenAiEmbeddings.MAX_IN_FLIGHT + 8;
        List<Future<Optional<float[]>>> vectors = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
          vectors.add(embeddings.vector("text " + i));
        }
        Future.join(vectors).await(10, TimeUnit.SECONDS);
        long with = vectors.stream().filter(f -> f.result().isPresent()).count();
        assertThat(with).as("texts with a vector").isEqualTo(OpenAiEmbeddings.MAX_IN_FLIGHT);
        assertThat(registry.get("parley.embeddings.failures").counter().count()).isEqualTo(8);
        assertThat(vectors.getFirst().result().orElseThrow()).containsExactly(0.6f, 0.8f);
        // Past the client's timeout (the connect timeout of any request a pool queue had held).
        Thread.sleep(2 * OpenAiEmbeddings.TIMEOUT.toMillis());
        assertThat(logs.warnings()).noneMatch(w -> w.contains("Unhandled exception"));
        // And a text after the burst has a vector again.
        assertThat(embeddings.vector("after").await(5, TimeUnit.SECONDS)).isPresent();
      } finally {
        embeddings.close();
        server.close().await(5, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }
}
