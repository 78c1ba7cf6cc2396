package io.parley.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Assertions on the API's one error shape {@code {"error":{"code","message","details","request_id","timestamp"}}}. */
public final class ErrorShape {

  private ErrorShape() {}

  /**
   * Asserts that {@code r} is an error response with this status and code in the one error shape,
   * whose request id is the one in the {@code X-Request-Id} header; returns the error object.
   */
  public static JsonObject assertError(Api.Res r, int status, String code) {
    assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).as("content type").startsWith("application/json");
    JsonObject body = r.json();
    assertThat(body).as("body").isNotNull();
    assertThat(body.fieldNames()).as("top-level keys of %s", r.body()).containsExactly("error");
    JsonObject error = body.getJsonObject("error");
    assertThat(error.fieldNames()).as("error keys of %s", r.body())
        .containsExactlyInAnyOrder("code", "message", "details", "request_id", "timestamp");
    assertThat(error.getString("code")).as("code of %s", r.body()).isEqualTo(code);
    assertThat(error.getString("message")).as("message").isNotBlank();
    String requestId = r.header("X-Request-Id");
    assertThat(requestId).as("X-Request-Id header").isNotBlank();
    assertThat(error.getString("request_id")).as("request_id").isEqualTo(requestId);
    Instant at = Instant.parse(error.getString("timestamp"));
    assertThat(Duration.between(at, Instant.now()).abs()).as("timestamp %s is now", at)
        .isLessThan(Duration.ofMinutes(5));
    return error;
  }

  /** The {@code details[].field} values of a validation error. */
  public static List<String> fields(JsonObject error) {
    List<String> out = new ArrayList<>();
    Object details = error.getValue("details");
    if (details instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        out.add(a.getJsonObject(i).getString("field"));
      }
    }
    return out;
  }

  /** The details entry for {@code field}, or null. */
  public static JsonObject detail(JsonObject error, String field) {
    JsonArray a = error.getJsonArray("details");
    for (int i = 0; a != null && i < a.size(); i++) {
      if (field.equals(a.getJsonObject(i).getString("field"))) {
        return a.getJsonObject(i);
      }
    }
    return null;
  }
}
