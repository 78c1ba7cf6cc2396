package io.parley.inference.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.audio.Pcm;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Against a local Vert.x HTTP server playing an OpenAI-compatible speech endpoint. */
class OpenAiSpeechTest {

  private static final String KEY = "sk-test-0123456789abcdef";
  private static final short[] SPEECH = new short[2_401];

  static {
    for (int i = 0; i < SPEECH.length; i++) {
      SPEECH[i] = (short) (8_000 * Math.sin(2 * Math.PI * 440 * i / 24_000.0));
    }
  }

  private static Vertx vertx;
  private static HttpServer server;
  private static final AtomicReference<Consumer<HttpServerRequest>> handler = new AtomicReference<>();
  private OpenAiSpeech tts;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer()
        .requestHandler(req -> handler.get().accept(req))
        .listen(0, "127.0.0.1")
        .await();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @AfterEach
  void closeClient() {
    if (tts != null) {
      tts.close();
    }
  }

  private OpenAiSpeech client(Duration idleTimeout) {
    tts = new OpenAiSpeech(URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/"), Optional.of(KEY), "tts-1",
        "alloy", Duration.ofSeconds(5), idleTimeout);
    return tts;
  }

  private static void synthesizeExpectingFailure(OpenAiSpeech tts) {
    tts.synthesize("Hello there.", s -> { }, () -> false);
  }

  @Test
  void pcmStreamsToTheSinkAsItArrives() {
    byte[] pcm = Pcm.toLittleEndian(SPEECH);
    CompletableFuture<Void> firstAudioSeen = new CompletableFuture<>();
    AtomicReference<JsonObject> requestBody = new AtomicReference<>();
    AtomicReference<String> authorization = new AtomicReference<>();
    handler.set(req -> req.body().onSuccess(body -> {
      requestBody.set(body.toJsonObject());
      authorization.set(req.getHeader("Authorization"));
      assertThat(req.path()).isEqualTo("/v1/audio/speech");
      var resp = req.response().setChunked(true).putHeader("Content-Type", "audio/pcm");
      // odd byte counts: samples split across chunks
      int[] cuts = {0, 1001, 2001, 3333, pcm.length};
      resp.write(Buffer.buffer(Arrays.copyOfRange(pcm, cuts[0], cuts[1])));
      // the rest only once the client has handed the first chunk to its sink: proves streaming
      firstAudioSeen.whenComplete((v, e) -> vertx.runOnContext(x -> {
        for (int i = 1; i + 1 < cuts.length; i++) {
          resp.write(Buffer.buffer(Arrays.copyOfRange(pcm, cuts[i], cuts[i + 1])));
        }
        resp.end();
      }));
    }));
    SampleCollector out = new SampleCollector() {
      @Override
      public synchronized void audio(short[] samples) {
        super.audio(samples);
        firstAudioSeen.complete(null);
      }
    };
    OpenAiSpeech tts = client(Duration.ofSeconds(10));
    tts.synthesize("Hello there.", out, () -> false);

    assertThat(out.samples()).containsExactly(Arrays.copyOf(SPEECH, SPEECH.length)); // 4802 bytes: no sample lost
    assertThat(out.chunks()).isGreaterThan(1);
    assertThat(requestBody.get()).isEqualTo(new JsonObject().put("model", "tts-1").put("input", "Hello there.")
        .put("voice", "alloy").put("response_format", "pcm"));
    assertThat(authorization.get()).isEqualTo("Bearer " + KEY);
    assertThat(tts.sampleRate()).isEqualTo(24_000);
    assertThat(tts.voice()).isEqualTo("alloy");
    assertThat(tts.toString()).doesNotContain(KEY);
  }

  @Test
  void errorResponsesAreClearAndNeverShowTheKey() {
    OpenAiSpeech tts = client(Duration.ofSeconds(10));
    handler.set(req -> req.response().setStatusCode(401).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("message", "Incorrect API key provided: " + KEY)
            .put("type", "invalid_request_error")).encode()));
    assertThatThrownBy(() -> synthesizeExpectingFailure(tts))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE))
        .hasMessageContaining("answered 401: Incorrect API key provided: ***")
        .hasMessageContaining("PARLEY_TTS_API_KEY")
        .message().doesNotContain(KEY);

    handler.set(req -> req.response().setStatusCode(400).end("{\"detail\":\"Voice 'alloy' not found\"}"));
    assertThatThrownBy(() -> synthesizeExpectingFailure(tts))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
        .hasMessageContaining("answered 400: Voice 'alloy' not found");

    handler.set(req -> req.response().setStatusCode(429).putHeader("Retry-After", "7").end("slow down"));
    assertThatThrownBy(() -> synthesizeExpectingFailure(tts))
        .isInstanceOfSatisfying(ParleyException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.LIMITED);
          assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
        })
        .hasMessageContaining("answered 429: slow down");

    handler.set(req -> req.response().setStatusCode(500).end("x".repeat(100_000)));
    assertThatThrownBy(() -> synthesizeExpectingFailure(tts))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE))
        .hasMessageContaining("answered 500: xxx").hasMessageEndingWith("...");

    handler.set(req -> req.response().putHeader("Content-Type", "audio/mpeg").end(Buffer.buffer(new byte[100])));
    assertThatThrownBy(() -> synthesizeExpectingFailure(tts))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE))
        .hasMessageContaining("answered audio/mpeg, not raw PCM");
  }

  @Test
  void cancellationClosesTheRequest() throws Exception {
    CountDownLatch closed = new CountDownLatch(1);
    handler.set(req -> req.body().onSuccess(b -> {
      var resp = req.response().setChunked(true).putHeader("Content-Type", "audio/pcm");
      resp.closeHandler(v -> closed.countDown());
      resp.write(Buffer.buffer(Pcm.toLittleEndian(new short[480]))); // then never ends
    }));
    AtomicBoolean cancelled = new AtomicBoolean();
    SampleCollector out = new SampleCollector() {
      @Override
      public synchronized void audio(short[] samples) {
        super.audio(samples);
        cancelled.set(true);
      }
    };
    long start = System.nanoTime();
    client(Duration.ofSeconds(30)).synthesize("Hello there.", out, cancelled::get);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(out.samples()).hasSize(480);
    assertThat(closed.await(5, TimeUnit.SECONDS)).as("server saw the connection close").isTrue();
  }

  @Test
  void cancellationBeforeTheResponseStarts() throws Exception {
    CountDownLatch closed = new CountDownLatch(1);
    CountDownLatch arrived = new CountDownLatch(1);
    handler.set(req -> {
      req.connection().closeHandler(v -> closed.countDown());
      arrived.countDown(); // and never answers
    });
    AtomicBoolean cancelled = new AtomicBoolean();
    Thread.ofPlatform().start(() -> {
      try {
        arrived.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      cancelled.set(true);
    });
    client(Duration.ofSeconds(30)).synthesize("Hello there.", s -> { }, cancelled::get);
    assertThat(closed.await(5, TimeUnit.SECONDS)).as("server saw the connection close").isTrue();
  }

  @Test
  void aSilentServerTimesOut() {
    handler.set(req -> req.response().setChunked(true).putHeader("Content-Type", "audio/pcm").writeHead());
    assertThatThrownBy(() -> synthesizeExpectingFailure(client(Duration.ofMillis(300))))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE))
        .hasMessageContaining("sent nothing");
  }

  @Test
  void anUnreachableServerIsUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    tts = new OpenAiSpeech(URI.create("http://127.0.0.1:" + port + "/v1"), Optional.empty(), "tts-1", "alloy");
    assertThatThrownBy(() -> synthesizeExpectingFailure(tts))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE))
        .hasMessageContaining("http://127.0.0.1:" + port + "/v1/audio/speech refused the connection");
  }

  @Test
  void neverOnAnEventLoop() {
    OpenAiSpeech tts = client(Duration.ofSeconds(1));
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> {
      try {
        synthesizeExpectingFailure(tts);
        done.complete();
      } catch (RuntimeException e) {
        done.fail(e);
      }
    });
    assertThatThrownBy(() -> done.future().await()).hasMessageContaining("not an event loop");
  }

  @Test
  void configurationErrors() {
    assertThatThrownBy(() -> new OpenAiSpeech(URI.create("ftp://x/v1"), Optional.empty(), "tts-1", "alloy"))
        .isInstanceOfSatisfying(ParleyException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFIG))
        .hasMessageContaining("PARLEY_TTS_BASE_URL");
  }
}
