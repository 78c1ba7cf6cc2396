package io.parley.api.meals;

import static io.parley.api.support.ErrorShape.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.parley.inference.vision.Photos;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /api/v1/vision/analyze} over HTTP with NanoDet-m running for real on Debian's photos,
 * Redis caching, and every kind of bad upload.
 */
class VisionApiTest {

  private static TestNode node;
  private static String token;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of(
        "PARLEY_VISION_ENABLED", "true",
        "PARLEY_VISION_SCORE_THRESHOLD", "0.2",
        "PARLEY_PHOTO_MAX_BYTES", Integer.toString(4 * 1024 * 1024),
        "PARLEY_RATE_LIMIT_VISION_PER_MINUTE", "100000"));
    token = node.api().newUser().getString("access_token");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** A multipart POST to analyze with the file as field {@code image} and text fields. */
  static Api.Res post(TestNode n, byte[] file, String filename, Map<String, String> fields) throws Exception {
    return io.parley.api.support.Multipart.post(n.baseUrl() + "/api/v1/vision/analyze", token, "image", file, filename,
        fields);
  }

  static List<String> labels(JsonObject answer) {
    return answer.getJsonArray("objects").stream().map(o -> ((JsonObject) o).getString("label")).toList();
  }

  /**
   * The YOLO option end to end: a node configured with a YOLOv8-layout ONNX export (NanoDet-m's
   * weights with a YOLO head, see OnnxExport.yolo) serves the same API through DJL's ONNX Runtime
   * engine, beside the voice engines' own ONNX Runtime use (Silero VAD) in the same process.
   */
  @Test
  void aYoloExportServesTheSameApi(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("detector.onnx");
    Files.write(file, io.parley.inference.bench.OnnxExport.yolo(io.parley.inference.vision.TfjsGraph.read(
        TestNode.modelsDir().resolve("nanodet/model.json")), 416, io.parley.inference.bench.OnnxExport.YoloLayout.V8));
    try (TestNode yolo = TestNode.start(Map.of(
        "PARLEY_VISION_ENABLED", "true",
        "PARLEY_VISION_MODEL", "yolo",
        "PARLEY_VISION_YOLO_FILE", file.toString(),
        "PARLEY_VISION_YOLO_SIZE", "416",
        "PARLEY_VISION_SCORE_THRESHOLD", "0.25",
        "PARLEY_RATE_LIMIT_VISION_PER_MINUTE", "100000"))) {
      String t = yolo.api().newUser().getString("access_token");
      Api.Res r = io.parley.api.support.Multipart.post(yolo.baseUrl() + "/api/v1/vision/analyze", t, "image",
          Files.readAllBytes(Photos.darknet("dog.jpg")), "dog.jpg", Map.of("task", "meal"));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonObject a = r.json();
      assertThat(labels(a)).contains("dog", "bicycle");
      assertThat(a.getJsonObject("model").getString("name")).isEqualTo("yolo-v8");
      assertThat(a.getJsonObject("model").getString("version")).hasSize(12);
      assertThat(a.getJsonArray("food")).isEmpty();
      assertThat(yolo.api().get("/health/ready", null).status()).isEqualTo(200);
    }
  }

  @Test
  void aPhotoIsAnalysedAndTheSecondTimeComesFromTheCache() throws Exception {
    byte[] dog = Files.readAllBytes(Photos.darknet("dog.jpg"));
    Api.Res r = post(node, dog, "dog.jpg", Map.of());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject a = r.json();
    assertThat(labels(a)).contains("dog", "bicycle");
    assertThat(a.getJsonObject("image").getInteger("width")).isEqualTo(768);
    assertThat(a.getJsonObject("image").getInteger("height")).isEqualTo(576);
    assertThat(a.getJsonObject("model").getString("name")).as("the default detector")
        .isEqualTo("centernet-mobilenetv3");
    assertThat(a.getJsonObject("model").getString("version")).hasSize(12);
    assertThat(a.getBoolean("cached")).isFalse();
    for (Object o : a.getJsonArray("objects")) {
      JsonArray box = ((JsonObject) o).getJsonArray("bbox");
      assertThat(box.getDouble(0)).isBetween(0.0, box.getDouble(2));
      assertThat(box.getDouble(2)).isLessThanOrEqualTo(768.0);
      assertThat(box.getDouble(3)).isBetween(box.getDouble(1), 576.0);
    }
    assertThat(a.getJsonObject("timings").getDouble("inference_ms")).isPositive();

    Api.Res again = post(node, dog, "same-bytes-other-name.jpg", Map.of());
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getBoolean("cached")).as("answered from Redis").isTrue();
    assertThat(again.json().getJsonArray("objects")).isEqualTo(a.getJsonArray("objects"));
    assertThat(node.api().get("/metrics", null).body()).contains("parley_vision_cache_hits_total 1.0");
  }

  @Test
  void theMealTaskListsTheFood() throws Exception {
    Api.Res r = post(node, Files.readAllBytes(Photos.opencv("fruits.jpg")), "fruits.jpg", Map.of("task", "meal"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    List<String> food = r.json().getJsonArray("food").stream().map(o -> ((JsonObject) o).getString("label")).toList();
    assertThat(food).contains("orange");
    assertThat(labels(r.json())).containsAll(food);
    assertThat(r.json().getString("task")).isEqualTo("meal");
  }

  @Test
  void theExifOrientationIsHonoured() throws Exception {
    byte[] dog = Files.readAllBytes(Photos.darknet("dog.jpg"));
    // The same pixels, tagged "rotate 90 degrees clockwise to display" (EXIF orientation 6).
    byte[] rotated = withOrientation(dog, 6);
    Api.Res r = post(node, rotated, "rotated.jpg", Map.of());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject image = r.json().getJsonObject("image");
    assertThat(image.getInteger("exif_orientation")).isEqualTo(6);
    assertThat(image.getInteger("width")).as("upright width").isEqualTo(576);
    assertThat(image.getInteger("height")).isEqualTo(768);

    // Mirrored (orientation 2): the detector finds the dog as well, on the other side.
    Api.Res mirrored = post(node, withOrientation(dog, 2), "mirrored.jpg", Map.of());
    assertThat(mirrored.status()).as(mirrored.body()).isEqualTo(200);
    assertThat(mirrored.json().getJsonObject("image").getInteger("width")).isEqualTo(768);
    JsonArray box = dogBox(mirrored.json());
    JsonArray plain = dogBox(post(node, dog, "dog.jpg", Map.of()).json());
    // Stored in the left half; mirrored into the right half, at the mirror image of its box.
    assertThat((box.getDouble(0) + box.getDouble(2)) / 2).isGreaterThan(768 / 2.0);
    assertThat(box.getDouble(0)).isCloseTo(768 - plain.getDouble(2), org.assertj.core.data.Offset.offset(40.0));
  }

  private static JsonArray dogBox(JsonObject answer) {
    return answer.getJsonArray("objects").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("label").equals("dog")).findFirst()
        .orElseThrow(() -> new AssertionError("no dog in " + answer.getJsonArray("objects"))).getJsonArray("bbox");
  }

  @Test
  void badUploadsGetClearErrorsAndTheServerServesOn() throws Exception {
    assertError(post(node, new byte[0], "empty.jpg", Map.of()), 400, "empty_image");
    assertError(post(node, "just some text\n".getBytes(StandardCharsets.UTF_8), "notes.jpg", Map.of()), 415,
        "unsupported_image_type");
    byte[] dog = Files.readAllBytes(Photos.darknet("dog.jpg"));
    assertError(post(node, Arrays.copyOf(dog, 3000), "truncated.jpg", Map.of()), 422, "corrupt_image");
    byte[] bomb = pngBomb(30_000, 30_000);
    assertThat(bomb.length).as("a few KB").isLessThan(64 * 1024);
    JsonObject e = assertError(post(node, bomb, "bomb.png", Map.of()), 413, "image_too_many_pixels");
    assertThat(e.getString("message")).contains("30000 x 30000");
    byte[] big = new byte[5 * 1024 * 1024];
    System.arraycopy(dog, 0, big, 0, dog.length);
    Api.Res tooBig = post(node, big, "big.jpg", Map.of());
    assertThat(tooBig.status()).isEqualTo(413);
    // The photo route's own limit, not the JSON one (it said 1048576 bytes).
    assertThat(tooBig.json().getJsonObject("error").getJsonObject("details").getLong("limit_bytes"))
        .isEqualTo(4L * 1024 * 1024);
    assertError(post(node, null, null, Map.of("task", "objects")), 400, "validation_failed");
    assertError(post(node, dog, "dog.jpg", Map.of("task", "painting")), 400, "validation_failed");
    assertThat(node.api().get("/health/live", null).status()).isEqualTo(200);
    assertThat(post(node, dog, "dog.jpg", Map.of()).status()).as("still analysing").isEqualTo(200);
  }

  /**
   * Photos are read into memory: an upload streamed without a length is cut off with 413 once it
   * passes the cap, no photo is ever written under the node's home, and the node serves on.
   */
  @Test
  void aStreamedUploadPastTheCapIsRefusedAndNoPhotoTouchesTheDisk() throws Exception {
    byte[] dog = Files.readAllBytes(Photos.darknet("dog.jpg"));
    assertThat(post(node, dog, "dog.jpg", Map.of()).status()).isEqualTo(200);
    byte[] head = ("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.jpg\"\r\n"
        + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    int size = 6 * 1024 * 1024; // the node's cap is 4 MiB
    java.io.InputStream body = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(head),
        new java.io.ByteArrayInputStream(new byte[size]));
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    int status;
    try {
      status = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.baseUrl() + "/api/v1/vision/analyze"))
          .header("Authorization", "Bearer " + token)
          .header("Content-Type", "multipart/form-data; boundary=b")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      status = -1; // the server answered 413 and closed while the client was still sending
    }
    assertThat(status).as("413, or the connection closed after it").isIn(413, -1);
    try (var files = Files.walk(node.home())) {
      assertThat(files.filter(Files::isRegularFile).map(Object::toString)
          .filter(f -> f.contains("upload") || f.endsWith(".jpg"))).isEmpty();
    }
    assertThat(node.api().get("/health/live", null).status()).isEqualTo(200);
    assertThat(post(node, dog, "dog.jpg", Map.of()).status()).as("still analysing").isEqualTo(200);
  }

  @Test
  void withoutADetectorTheAnswerNamesTheFix() throws Exception {
    TestNode off = TestNode.start(Map.of());
    try {
      String t = off.api().newUser().getString("access_token");
      String saved = token;
      token = t;
      try {
        JsonObject e = assertError(post(off, Files.readAllBytes(Photos.darknet("dog.jpg")), "dog.jpg", Map.of()), 503,
            "unavailable");
        assertThat(e.getString("message")).contains("PARLEY_VISION_ENABLED");
      } finally {
        token = saved;
      }
    } finally {
      off.close();
    }
  }

  @Test
  void uploadsNeedATokenBeforeTheirBodyAndStayWithinTheNodesUploadMemory() throws Exception {
    // No detector needed: the budget applies while the body is read, before the route.
    TestNode small = TestNode.start(Map.of("PARLEY_PHOTO_MAX_BYTES", Integer.toString(1024 * 1024),
        "PARLEY_PHOTO_UPLOAD_MEMORY", Integer.toString(1536 * 1024)));
    String saved = token;
    try {
      token = small.api().newUser().getString("access_token");
      byte[] photo = new byte[800 * 1024];
      System.arraycopy(Files.readAllBytes(Photos.darknet("dog.jpg")), 0, photo, 0, 100_000);
      java.net.URI uri = java.net.URI.create(small.baseUrl());
      byte[] head = ("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
          + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8);
      // Without a token nothing of the body is read: 401 while the client is still sending.
      try (java.net.Socket anonymous = new java.net.Socket(uri.getHost(), uri.getPort())) {
        anonymous.setSoTimeout(10_000);
        var out = anonymous.getOutputStream();
        out.write(("POST /api/v1/vision/analyze HTTP/1.1\r\nHost: " + uri.getHost()
            + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + (1000 * 1024)
            + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(head);
        out.write(new byte[64 * 1024]);
        out.flush();
        String status = new java.io.BufferedReader(new java.io.InputStreamReader(anonymous.getInputStream(),
            StandardCharsets.US_ASCII)).readLine();
        assertThat(status).as("an anonymous upload is refused before its body").startsWith("HTTP/1.1 401");
        assertThat(gauge(small, "parley_photo_upload_bytes")).isZero();
      }
      // A client that sends ~900 KB of a 1 MB body and then stalls holds that much.
      try (java.net.Socket stalled = new java.net.Socket(uri.getHost(), uri.getPort())) {
        var out = stalled.getOutputStream();
        out.write(("POST /api/v1/vision/analyze HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nAuthorization: Bearer "
            + token + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " + (1000 * 1024)
            + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(head);
        out.write(new byte[900 * 1024]);
        out.flush();
        awaitGauge(small, "parley_photo_upload_bytes", v -> v >= 800 * 1024, "the stalled upload is held");
        JsonObject busy = assertError(post(small, photo, "b.jpg", Map.of()), 503, "uploads_busy");
        assertThat(busy.getString("message")).contains("PARLEY_PHOTO_UPLOAD_MEMORY");
      }
      // The stalled client went away: its share comes back, and the same photo is read in full
      // (this node has no detector, so it ends at the detector's 503).
      awaitGauge(small, "parley_photo_upload_bytes", v -> v == 0, "the abandoned upload's bytes are given back");
      assertError(post(small, photo, "b.jpg", Map.of()), 503, "unavailable");
      assertThat(gauge(small, "parley_photo_upload_bytes")).as("every finished request gave its bytes back").isZero();
    } finally {
      token = saved;
      small.close();
    }
  }

  /**
   * A photo whose client goes away while its work waits for the photo workers is never decoded or
   * analysed, and parley_vision_cancelled_total counts it. Before, the work ran for nobody.
   */
  @Test
  void aPhotoWhoseClientLeftWhileItWaitedIsNotAnalysed() throws Exception {
    double before = gauge(node, "parley_vision_cancelled_total");
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    try {
      for (int i = 0; i < io.parley.api.meals.VisionServices.DECODERS; i++) {
        node.server().vision().decoders().executeBlocking(() -> gate.await(60, java.util.concurrent.TimeUnit.SECONDS),
            false);
      }
      // A photo of its own (bytes after the JPEG's end), so that no cached answer stands in for the analysis.
      byte[] dog = Files.readAllBytes(Photos.darknet("dog.jpg"));
      byte[] photo = Arrays.copyOf(dog, dog.length + 16);
      System.arraycopy(java.util.UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII), 0, photo,
          dog.length, 16);
      byte[] head = ("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"dog.jpg\"\r\n"
          + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8);
      byte[] tail = "\r\n--b--\r\n".getBytes(StandardCharsets.UTF_8);
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", node.server().httpPort())) {
        var out = s.getOutputStream();
        out.write(("POST /api/v1/vision/analyze HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + token
            + "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: "
            + (head.length + photo.length + tail.length) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(head);
        out.write(photo);
        out.write(tail);
        out.flush();
        awaitGauge(node, "parley_vision_analyses_active", v -> v == 1, "the photo waiting for a worker");
      }
      awaitGauge(node, "parley_photo_upload_bytes", v -> v == 0, "the closed connection seen");
    } finally {
      gate.countDown();
    }
    awaitGauge(node, "parley_vision_analyses_active", v -> v == 0, "the photo's work over");
    assertThat(gauge(node, "parley_vision_cancelled_total")).isEqualTo(before + 1);
  }

  private static double gauge(TestNode n, String name) {
    for (String line : n.api().get("/metrics", null).body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  private static void awaitGauge(TestNode n, String name, java.util.function.DoublePredicate ok, String what) {
    io.parley.api.support.Poll.until(java.time.Duration.ofSeconds(10), what + " (" + name + ")", () -> gauge(n, name),
        ok::test);
  }

  /** A valid PNG header of {@code w} x {@code h} with a tiny compressed stream of zeros. */
  static byte[] pngBomb(int w, int h) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0)
        .put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    Deflater d = new Deflater(9);
    d.setInput(new byte[1 << 20]); // 1 MiB of zeros: the start of the rows, deflated to ~1 KB
    d.finish();
    byte[] buf = new byte[64 * 1024];
    int n = d.deflate(buf);
    chunk(out, "IDAT", Arrays.copyOf(buf, n));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(t);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /** {@code jpeg} with an APP1 Exif segment (big-endian TIFF, one IFD entry: Orientation) after SOI. */
  static byte[] withOrientation(byte[] jpeg, int orientation) {
    java.nio.ByteBuffer tiff = java.nio.ByteBuffer.allocate(26);
    tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);  // header, IFD at 8
    tiff.putShort((short) 1);                                             // one entry
    tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
    tiff.putInt(0);                                                       // no next IFD
    byte[] exif = new byte[6 + 26];
    System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, exif, 0, 6);
    System.arraycopy(tiff.array(), 0, exif, 6, 26);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0xFF);
    out.write(0xD8);
    out.write(0xFF);
    out.write(0xE1);
    int length = exif.length + 2;
    out.write(length >> 8);
    out.write(length & 0xff);
    out.writeBytes(exif);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }
}
