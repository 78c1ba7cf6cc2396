package io.parley.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Assertions on the API's one error shape ({@code {"error":{"code","message","request_id","timestamp"}}}). */
public final class ApiAssertions {

  private ApiAssertions() {}

  /** Asserts the status and the error shape with this code; returns the error object. */
  public static JsonObject assertError(Api.Res res, int status, String code) {
    assertThat(res.status()).as("status of a response with body %s", res.body()).isEqualTo(status);
    assertThat(res.header("Content-Type")).startsWith("application/json");
    JsonObject error = res.error();
    assertThat(error).as("error object in %s", res.body()).isNotNull();
    assertThat(error.getString("code")).isEqualTo(code);
    assertThat(error.getString("message")).isNotBlank();
    assertThat(error.getString("request_id")).isNotBlank().isEqualTo(res.header("X-Request-Id"));
    assertThat(Instant.parse(error.getString("timestamp"))).isBefore(Instant.now().plusSeconds(5));
    return error;
  }
}
