package io.parley.api.support;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** A small blocking HTTP client for black-box tests (the JDK's client: a peer we did not write). */
public final class Api {

  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String base;
  private final HttpClient client;

  public Api(String base) {
    this(base, CLIENT);
  }

  public Api(String base, HttpClient client) {
    this.base = base;
    this.client = client;
  }

  /** A response: status, headers and the body parsed as JSON when it is JSON. */
  public record Res(int status, java.net.http.HttpHeaders headers, String body) {
    public JsonObject json() {
      return body == null || body.isBlank() ? null : new JsonObject(body);
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    /** The error object of the error shape. */
    public JsonObject error() {
      return json().getJsonObject("error");
    }
  }

  public Res get(String path, String token) {
    return send("GET", path, token, null, Map.of());
  }

  public Res post(String path, String token, Object body) {
    return send("POST", path, token, body, Map.of());
  }

  public Res put(String path, String token, Object body) {
    return send("PUT", path, token, body, Map.of());
  }

  public Res delete(String path, String token) {
    return send("DELETE", path, token, null, Map.of());
  }

  public Res send(String method, String path, String token, Object body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    headers.forEach(b::header);
    if (body != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Res(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Signs up a fresh user; returns the token response. */
  public JsonObject signup(String email, String password, String name) {
    Res r = post("/api/v1/auth/signup", null,
        new JsonObject().put("email", email).put("password", password).put("name", name));
    if (r.status() != 201) {
      throw new IllegalStateException("signup failed: " + r.status() + " " + r.body());
    }
    return r.json();
  }

  /** Logs in; returns the token response. */
  public JsonObject login(String email, String password) {
    Res r = post("/api/v1/auth/login", null, new JsonObject().put("email", email).put("password", password));
    if (r.status() != 200) {
      throw new IllegalStateException("login failed: " + r.status() + " " + r.body());
    }
    return r.json();
  }

  /** Signs up a user with a unique e-mail; returns the token response plus "email" and "password". */
  public JsonObject newUser() {
    String email = "u-" + UUID.randomUUID() + "@example.test";
    String password = "pw-" + UUID.randomUUID();
    return signup(email, password, "Test User").put("email", email).put("password", password);
  }
}
