package io.parley.inference.tts;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import io.vertx.core.Context;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Speech synthesis by an OpenAI-compatible server: {@code POST {base}/audio/speech} with
 * {@code {"model", "input", "voice", "response_format": "pcm"}}, whose answer is raw 24 kHz PCM16
 * little-endian mono (<a href="https://platform.openai.com/docs/guides/text-to-speech">OpenAI
 * text-to-speech guide</a>: "raw samples in 24kHz (16-bit signed, low-endian), without the
 * header"; <a href="https://platform.openai.com/docs/api-reference/audio/createSpeech">API
 * reference</a>). Audio reaches the sink as the response streams in.
 *
 * <p>Built on {@code java.net.http} rather than the Vert.x client because the interface blocks: the
 * response body is a Reactive Streams publisher whose demand is the hand-off's bound (at most
 * {@value #MAX_QUEUED_CHUNKS} chunks wait for the synthesizing thread), cancelling it closes the
 * connection from any thread, and no callback needs an event loop or a Vert.x context the caller
 * might itself be blocking (a Vert.x worker context delivers client callbacks on the thread that
 * waits for them).
 *
 * <p>The bearer key goes into the {@code Authorization} header only; it is never logged, and an
 * error text that echoes it is masked.
 */
public final class OpenAiSpeech implements TextToSpeech {

  /** The {@code pcm} response format's rate. */
  public static final int SAMPLE_RATE = 24_000;
  /** Sent when nothing else is configured (there is no PARLEY_TTS_MODEL key yet). */
  public static final String DEFAULT_MODEL = "tts-1";
  /** Asked for when nothing else is configured. */
  public static final String DEFAULT_VOICE = "alloy";
  /** The language tag of a voice that speaks whatever it is given (ISO 639-2 "multiple languages"). */
  static final String ANY_LANGUAGE = "mul";
  /** The OpenAI endpoint's input limit. */
  public static final int MAX_TEXT_CHARS = 4_096;
  /** Response chunks waiting for the synthesizing thread; the server is held back beyond. */
  public static final int MAX_QUEUED_CHUNKS = 16;
  /** Error bodies are read this far for their message. */
  public static final int MAX_ERROR_BODY_BYTES = 8 * 1024;
  /** Longest audio accepted from one request: ten minutes. */
  public static final long MAX_AUDIO_BYTES = 10L * 60 * SAMPLE_RATE * Pcm.BYTES_PER_SAMPLE;
  /** Longest error message quoted from the server. */
  public static final int MAX_QUOTED_CHARS = 300;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Longest wait for the response to start, or between two of its chunks. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** How often a waiting synthesis looks at its cancellation flag. */
  static final long POLL_MILLIS = 20;

  private static final List<String> NOT_PCM = List.of("application/json", "text/", "audio/mpeg", "audio/mp3",
      "audio/wav", "audio/x-wav", "audio/wave", "audio/ogg", "audio/opus", "audio/aac", "audio/flac");

  private final URI endpoint;
  private final Optional<String> apiKey;
  private final String model;
  private final String voice;
  private final Duration idleTimeout;
  private final HttpClient http;

  public OpenAiSpeech(URI baseUrl, Optional<String> apiKey, String model, String voice) {
    this(baseUrl, apiKey, model, voice, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT);
  }

  OpenAiSpeech(URI baseUrl, Optional<String> apiKey, String model, String voice, Duration connectTimeout,
               Duration idleTimeout) {
    String scheme = Objects.requireNonNull(baseUrl, "baseUrl").getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || baseUrl.getHost() == null) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_TTS_BASE_URL: an http or https URL is needed, not " + baseUrl);
    }
    String base = baseUrl.toString().replaceAll("/+$", "");
    this.endpoint = URI.create(base + "/audio/speech");
    this.apiKey = Objects.requireNonNull(apiKey, "apiKey").filter(k -> !k.isBlank());
    this.model = requireText(model, "model");
    this.voice = requireText(voice, "voice");
    this.idleTimeout = idleTimeout;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1) // plain servers (vLLM, llama.cpp, Ollama) speak 1.1; cancel closes the connection
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** The engine configured by {@code PARLEY_TTS_BASE_URL}, {@code PARLEY_TTS_API_KEY} and {@code PARLEY_TTS_VOICE}. */
  public static OpenAiSpeech from(TtsOptions options) {
    URI base = options.baseUrl().orElseThrow(() -> new ParleyException(Reason.CONFIG,
        "PARLEY_TTS_BASE_URL: required with PARLEY_TTS_ENGINE=openai"));
    return new OpenAiSpeech(base, options.apiKey(), DEFAULT_MODEL, options.voice().orElse(DEFAULT_VOICE));
  }

  @Override
  public int sampleRate() {
    return SAMPLE_RATE;
  }

  @Override
  public String voice() {
    return voice;
  }

  /** OpenAI's voices; the server may have others, which {@link #voiceNamed} passes on. */
  @Override
  public List<TtsVoice> voices() {
    return OPENAI_VOICES.stream().map(OpenAiSpeech::serverVoice).toList();
  }

  /** The server's voices speak every language (OpenAI's do). */
  @Override
  public Optional<TtsVoice> voiceSpeaking(String tag) {
    return Optional.of(serverVoice(voice));
  }

  /** Any name: the server knows its voices, and refuses others. */
  @Override
  public TtsVoice voiceNamed(String name) {
    return serverVoice(name == null || name.isBlank() ? voice : name.strip());
  }

  private static TtsVoice serverVoice(String name) {
    return new TtsVoice(name, List.of(ANY_LANGUAGE), "a voice of the speech server");
  }

  public String model() {
    return model;
  }

  @Override
  public void synthesize(String text, SpeechStyle style, AudioSink sink, BooleanSupplier cancelled) {
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(cancelled, "cancelled");
    if (Context.isOnEventLoopThread()) {
      throw new ParleyException(Reason.INTERNAL, "speech synthesis blocks: call it on a worker, not an event loop");
    }
    if (text.length() > MAX_TEXT_CHARS) {
      throw new ParleyException(Reason.LIMITED,
          "speech input of " + text.length() + " characters exceeds the limit of " + MAX_TEXT_CHARS);
    }
    if (text.isBlank() || cancelled.getAsBoolean()) {
      return;
    }
    JsonObject json = new JsonObject()
        .put("model", model)
        .put("input", text)
        .put("voice", voiceNamed(style.voice()).name())
        .put("response_format", "pcm");
    if (style.speed() != 1.0) {
      json.put("speed", style.speed());
    }
    String body = json.encode();
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
        .timeout(idleTimeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    apiKey.ifPresent(key -> request.header("Authorization", "Bearer " + key));

    Handoff handoff = new Handoff();
    CompletableFuture<HttpResponse<Void>> exchange = http.sendAsync(request.build(), handoff);
    exchange.whenComplete((response, failure) -> {
      if (failure != null) {
        handoff.offer(new Failed(failure));
      }
    });
    try {
      receive(handoff, sink, cancelled);
    } finally {
      exchange.cancel(true); // no-op once complete; before the response, cancels the exchange
      handoff.cancel();
    }
  }

  private void receive(Handoff handoff, AudioSink sink, BooleanSupplier cancelled) {
    Head head = null;
    ByteArrayOutputStream errorBody = null;
    long audioBytes = 0;
    int carry = -1;
    long idleLimit = idleTimeout.toNanos();
    long lastActivity = System.nanoTime();
    while (true) {
      if (cancelled.getAsBoolean()) {
        return;
      }
      Item item;
      try {
        item = handoff.queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ParleyException(Reason.UNAVAILABLE, "speech synthesis interrupted");
      }
      if (item == null) {
        if (System.nanoTime() - lastActivity > idleLimit) {
          throw new ParleyException(Reason.UNAVAILABLE, "speech server " + endpoint + " sent nothing for "
              + idleTimeout.toSeconds() + " s");
        }
        continue;
      }
      lastActivity = System.nanoTime();
      switch (item) {
        case Head h -> {
          head = h;
          if (h.status() != 200) {
            errorBody = new ByteArrayOutputStream();
          } else {
            checkAudioType(h.contentType());
          }
        }
        case Data d -> {
          handoff.request(1);
          if (errorBody != null) {
            errorBody.write(d.bytes(), 0, Math.min(d.bytes().length, MAX_ERROR_BODY_BYTES - errorBody.size()));
            if (errorBody.size() >= MAX_ERROR_BODY_BYTES) {
              throw statusError(head, errorBody.toByteArray());
            }
            continue;
          }
          audioBytes += d.bytes().length;
          if (audioBytes > MAX_AUDIO_BYTES) {
            throw new ParleyException(Reason.UNAVAILABLE, "speech server " + endpoint + " sent more than "
                + MAX_AUDIO_BYTES + " bytes of audio");
          }
          byte[] bytes = d.bytes();
          if (carry >= 0) {
            byte[] joined = new byte[bytes.length + 1];
            joined[0] = (byte) carry;
            System.arraycopy(bytes, 0, joined, 1, bytes.length);
            bytes = joined;
          }
          int whole = bytes.length & ~1;
          carry = whole < bytes.length ? bytes[whole] & 0xff : -1;
          if (whole > 0 && !cancelled.getAsBoolean()) {
            sink.audio(Pcm.fromLittleEndian(bytes, 0, whole));
          }
        }
        case End e -> {
          if (head == null) {
            throw new ParleyException(Reason.INTERNAL, "speech response ended before it started");
          }
          if (errorBody != null) {
            throw statusError(head, errorBody.toByteArray());
          }
          return; // a dangling odd byte is not a sample: dropped
        }
        case Failed f -> throw transportError(f.cause());
      }
    }
  }

  private void checkAudioType(Optional<String> contentType) {
    String type = contentType.map(t -> t.toLowerCase(Locale.ROOT)).orElse("");
    if (NOT_PCM.stream().anyMatch(type::startsWith)) {
      throw new ParleyException(Reason.UNAVAILABLE, "speech server " + endpoint + " answered " + type
          + ", not raw PCM: does it support response_format \"pcm\"?");
    }
  }

  private ParleyException statusError(Head head, byte[] body) {
    String detail = quote(body);
    String prefix = "speech server " + endpoint + " answered " + head.status() + (detail.isEmpty() ? "" : ": " + detail);
    return switch (head.status()) {
      case 400, 413, 422 -> new ParleyException(Reason.INVALID, prefix);
      case 401, 403 -> new ParleyException(Reason.UNAVAILABLE, prefix + " (check PARLEY_TTS_API_KEY)");
      case 404 -> new ParleyException(Reason.UNAVAILABLE, prefix + " (check PARLEY_TTS_BASE_URL)");
      case 429 -> head.retryAfter()
          .map(after -> ParleyException.limited(prefix, after))
          .orElseGet(() -> new ParleyException(Reason.LIMITED, prefix));
      default -> new ParleyException(Reason.UNAVAILABLE, prefix);
    };
  }

  private ParleyException transportError(Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    String what = switch (cause) {
      case HttpConnectTimeoutException t -> "did not accept a connection in time";
      case HttpTimeoutException t -> "did not answer within " + idleTimeout.toSeconds() + " s";
      case ConnectException c -> "refused the connection";
      default -> "failed: " + cause;
    };
    return new ParleyException(Reason.UNAVAILABLE, "speech server " + endpoint + " " + what, cause);
  }

  /** The server's error message (OpenAI's {@code {"error": {"message"}}} or plain text), key masked. */
  private String quote(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8).strip();
    try {
      JsonObject json = new JsonObject(text);
      Object error = json.getValue("error");
      if (error instanceof JsonObject e && e.getValue("message") instanceof String m) {
        text = m;
      } else if (error instanceof String s) {
        text = s;
      } else if (json.getValue("detail") instanceof String d) {
        text = d;
      }
    } catch (DecodeException | ClassCastException notJson) {
      // plain text
    }
    if (apiKey.isPresent()) {
      text = text.replace(apiKey.get(), "***");
    }
    text = text.replaceAll("\\s+", " ");
    return text.length() <= MAX_QUOTED_CHARS ? text : text.substring(0, MAX_QUOTED_CHARS) + "...";
  }

  /** Closes the HTTP client; running syntheses fail. */
  @Override
  public void close() {
    http.shutdownNow();
  }

  @Override
  public String toString() {
    return "OpenAiSpeech[" + endpoint + ", model " + model + ", voice " + voice + "]";
  }

  private static String requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return value;
  }

  private sealed interface Item permits Head, Data, End, Failed {}

  private record Head(int status, Optional<String> contentType, Optional<Duration> retryAfter) implements Item {}

  private record Data(byte[] bytes) implements Item {}

  private record End() implements Item {}

  private record Failed(Throwable cause) implements Item {}

  /**
   * Response body to synthesizing thread: the body's demand never exceeds the queue's free room,
   * so the network waits while the consumer is slow.
   */
  private static final class Handoff implements HttpResponse.BodyHandler<Void>, Flow.Subscriber<List<ByteBuffer>> {
    // chunks in flight, the head, and terminal items (a body error may arrive twice)
    final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(MAX_QUEUED_CHUNKS + 3);
    private Flow.Subscription subscription;
    private boolean cancelled;

    @Override
    public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo info) {
      Optional<Duration> retryAfter = info.headers().firstValue("Retry-After").flatMap(OpenAiSpeech::seconds);
      offer(new Head(info.statusCode(), info.headers().firstValue("Content-Type"), retryAfter));
      return HttpResponse.BodySubscribers.fromSubscriber(this);
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
      if (cancelled) {
        s.cancel();
        return;
      }
      subscription = s;
      s.request(MAX_QUEUED_CHUNKS);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      int n = buffers.stream().mapToInt(ByteBuffer::remaining).sum();
      byte[] bytes = new byte[n];
      int at = 0;
      for (ByteBuffer b : buffers) {
        int r = b.remaining();
        b.get(bytes, at, r);
        at += r;
      }
      offer(new Data(bytes));
    }

    @Override
    public void onError(Throwable t) {
      offer(new Failed(t));
    }

    @Override
    public void onComplete() {
      offer(new End());
    }

    void offer(Item item) {
      if (!queue.offer(item)) {
        // the demand bound makes this impossible; a publisher that ignores it is a bug
        queue.clear();
        queue.offer(new Failed(new IllegalStateException("response body exceeded its demand")));
      }
    }

    synchronized void request(long n) {
      if (subscription != null && !cancelled) {
        subscription.request(n);
      }
    }

    synchronized void cancel() {
      cancelled = true;
      if (subscription != null) {
        subscription.cancel();
      }
    }
  }

  private static Optional<Duration> seconds(String value) {
    try {
      long s = Long.parseLong(value.strip());
      return s >= 0 ? Optional.of(Duration.ofSeconds(s)) : Optional.empty();
    } catch (NumberFormatException httpDate) {
      return Optional.empty();
    }
  }
}
