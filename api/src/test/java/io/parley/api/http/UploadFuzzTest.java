package io.parley.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import io.parley.api.support.Api;
import io.parley.api.support.FuzzSocket;
import io.parley.api.support.Multipart;
import io.parley.api.support.TestNode;
import io.parley.core.testing.LogCapture;
import io.parley.inference.audio.Wav;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.vision.Photos;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
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
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 10,000 mutated multipart uploads to the upload routes of a real node (photo analysis with the
 * NanoDet detector, meal logging, transcription with a tiny random-weight Whisper): the form
 * broken (boundary, part headers, field names, truncation, garbage, duplicated parts, the request's
 * content type) or the file mutated (bytes flipped, cut, replaced). Every answer is 2xx or 4xx in the
 * error shape (503 only with Retry-After), nothing is logged at WARN or above, no buffer leaks, the
 * heap is where it was, and a real photo is analysed and a WAV transcribed afterwards. Before
 * audio forms were read by Parley's own reader (as photos are), a broken one could make Vert.x's
 * clean-up of its disk upload throw ("File handle is closed") and leave the request unanswered.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class UploadFuzzTest {

  private static final long SEED = Long.getLong("parley.fuzz.seed", 0x0910_ADL);
  private static final int UPLOADS = Integer.getInteger("parley.fuzz.uploads", 10_000);
  private static final long MAX_HEAP_GROWTH = 64L << 20;
  /** HTTP/1.1 (the JDK client would upgrade plain HTTP to h2c, which the h2c fuzz case covers). */
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private record Route(String path, String fileField, Map<String, String> fields, byte[] file) {}

  private static Path dir;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-upload-fuzz-");
    node = TestNode.start(Map.of("PARLEY_VISION_ENABLED", "true", "PARLEY_VISION_MODEL", "nanodet",
        "PARLEY_PHOTO_CACHE_TTL", "0",
        "PARLEY_WHISPER_MODEL", TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin")).toString(),
        "PARLEY_RATE_LIMIT_VISION_PER_MINUTE", "1000000", "PARLEY_RATE_LIMIT_VOICE_PER_MINUTE", "1000000",
        "PARLEY_RATE_LIMIT_API_PER_MINUTE", "1000000"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (dir != null) {
      TestNode.deleteTree(dir);
    }
  }

  @Test
  void mutatedUploadsGetClearAnswersAndTheNodeServesAfterwards() throws Exception {
    byte[] photo = Files.readAllBytes(Photos.darknet("dog.jpg"));
    byte[] wav = tone();
    List<Route> routes = List.of(
        new Route("/api/v1/vision/analyze", "image", Map.of("task", "meal"), photo),
        new Route("/api/v1/meals", "image", Map.of("store_image", "false", "logged_at", "2026-12-01T12:00:00Z"), photo),
        new Route("/v1/audio/transcriptions", "file", Map.of("model", "whisper-1", "response_format", "verbose_json",
            "timestamp_granularities[]", "segment"), wav));
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    SplittableRandom random = new SplittableRandom(SEED);
    Map<Integer, Integer> statuses = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long heapBefore = 0;
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    try (LogCapture logs = new LogCapture("io.parley", "io.vertx", "io.netty")) {
      for (int i = 0; i < UPLOADS; i++) {
        Route route = routes.get(random.nextInt(routes.size()));
        String boundary = "fuzz" + Long.toHexString(random.nextLong());
        byte[] body = body(random, route, boundary);
        String contentType = contentType(random, boundary);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.baseUrl() + route.path()))
            .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
          request.header("Content-Type", contentType);
        }
        String sent = route.path() + " " + contentType + " " + body.length + " bytes (upload " + i + ")";
        HttpResponse<String> r;
        try {
          r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
          failures.add("no answer (" + e + "): " + sent + " " + new String(body, 0, Math.min(body.length, 600),
              StandardCharsets.ISO_8859_1));
          continue;
        }
        statuses.merge(r.statusCode(), 1, Integer::sum);
        String shown = sent + " -> " + r.statusCode() + " "
            + (r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
        if (r.statusCode() >= 500 && !(r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent())) {
          failures.add(shown);
        } else if (r.statusCode() >= 400 && !errorShaped(r.body())) {
          failures.add("not in the error shape: " + shown);
        }
        if (i == 500) {
          heapBefore = FuzzSocket.heapAfterGc();
        }
      }
      System.out.println("upload fuzz: " + UPLOADS + " uploads, seed " + SEED + ", statuses " + statuses);
      assertThat(failures).as("5xx answers and errors outside the error shape").isEmpty();
      assertThat(statuses).as("the fuzz reached the handlers: bad uploads refused").containsKey(400);
      assertThat(FuzzSocket.unexpected(logs.warnings())).as("logged at WARN or above").isEmpty();
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
    assertThat(FuzzSocket.heapAfterGc() - heapBefore).as("heap growth after the fuzz, bytes").isLessThan(MAX_HEAP_GROWTH);

    Api.Res analysed = Multipart.post(node.baseUrl() + "/api/v1/vision/analyze", token, "image", photo, "dog.jpg",
        Map.of());
    assertThat(analysed.status()).as(analysed.body()).isEqualTo(200);
    assertThat(analysed.json().getJsonArray("objects")).isNotEmpty();
    Api.Res transcribed = Multipart.post(node.baseUrl() + "/v1/audio/transcriptions", token, "file", wav, "a.wav",
        Map.of("response_format", "verbose_json"));
    assertThat(transcribed.status()).as(transcribed.body()).isEqualTo(200);
    assertThat(transcribed.json().getDouble("duration")).isEqualTo(0.5);
  }

  /** Half a second of a 440 Hz tone, 16 kHz mono WAV: cheap to transcribe when a mutation leaves it whole. */
  private static byte[] tone() {
    short[] samples = new short[8000];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / 16000.0));
    }
    return Wav.write(samples, 16000);
  }

  private static boolean errorShaped(String body) {
    try {
      JsonObject error = new JsonObject(body).getJsonObject("error");
      return error != null && error.getString("message") != null && !error.getString("message").isBlank();
    } catch (DecodeException | ClassCastException e) {
      return false;
    }
  }

  /** The request's Content-Type: mostly right, sometimes without a boundary, another one, or none. */
  private static String contentType(SplittableRandom random, String boundary) {
    return switch (random.nextInt(20)) {
      case 0 -> null;
      case 1 -> "multipart/form-data";
      case 2 -> "multipart/form-data; boundary=" + boundary + "x";
      case 3 -> "application/json";
      case 4 -> "multipart/mixed; boundary=" + boundary;
      case 5 -> "multipart/form-data; boundary=\"" + boundary + "\"; charset=utf-8";
      case 6 -> "multipart/form-data; boundary=" + "b".repeat(200);
      default -> "multipart/form-data; boundary=" + boundary;
    };
  }

  /** The form, with one to three structural mutations, and the file sometimes mutated. */
  private static byte[] body(SplittableRandom random, Route route, String boundary) {
    List<String[]> fields = new ArrayList<>();
    route.fields().forEach((k, v) -> fields.add(new String[] {k, v}));
    byte[] file = file(random, route.file());
    String fileField = route.fileField();
    String fileHeaders = "Content-Type: application/octet-stream\r\n";
    String disposition = "form-data";
    boolean fileFirst = random.nextBoolean();
    boolean duplicateFile = false;
    boolean noFile = false;
    for (int edits = random.nextInt(3); edits > 0; edits--) {
      switch (random.nextInt(10)) {
        case 0 -> fields.add(new String[] {random.nextBoolean() ? "x\u0000y" : "f".repeat(1 + random.nextInt(20_000)),
            "v"});
        case 1 -> fields.add(new String[] {route.fields().keySet().iterator().next(), "\u0000" + "z".repeat(
            random.nextInt(100))});
        case 2 -> fileField = random.nextBoolean() ? "" : fileField + "2";
        case 3 -> fileHeaders = random.nextBoolean() ? "" : "Content-Type: image/png; a=\"\r\nX-Garbage: \u00ff\r\n";
        case 4 -> disposition = random.nextBoolean() ? "attachment" : "form-data; name";
        case 5 -> duplicateFile = true;
        case 6 -> noFile = true;
        case 7 -> fields.add(new String[] {"task", random.nextBoolean() ? "bogus" : "objects"});
        case 8 -> fields.add(new String[] {"response_format", random.nextBoolean() ? "srt" : "xml"});
        default -> fields.add(new String[] {"logged_at", random.nextBoolean() ? "yesterday" : "9999-99-99T00:00:00Z"});
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (fileFirst && !noFile) {
      filePart(out, boundary, disposition, fileField, fileHeaders, file);
    }
    for (String[] f : fields) {
      out.writeBytes(("--" + boundary + "\r\nContent-Disposition: " + disposition + "; name=\"" + f[0] + "\"\r\n\r\n"
          + f[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    if (!fileFirst && !noFile) {
      filePart(out, boundary, disposition, fileField, fileHeaders, file);
    }
    if (duplicateFile) {
      filePart(out, boundary, disposition, fileField, fileHeaders, file);
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    byte[] body = out.toByteArray();
    return switch (random.nextInt(12)) {
      case 0 -> java.util.Arrays.copyOf(body, random.nextInt(body.length)); // cut anywhere
      case 1 -> { // a byte of the form changed
        byte[] b = body.clone();
        b[random.nextInt(Math.min(b.length, 400))] = (byte) random.nextInt(256);
        yield b;
      }
      case 2 -> { // garbage before the first boundary and after the last
        byte[] junk = new byte[1 + random.nextInt(2000)];
        random.nextBytes(junk);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(junk);
        b.writeBytes(body);
        b.writeBytes(junk);
        yield b.toByteArray();
      }
      default -> body;
    };
  }

  private static void filePart(ByteArrayOutputStream out, String boundary, String disposition, String field,
                               String headers, byte[] file) {
    out.writeBytes(("--" + boundary + "\r\nContent-Disposition: " + disposition + "; name=\"" + field
        + "\"; filename=\"upload.bin\"\r\n" + headers + "\r\n").getBytes(StandardCharsets.UTF_8));
    out.writeBytes(file);
    out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
  }

  /** The file: whole, with bytes flipped (mostly in its header), cut, empty, or random bytes. */
  private static byte[] file(SplittableRandom random, byte[] real) {
    // Mostly files no decoder takes (cheap to refuse); a few that decode, for the engines behind.
    return switch (random.nextInt(16)) {
      case 0, 1, 6, 7, 8, 9, 10, 11 -> {
        byte[] b = real.clone();
        for (int n = 1 + random.nextInt(8); n > 0; n--) {
          b[random.nextInt(Math.min(b.length, 200))] = (byte) random.nextInt(256);
        }
        yield b;
      }
      case 2 -> java.util.Arrays.copyOf(real, random.nextInt(real.length));
      case 3 -> new byte[0];
      case 4 -> {
        byte[] b = new byte[1 + random.nextInt(4096)];
        random.nextBytes(b);
        yield b;
      }
      case 5, 12, 13, 14 -> { // the real header, then random bytes
        byte[] b = new byte[real.length];
        random.nextBytes(b);
        System.arraycopy(real, 0, b, 0, Math.min(64, real.length));
        yield b;
      }
      default -> real;
    };
  }
}
