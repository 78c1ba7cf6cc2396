package io.parley.api.http;

import static io.parley.api.support.ErrorShape.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.Multipart;
import io.parley.api.support.Poll;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request bodies: the photo and audio upload memory (PARLEY_PHOTO_UPLOAD_MEMORY,
 * PARLEY_AUDIO_UPLOAD_MEMORY) is counted as it is held, to the byte, broken forms are 400 in our
 * own words, and a body slower than PARLEY_UPLOAD_MIN_RATE ends with 408 and gives back what it
 * held. Before, 30 stalled 9.5 MiB photos held 481 MiB of heap while the gauge said 247 MiB
 * (Netty's multipart decoder kept its own copy of each body), and a trickling upload kept its slot.
 */
class UploadLimitsTest {

  private static final int MAX_PHOTO = 1024 * 1024;
  private static final int BUDGET = 2 * MAX_PHOTO;
  /** The least audio budget: one upload of the 25 MiB limit. */
  private static final int AUDIO_BUDGET = RouteSpec.Body.MAX_AUDIO_BYTES;
  private static final byte[] PART_HEAD = ("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\""
      + "\r\nContent-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8);
  private static TestNode node;
  private static String token;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("PARLEY_PHOTO_MAX_BYTES", Integer.toString(MAX_PHOTO),
        "PARLEY_PHOTO_UPLOAD_MEMORY", Integer.toString(BUDGET),
        "PARLEY_AUDIO_UPLOAD_MEMORY", Integer.toString(AUDIO_BUDGET),
        "PARLEY_UPLOAD_MIN_RATE", "1000", "PARLEY_UPLOAD_RATE_WINDOW", "5"));
    token = node.api().newUser().getString("access_token");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void photoUploadsHoldTheBudgetToTheByteAndStalledOnesEndWith408() throws Exception {
    byte[] photo = new byte[1000];
    try (Socket a = stalledUpload("/api/v1/vision/analyze", MAX_PHOTO)) {
      awaitHeld(MAX_PHOTO);
      try (Socket b = stalledUpload("/api/v1/vision/analyze", MAX_PHOTO)) {
        awaitHeld(BUDGET);
        // Full to the byte: any further upload would pass the budget.
        assertError(Multipart.post(node.baseUrl() + "/api/v1/vision/analyze", token, "image", photo, "c.jpg",
            Map.of()), 503, "uploads_busy");
        assertThat(held()).isEqualTo(BUDGET);
        // Neither stalled upload sends its 5000 bytes in a 5 s window: 408, connection closed.
        assertTimedOut(a);
        assertTimedOut(b);
      }
    }
    awaitHeld(0);
    // The memory is back: the same photo is read (this node has no detector, hence its 503).
    assertError(Multipart.post(node.baseUrl() + "/api/v1/vision/analyze", token, "image", photo, "c.jpg", Map.of()),
        503, "unavailable");
    assertThat(held()).isZero();
  }

  /**
   * Audio forms are read into memory like photos (they went to disk through Vert.x's multipart
   * decoder, whose clean-up a broken form could make throw): counted to the byte in their own
   * budget, which a stalled upload gives back when it ends with 408.
   */
  @Test
  void audioUploadsHoldTheirOwnBudgetToTheByte() throws Exception {
    int stalledLength = 20_000_000;
    try (Socket a = stalledUpload("/v1/audio/transcriptions", stalledLength)) {
      awaitHeld("parley_audio_upload_bytes", stalledLength);
      assertThat(held("parley_photo_upload_bytes")).as("photos have their own budget").isZero();
      JsonObject busy = assertError(Multipart.post(node.baseUrl() + "/v1/audio/transcriptions", token, "file",
          new byte[AUDIO_BUDGET - stalledLength], "b.wav", Map.of()), 503, "uploads_busy");
      assertThat(busy.getString("message")).contains("audio uploads").contains("PARLEY_AUDIO_UPLOAD_MEMORY");
      assertTimedOut(a);
    }
    awaitHeld("parley_audio_upload_bytes", 0);
  }

  /**
   * A broken audio form is 400 {@code bad_request} in our own words, at once: cut inside its file
   * part, its closing boundary cut short, no boundary of its Content-Type, garbage.
   */
  @Test
  void brokenAudioFormsAre400InOurOwnWords() throws Exception {
    String part = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
        + "Content-Type: audio/wav\r\n\r\nRIFF....WAVE";
    Map<String, String> broken = new java.util.LinkedHashMap<>();
    broken.put("cut inside the file part", part);
    broken.put("closing boundary cut short", part + "\r\n--b-");
    broken.put("closing boundary without its dashes", part + "\r\n--b");
    broken.put("no boundary line at all", "RIFF....WAVE");
    broken.put("a part without its end of headers", "--b\r\nContent-Disposition: form-data; name=\"file\"");
    for (var e : broken.entrySet()) {
      HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
          HttpRequest.newBuilder(URI.create(node.baseUrl() + "/v1/audio/transcriptions"))
              .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=b")
              .POST(HttpRequest.BodyPublishers.ofString(e.getValue())).build(), HttpResponse.BodyHandlers.ofString());
      JsonObject error = assertError(new Api.Res(r.statusCode(), r.headers(), r.body()), 400, "bad_request");
      assertThat(error.getString("message")).as(e.getKey()).contains("multipart").doesNotContain("Exception")
          .doesNotContain("java.");
    }
  }

  @Test
  void stalledAudioAndJsonBodiesEndWith408() throws Exception {
    try (Socket s = stalledUpload("/v1/audio/transcriptions", 100_000)) {
      assertTimedOut(s);
    }
    try (Socket s = new Socket("127.0.0.1", node.server().httpPort())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\n"
          + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":")
          .getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      assertTimedOut(s);
    }
  }

  /**
   * Found by UploadFuzzTest: an audio upload whose body ends inside its file part (the closing
   * boundary never sent) waited on Vert.x's multipart decoder until the idle timeout. It ends with
   * 400 as soon as its body has come, and the connection stays usable (the body was read whole).
   */
  @Test
  void anAudioBodyEndingInsideItsFilePartIs400() throws Exception {
    byte[] head = ("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
        + "Content-Type: audio/wav\r\n\r\nRIFF....WAVE").getBytes(StandardCharsets.US_ASCII);
    try (Socket s = new Socket("127.0.0.1", node.server().httpPort())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer "
          + token + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + head.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(head);
      s.getOutputStream().flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      assertThat(in.readLine()).startsWith("HTTP/1.1 400");
      int length = -1;
      for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
        if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      assertThat(length).as("the answer's Content-Length").isPositive();
      char[] body = new char[length];
      for (int read = 0; read < length; ) {
        int n = in.read(body, read, length - read);
        assertThat(n).as("the answer's body").isPositive();
        read += n;
      }
      assertThat(new String(body)).contains("bad_request").contains("closing boundary");
    }
  }

  /** Sends the head and the first part's headers of a multipart body declaring {@code length} bytes, then stops. */
  private static Socket stalledUpload(String path, int length) throws IOException {
    Socket s = new Socket("127.0.0.1", node.server().httpPort());
    s.setSoTimeout(30_000);
    s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().write(PART_HEAD);
    s.getOutputStream().flush();
    return s;
  }

  private static void assertTimedOut(Socket s) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
    assertThat(in.readLine()).startsWith("HTTP/1.1 408");
    StringBuilder rest = new StringBuilder();
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      rest.append(line).append('\n');
    }
    assertThat(rest.toString()).contains("upload_too_slow").contains("PARLEY_UPLOAD_MIN_RATE");
  }

  private static long held() {
    return held("parley_photo_upload_bytes");
  }

  private static long held(String gauge) {
    for (String line : node.api().get("/metrics", null).body().split("\n")) {
      if (line.startsWith(gauge + " ")) {
        return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError(gauge + " is not in /metrics");
  }

  private static void awaitHeld(long bytes) {
    awaitHeld("parley_photo_upload_bytes", bytes);
  }

  private static void awaitHeld(String gauge, long bytes) {
    Poll.until(Duration.ofSeconds(10), gauge + " = " + bytes, () -> held(gauge), v -> v == bytes);
  }
}
