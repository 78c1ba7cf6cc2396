package io.parley.api.support;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** multipart/form-data POSTs: text fields and one file (the photo uploads). */
public final class Multipart {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private Multipart() {}

  /** POSTs {@code fields} and, unless {@code file} is null, the file as field {@code fileField}. */
  public static Api.Res post(String url, String token, String fileField, byte[] file, String filename,
                             Map<String, String> fields) throws Exception {
    String boundary = "parley-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Map.Entry<String, String> f : fields.entrySet()) {
      body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey() + "\"\r\n\r\n"
          + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    if (file != null) {
      body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fileField + "\"; filename=\""
          + filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      body.writeBytes(file);
      body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    return new Api.Res(r.statusCode(), r.headers(), r.body());
  }
}
