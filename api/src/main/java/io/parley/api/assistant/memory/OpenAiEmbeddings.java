package io.parley.api.assistant.memory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of an OpenAI-compatible <a href="https://platform.openai.com/docs/api-reference/embeddings/create">
 * embeddings</a> server (vLLM, llama.cpp server, Ollama, OpenAI): {@code POST {base}/embeddings}
 * with {@code {"model", "input": [text]}}, reading {@code data[0].embedding}. Non-blocking (the
 * Vert.x web client); a request has {@link #TIMEOUT} in all, so that a slow server delays neither
 * a saved memory nor an answer's prompt for long.
 *
 * <p>A failure (unreachable, non-200, a malformed answer, the timeout) is never the caller's: the
 * text has no vector, {@code parley_embeddings_failures_total} counts it, and a warning is logged
 * when the server starts failing (not for every failure after). The API key goes into the
 * {@code Authorization} header only, never into a log line or {@code toString}.
 */
public final class OpenAiEmbeddings implements Embeddings, AutoCloseable {

  /** Longest wait for one embedding, connect included; below the personal context's own lookup timeout. */
  public static final Duration TIMEOUT = Duration.ofMillis(800);
  /**
   * Requests to the embeddings server at once; past it a text is kept without a vector at once.
   * None ever waits in Vert.x's pool queue: there a request fails at the connect timeout while the
   * server is merely busy, and Vert.x 5.0 leaves the timer of each request it queued armed, which
   * later logs "Promise already completed" (upstream eclipse-vertx/vert.x#6169).
   */
  static final int MAX_IN_FLIGHT = 32;
  /** Longest text sent (a memory is at most 500 characters; a long message is embedded by its start). */
  public static final int MAX_INPUT_CHARS = 8_000;

  private static final Logger LOG = LoggerFactory.getLogger(OpenAiEmbeddings.class);

  /**
   * Settings of the embeddings server.
   *
   * @param baseUrl e.g. {@code http://localhost:8000/v1} (PARLEY_EMBEDDINGS_BASE_URL)
   * @param apiKey bearer key (PARLEY_EMBEDDINGS_API_KEY); never logged
   * @param model model name sent (PARLEY_EMBEDDINGS_MODEL)
   */
  public record Settings(URI baseUrl, Optional<String> apiKey, String model) {
    public Settings {
      Objects.requireNonNull(baseUrl, "baseUrl");
      Objects.requireNonNull(apiKey, "apiKey");
      Objects.requireNonNull(model, "model");
      if (!"http".equals(baseUrl.getScheme()) && !"https".equals(baseUrl.getScheme()) || baseUrl.getHost() == null) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_EMBEDDINGS_BASE_URL: must be an http(s) URL with a host, "
            + "e.g. http://localhost:8000/v1");
      }
      if (model.isBlank()) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_EMBEDDINGS_MODEL: must not be blank");
      }
    }

    /** Where the vectors are asked for: {@code {base}/embeddings}. */
    String endpoint() {
      String base = baseUrl.toString();
      return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/embeddings";
    }

    @Override
    public String toString() {
      return "Settings[baseUrl=" + baseUrl.getScheme() + "://" + baseUrl.getHost()
          + (baseUrl.getPort() > 0 ? ":" + baseUrl.getPort() : "") + Objects.toString(baseUrl.getRawPath(), "")
          + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)") + ", model=" + model + "]";
    }
  }

  private final Settings settings;
  private final WebClient client;
  private final Counter failures;
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  /** Whether the last request failed, so that a server that is down is reported once, not per text. */
  private final AtomicBoolean failing = new AtomicBoolean();

  public OpenAiEmbeddings(Vertx vertx, Settings settings, MeterRegistry registry) {
    this.settings = Objects.requireNonNull(settings, "settings");
    // A slow server must not queue requests without bound (each would wait past its timeout):
    // past the queue a text fails at once and is kept without a vector.
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setConnectTimeout((int) TIMEOUT.toMillis()).setUserAgentEnabled(false),
        // Twice the requests ever in flight: a connection whose answer just came may not be back in
        // the pool yet when the next request goes.
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(2 * MAX_IN_FLIGHT));
    this.failures = Counter.builder("parley.embeddings.failures")
        .description("Texts (memories, messages, questions) left without a vector because the embeddings server "
            + "failed or was slow")
        .register(registry);
  }

  @Override
  public Future<Optional<float[]>> vector(String text) {
    if (text == null || text.isBlank()) {
      return Future.succeededFuture(Optional.empty());
    }
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      failures.increment();
      return Future.succeededFuture(Optional.empty());
    }
    String input = text.length() <= MAX_INPUT_CHARS ? text : text.substring(0, MAX_INPUT_CHARS);
    var request = client.postAbs(settings.endpoint()).idleTimeout(TIMEOUT.toMillis());
    settings.apiKey().ifPresent(request::bearerTokenAuthentication);
    return request.sendJsonObject(new JsonObject().put("model", settings.model()).put("input", new JsonArray().add(input)))
        .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .andThen(done -> inFlight.decrementAndGet())
        .map(OpenAiEmbeddings::first)
        .map(v -> {
          if (failing.compareAndSet(true, false)) {
            LOG.info("embeddings: {} answers again", settings.endpoint());
          }
          return Optional.of(v);
        })
        .recover(e -> {
          failures.increment();
          if (failing.compareAndSet(false, true)) {
            LOG.warn("embeddings: {} failed ({}); texts are stored and ranked without vectors until it answers",
                settings.endpoint(), scrub(e.getMessage()));
          }
          return Future.succeededFuture(Optional.empty());
        });
  }

  /** {@code data[0].embedding} of a 200 answer, as floats. */
  private static float[] first(HttpResponse<Buffer> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + response.statusCode());
    }
    JsonArray data = response.bodyAsJsonObject().getJsonArray("data");
    JsonArray embedding = data == null || data.isEmpty() ? null : data.getJsonObject(0).getJsonArray("embedding");
    if (embedding == null || embedding.isEmpty()) {
      throw new IllegalStateException("no data[0].embedding in the answer");
    }
    float[] v = new float[embedding.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) embedding.getValue(i)).floatValue();
    }
    return v;
  }

  /** A server may echo the key in an error: never log it. */
  private String scrub(String text) {
    String key = settings.apiKey().orElse("");
    return text == null ? "" : key.length() >= 4 ? text.replace(key, "***") : text;
  }

  @Override
  public void close() {
    client.close();
  }
}
