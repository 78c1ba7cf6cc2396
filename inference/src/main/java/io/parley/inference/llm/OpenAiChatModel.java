package io.parley.inference.llm;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of any OpenAI-compatible <a href="https://platform.openai.com/docs/api-reference/chat/create">
 * Chat Completions</a> server (vLLM, llama.cpp server, Ollama, OpenAI), streaming with
 * <a href="https://platform.openai.com/docs/api-reference/chat-streaming">server-sent events</a>.
 *
 * <p>{@code POST {base}/chat/completions} with {@code stream: true}; every {@code data:} event is a
 * {@code chat.completion.chunk} whose {@code choices[0].delta.content} is the next piece and whose
 * {@code finish_reason}, once set, is the answer's; chunks without choices (usage) are skipped; the
 * event {@code [DONE]} ends the stream. The sink is called on one event loop (the caller's context,
 * or one Vert.x picks).
 *
 * <p>Failures reach {@link ChatModel.Sink#failed} as {@link ParleyException}: a non-200 answer
 * (with the server's {@code error.message}; 429 is LIMITED, 400 INVALID, others UNAVAILABLE), a
 * connect failure, no data for the idle timeout, an {@code error} event, a malformed event, or a
 * stream that ends before {@code [DONE]} or a finish reason. {@link Completion#cancel()} resets the
 * HTTP request (the connection is closed, so the server stops generating) and ends with
 * {@code done("cancelled")}.
 *
 * <p>Buffering is bounded: pieces go to the sink as each event completes, a line is at most
 * {@link SseParser#MAX_LINE_BYTES}, an error body at most {@link #MAX_ERROR_BODY_BYTES}. The API key
 * is sent as {@code Authorization: Bearer} and appears in no log line, message or {@code toString}.
 */
public final class OpenAiChatModel implements ChatModel {

  /** Most bytes of a non-200 body read for its error message. */
  public static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(OpenAiChatModel.class);

  /**
   * Settings of the remote model.
   *
   * @param baseUrl e.g. {@code http://localhost:8000/v1} (PARLEY_LLM_BASE_URL)
   * @param apiKey bearer key (PARLEY_LLM_API_KEY); never logged
   * @param model model name sent and reported (PARLEY_LLM_MODEL)
   * @param connectTimeout how long connecting may take
   * @param idleTimeout longest silence before and between chunks
   */
  public record Settings(URI baseUrl, Optional<String> apiKey, String model, Duration connectTimeout,
                         Duration idleTimeout) {
    public Settings {
      Objects.requireNonNull(baseUrl, "baseUrl");
      Objects.requireNonNull(apiKey, "apiKey");
      Objects.requireNonNull(model, "model");
      String scheme = baseUrl.getScheme();
      if (!"http".equals(scheme) && !"https".equals(scheme) || baseUrl.getHost() == null) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_LLM_BASE_URL: must be an http(s) URL with a host, e.g. "
            + "http://localhost:8000/v1");
      }
      if (connectTimeout.isNegative() || connectTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive");
      }
    }

    public Settings(URI baseUrl, Optional<String> apiKey, String model) {
      this(baseUrl, apiKey, model, Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    /** From the chat model options: PARLEY_LLM_BASE_URL, PARLEY_LLM_API_KEY, PARLEY_LLM_MODEL. */
    public static Settings of(LlmOptions options) {
      URI base = options.baseUrl().orElseThrow(() -> new ParleyException(Reason.CONFIG,
          "PARLEY_LLM_BASE_URL: not set; set it to an OpenAI-compatible server, e.g. http://localhost:8000/v1"));
      return new Settings(base, options.apiKey(), options.model());
    }

    @Override
    public String toString() {
      return "Settings[baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)")
          + ", model=" + model + ", connectTimeout=" + connectTimeout + ", idleTimeout=" + idleTimeout + "]";
    }
  }

  private final Vertx vertx;
  private final Settings settings;
  private final HttpClient client;
  private final String host;
  private final int port;
  private final boolean ssl;
  private final String uri;
  private final Set<RemoteCompletion> running = ConcurrentHashMap.newKeySet();
  /**
   * Completions streaming at once; more wait their turn here, in order. Vert.x's own pool queue is
   * never used: there a waiting request fails at the connect timeout although the server is up
   * and only busy with the others (and Vert.x 5.0 leaves the timer of each request it queued
   * armed, which later logs "Promise already completed", upstream eclipse-vertx/vert.x#6169).
   */
  public static final int MAX_CONNECTIONS = 32;
  /** Completions that may wait for one of the MAX_CONNECTIONS; past it a completion fails at once (busy). */
  public static final int MAX_WAITING = 256;
  /** Completions admitted and not yet ended; guarded by {@code this}. */
  private int streaming;
  /** Completions waiting for one of the MAX_CONNECTIONS; guarded by {@code this}. */
  private final java.util.ArrayDeque<RemoteCompletion> waiting = new java.util.ArrayDeque<>();

  public OpenAiChatModel(Vertx vertx, Settings settings) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.settings = Objects.requireNonNull(settings, "settings");
    URI base = settings.baseUrl();
    this.ssl = base.getScheme().equals("https");
    this.host = base.getHost();
    this.port = base.getPort() > 0 ? base.getPort() : ssl ? 443 : 80;
    String path = base.getRawPath() == null ? "" : base.getRawPath();
    this.uri = (path.endsWith("/") ? path.substring(0, path.length() - 1) : path) + "/chat/completions";
    // Twice the connections ever streaming at once: a connection whose answer just ended may not
    // be back in the pool yet when the next completion starts, which must not wait in its queue.
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis())),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(2 * MAX_CONNECTIONS));
  }

  @Override
  public String model() {
    return settings.model();
  }

  @Override
  public Completion stream(ChatRequest request, Sink sink) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(sink, "sink");
    RemoteCompletion completion = new RemoteCompletion(vertx.getOrCreateContext(), request, sink);
    running.add(completion);
    synchronized (this) {
      if (streaming >= MAX_CONNECTIONS && waiting.size() >= MAX_WAITING) {
        completion.context.runOnContext(v -> completion.fail(new ParleyException(Reason.UNAVAILABLE,
            "LLM server " + endpoint() + " busy: " + MAX_CONNECTIONS + " answers streaming and " + MAX_WAITING
                + " waiting")));
        return completion;
      }
      if (streaming >= MAX_CONNECTIONS) {
        waiting.add(completion);
        return completion;
      }
      streaming++;
      completion.admitted = true;
    }
    completion.context.runOnContext(v -> completion.start());
    return completion;
  }

  /** {@code c} ended: its place goes to the first waiting completion, or it leaves the queue. */
  private void release(RemoteCompletion c) {
    RemoteCompletion next;
    synchronized (this) {
      if (!c.admitted) {
        waiting.remove(c);
        return;
      }
      next = waiting.poll();
      if (next == null) {
        streaming--;
        return;
      }
      next.admitted = true;
    }
    next.context.runOnContext(v -> next.start());
  }

  @Override
  public void close() {
    running.forEach(RemoteCompletion::cancel);
    client.close();
  }

  /** The base URL for messages, without any user info it may carry. */
  private String endpoint() {
    URI b = settings.baseUrl();
    return b.getScheme() + "://" + b.getHost() + (b.getPort() > 0 ? ":" + b.getPort() : "")
        + (b.getRawPath() == null ? "" : b.getRawPath());
  }

  /** Removes the key from text that came from elsewhere (a server may echo it in an error). */
  private String scrub(String text) {
    if (text == null) {
      return "";
    }
    String key = settings.apiKey().orElse("");
    return key.length() >= 4 ? text.replace(key, "***") : text;
  }

  /** One completion; every field is touched on its context only. */
  private final class RemoteCompletion implements Completion {
    private final Context context;
    private final ChatRequest request;
    private final Sink sink;
    private final Promise<String> finished = Promise.promise();
    private final SseParser parser = new SseParser(this::onEvent);
    private HttpClientRequest http;
    private boolean ended;
    /** Holds one of the MAX_CONNECTIONS; guarded by the model. */
    private boolean admitted;
    private boolean streaming;
    private String finishReason;
    private final ToolCallDeltas toolCalls;

    RemoteCompletion(Context context, ChatRequest request, Sink sink) {
      this.context = context;
      this.request = request;
      this.sink = sink;
      this.toolCalls = new ToolCallDeltas(sink);
    }

    @Override
    public void cancel() {
      context.runOnContext(v -> {
        if (!ended) {
          done("cancelled");
        }
      });
    }

    @Override
    public Future<String> finished() {
      return finished.future();
    }

    void start() {
      if (ended) {
        return;
      }
      RequestOptions options = new RequestOptions()
          .setMethod(HttpMethod.POST)
          .setHost(host)
          .setPort(port)
          .setSsl(ssl)
          .setURI(uri)
          .setConnectTimeout(settings.connectTimeout().toMillis())
          .setIdleTimeout(settings.idleTimeout().toMillis())
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.ACCEPT, "text/event-stream");
      settings.apiKey().ifPresent(key -> options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key));
      LOG.debug("chat completion: POST {} model {} ({} messages, max {} tokens)", endpoint(), model(),
          request.messages().size(), request.maxTokens());
      client.request(options).onComplete(created -> {
        if (created.failed()) {
          fail(new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint() + " unreachable: "
              + describe(created.cause()), created.cause()));
          return;
        }
        HttpClientRequest r = created.result();
        if (ended) {
          r.reset();
          return;
        }
        http = r;
        r.send(body()).onComplete(answered -> {
          if (answered.failed()) {
            fail(transportFailure(answered.cause()));
          } else {
            onResponse(answered.result());
          }
        });
      });
    }

    private Buffer body() {
      JsonObject body = new JsonObject()
          .put("model", settings.model())
          .put("messages", messages(request))
          .put("stream", true)
          .put("max_tokens", request.maxTokens())
          .put("temperature", request.temperature());
      if (!request.tools().isEmpty()) {
        body.put("tools", new JsonArray(request.tools().stream().map(Tool::toJson).toList()))
            .put("tool_choice", request.toolChoice().toJson());
      }
      return body.toBuffer();
    }

    private void onResponse(HttpClientResponse response) {
      if (ended) {
        return;
      }
      response.exceptionHandler(t -> fail(transportFailure(t)));
      if (response.statusCode() != 200) {
        Buffer error = Buffer.buffer();
        response.handler(chunk -> {
          if (error.length() < MAX_ERROR_BODY_BYTES) {
            error.appendBuffer(chunk, 0, Math.min(chunk.length(), MAX_ERROR_BODY_BYTES - error.length()));
          }
        });
        response.endHandler(v -> fail(statusFailure(response, error)));
        return;
      }
      streaming = true;
      response.handler(chunk -> {
        if (ended) {
          return;
        }
        try {
          parser.feed(chunk);
        } catch (SseParser.SseException e) {
          fail(new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint() + " sent a malformed stream: "
              + e.getMessage()));
        }
      });
      response.endHandler(v -> {
        if (ended) {
          return;
        }
        if (finishReason != null && !parser.hasPartialEvent()) {
          done(finishReason); // no [DONE], but the answer was complete
        } else {
          fail(new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint()
              + " ended the stream before [DONE] (answer cut off)"));
        }
      });
    }

    private void onEvent(String data) {
      if (ended) {
        return;
      }
      if (data.equals("[DONE]")) {
        done(finishReason != null ? finishReason : "stop");
        return;
      }
      String piece = null;
      JsonArray calls = null;
      try {
        JsonObject chunk = new JsonObject(data);
        if (chunk.getValue("error") != null) {
          Object error = chunk.getValue("error");
          String message = error instanceof JsonObject e ? e.getString("message", e.encode()) : String.valueOf(error);
          fail(new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint() + " reported an error: "
              + scrub(message)));
          return;
        }
        JsonArray choices = chunk.getJsonArray("choices");
        if (choices == null || choices.isEmpty()) {
          return; // e.g. the usage chunk
        }
        JsonObject choice = choices.getJsonObject(0);
        JsonObject delta = choice.getJsonObject("delta");
        if (delta != null) {
          piece = delta.getString("content");
          calls = delta.getJsonArray("tool_calls");
        }
        String reason = choice.getString("finish_reason");
        if (reason != null) {
          finishReason = reason;
        }
      } catch (RuntimeException e) {
        fail(new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint() + " sent a malformed event: "
            + abbreviate(scrub(data))));
        return;
      }
      try {
        if (piece != null && !piece.isEmpty()) {
          sink.piece(piece);
        }
        if (calls != null) {
          toolCalls.accept(calls);
        }
        if (finishReason != null) {
          toolCalls.finish();
        }
      } catch (ToolCallDeltas.MalformedException e) {
        fail(new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint() + " sent malformed tool calls: "
            + e.getMessage()));
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    private ParleyException statusFailure(HttpClientResponse response, Buffer body) {
      int status = response.statusCode();
      String detail;
      try {
        JsonObject json = new JsonObject(body);
        Object error = json.getValue("error");
        detail = error instanceof JsonObject e ? e.getString("message", e.encode())
            : error != null ? String.valueOf(error) : json.encode();
      } catch (RuntimeException e) {
        detail = body.toString();
      }
      String message = "LLM server " + endpoint() + " answered HTTP " + status + ": " + abbreviate(scrub(detail));
      if (status == 401 || status == 403) {
        message += " (check PARLEY_LLM_API_KEY)";
      }
      if (status == 429) {
        String retry = response.getHeader("Retry-After");
        Duration after = Duration.ofSeconds(1);
        try {
          after = retry == null ? after : Duration.ofSeconds(Math.max(1, Long.parseLong(retry.trim())));
        } catch (NumberFormatException ignored) {
          // an HTTP date; keep the default
        }
        return ParleyException.limited(message, after);
      }
      return new ParleyException(status == 400 ? Reason.INVALID : Reason.UNAVAILABLE, message);
    }

    private ParleyException transportFailure(Throwable cause) {
      String text = describe(cause);
      if (cause instanceof java.util.concurrent.TimeoutException || text.toLowerCase().contains("timeout")) {
        return new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint() + " sent nothing for "
            + settings.idleTimeout().toMillis() + " ms (timeout)", cause);
      }
      return new ParleyException(Reason.UNAVAILABLE, "LLM server " + endpoint()
          + (streaming ? " stream broke off before [DONE] (answer cut off): " : " connection failed: ") + text, cause);
    }

    private String describe(Throwable t) {
      String m = t.getMessage();
      return scrub(m == null || m.isBlank() ? t.getClass().getSimpleName() : m);
    }

    /**
     * Resets the HTTP request so the server sees the connection go and stops generating. Only once
     * ended: a reset fails the response at once, and that failure must find the completion over.
     */
    private void abort() {
      if (http != null) {
        http.reset();
      }
    }

    private void done(String reason) {
      if (ended) {
        return;
      }
      if (!reason.equals("cancelled")) {
        try {
          toolCalls.finish();
        } catch (RuntimeException e) {
          fail(e);
          return;
        }
        if (toolCalls.count() > 0 && reason.equals("stop")) {
          reason = "tool_calls"; // some servers say stop after calls; the caller must know to run them
        }
      }
      ended = true;
      running.remove(this);
      release(this);
      if (reason.equals("cancelled")) {
        abort();
      }
      try {
        sink.done(reason);
      } finally {
        finished.complete(reason);
      }
    }

    private void fail(Throwable error) {
      if (ended) {
        return;
      }
      ended = true;
      running.remove(this);
      release(this);
      abort();
      LOG.debug("chat completion failed: {}", error.getMessage());
      try {
        sink.failed(error);
      } finally {
        finished.fail(error);
      }
    }
  }

  /** The messages in the OpenAI wire form, with assistant tool calls and tool results. */
  static JsonArray messages(ChatRequest request) {
    JsonArray messages = new JsonArray();
    for (ChatMessage m : request.messages()) {
      JsonObject message = new JsonObject().put("role", m.role());
      if (m.toolCalls().isEmpty()) {
        message.put("content", m.content());
      } else {
        JsonArray calls = new JsonArray();
        for (ToolCall c : m.toolCalls()) {
          calls.add(new JsonObject().put("id", c.id()).put("type", "function")
              .put("function", new JsonObject().put("name", c.name()).put("arguments", c.arguments())));
        }
        message.put("content", m.content().isEmpty() ? null : m.content()).put("tool_calls", calls);
      }
      m.toolCallId().ifPresent(id -> message.put("tool_call_id", id));
      messages.add(message);
    }
    return messages;
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
