package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Poll;
import io.parley.api.support.TestNode;
import io.parley.inference.audio.codec.EncodedSpeech;
import io.parley.inference.stt.TinyWhisperModel;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/audio/transcriptions} on a node with one STT worker: users take turns on it (one
 * user's ten requests do not make another's single one wait for all of them), and a request whose
 * client goes away while it waits is withdrawn and never transcribed. Before, the worker served
 * one FIFO queue, and ran a 3.6-hour upload for ~217 s after its client had gone.
 */
class SttQueueTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static Path dir;
  private static TestNode node;
  private static byte[] body;
  private static final String BOUNDARY = "stt-queue-test";

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-stt-queue-");
    Path whisper = TinyWhisperModel.builder().nVocab(TinyWhisperModel.N_VOCAB_MULTILINGUAL)
        .write(dir.resolve("tiny-whisper.bin"));
    Path speech = EncodedSpeech.speak("Two eggs and toast.", "en-us", dir, "en");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--"
        + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"en.wav\"\r\n"
        + "Content-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    b.writeBytes(Files.readAllBytes(speech));
    b.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
    body = b.toByteArray();
    node = TestNode.start(Map.of("PARLEY_WHISPER_MODEL", whisper.toString(), "PARLEY_STT_WORKERS", "1",
        "PARLEY_RATE_LIMIT_VOICE_PER_MINUTE", "1000"));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    TestNode.deleteTree(dir);
  }

  private static FairWorkers stt() {
    return node.server().voice().sttWorkers();
  }

  /** Holds the node's only STT worker until {@code gate} opens. */
  private static void occupy(CountDownLatch gate) {
    stt().submit("test:gate", () -> gate.await(60, TimeUnit.SECONDS));
  }

  private static CompletableFuture<HttpResponse<String>> transcribe(String token) {
    return CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/v1/audio/transcriptions"))
        .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anotherUsersSingleRequestIsServedBeforeTheTenthOfAFloodingUser() throws Exception {
    String a = node.api().newUser().getString("access_token");
    String b = node.api().newUser().getString("access_token");
    CountDownLatch gate = new CountDownLatch(1);
    occupy(gate);
    Queue<String> done = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<?>> all = new ArrayList<>();
    try {
      for (int i = 1; i <= 10; i++) {
        String name = "a" + i;
        all.add(transcribe(a).thenAccept(r -> done.add(name + ":" + r.statusCode())));
      }
      Poll.until(Duration.ofSeconds(30), "user A's ten requests waiting", stt()::waiting, n -> n == 10);
      all.add(transcribe(b).thenAccept(r -> done.add("b1:" + r.statusCode())));
      Poll.until(Duration.ofSeconds(30), "user B's request waiting too", stt()::waiting, n -> n == 11);
    } finally {
      gate.countDown();
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    List<String> order = List.copyOf(done);
    assertThat(order).as("every request answered").hasSize(11).allMatch(s -> s.endsWith(":200"));
    List<String> names = order.stream().map(s -> s.substring(0, s.indexOf(':'))).toList();
    // A's ten were sent at once, so which of them queued first is not known: B's one is served
    // among the first two after the gate opens (taking turns), not after A's ten (in arrival order).
    assertThat(names.indexOf("b1")).as("completion order %s", names).isLessThanOrEqualTo(2);
  }

  @Test
  void aRequestWhoseClientLeftWhileItWaitedIsNeverTranscribed() throws Exception {
    String token = node.api().newUser().getString("access_token");
    double before = cancelled();
    CountDownLatch gate = new CountDownLatch(1);
    occupy(gate);
    try {
      try (Socket s = new Socket("127.0.0.1", node.server().httpPort())) {
        s.getOutputStream().write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer "
            + token + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: "
            + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().write(body);
        s.getOutputStream().flush();
        Poll.until(Duration.ofSeconds(30), "the transcription waiting for the worker", stt()::waiting, n -> n == 1);
      }
      // The worker is still held: the job left the queue because its client did, not because it ran.
      Poll.until(Duration.ofSeconds(10), "the abandoned transcription withdrawn", stt()::waiting, n -> n == 0);
      assertThat(cancelled()).isEqualTo(before + 1);
    } finally {
      gate.countDown();
    }
  }

  private static double cancelled() {
    for (String line : node.api().get("/metrics", null).body().split("\n")) {
      if (line.startsWith("parley_stt_cancelled_total ")) {
        return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("parley_stt_cancelled_total is not in /metrics");
  }
}
