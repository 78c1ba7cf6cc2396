package io.parley.api.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A failure with its own status and error code, for what {@link io.parley.core.ParleyException}'s
 * coarse reasons cannot say: a field that passed the contract but not a rule the contract cannot
 * express (a configured limit, the clock), or a conflict with a specific code such as
 * {@code outside_join_window}. {@link Failures} sends it in the one error shape.
 */
public final class ApiProblem extends RuntimeException {

  private final int status;
  private final String code;
  private final JsonArray details;

  public ApiProblem(int status, String code, String message, JsonArray details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** 400 {@code validation_failed} naming {@code field} (a JSON pointer into the body) in details, as the validator does. */
  public static ApiProblem field(String field, String keyword, String problem) {
    return new ApiProblem(400, "validation_failed", field.substring(1) + ": " + problem, new JsonArray()
        .add(new JsonObject().put("field", field).put("problem", problem).put("keyword", keyword)));
  }

  /**
   * The request's body as a JSON object, or a 400 naming the body: not JSON, truncated, another
   * JSON type (an array, a string), nested too deep, NaN, bad UTF-8, or absent.
   */
  public static JsonObject jsonObject(io.vertx.ext.web.RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body() == null ? null : ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      throw field("/", "type", "the body must be a JSON object");
    }
    return body;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  JsonArray details() {
    return details;
  }
}
