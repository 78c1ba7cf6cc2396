package io.parley.api.http;

import static io.parley.api.support.ErrorShape.assertError;
import static io.parley.api.support.ErrorShape.detail;
import static io.parley.api.support.ErrorShape.fields;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request validation against the OpenAPI contract and the one error shape: every failure a client
 * can provoke (bad bodies, params, content types, sizes, paths, methods) comes back as
 * {@code {"error":{...}}} with the right status, a machine-readable code and the offending field.
 * Also: hostile strings are stored verbatim, security headers, CORS and the served contract.
 */
class ValidationTest {

  private static final int SMALL_BODY_LIMIT = 2048;
  private static final String APP_ORIGIN = "https://app.example";
  private static final HttpClient RAW = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A node with a small body limit and CORS for one origin. */
  private static TestNode limited;
  private static TestNode shared;
  private static Api api;

  @BeforeAll
  static void start() {
    shared = TestNode.shared();
    api = shared.api();
    limited = TestNode.start(Map.of(
        "PARLEY_MAX_BODY_BYTES", Integer.toString(SMALL_BODY_LIMIT),
        "PARLEY_CORS_ORIGINS", APP_ORIGIN));
  }

  @AfterAll
  static void stop() {
    if (limited != null) {
      limited.close();
    }
  }

  // ---- body schema violations -------------------------------------------------------------

  @Test
  void missingRequiredFieldIsNamedInDetails() {
    String email = uniqueEmail();
    Api.Res r = api.post("/api/v1/auth/signup", null,
        new JsonObject().put("email", email).put("password", "long-enough-password"));
    JsonObject error = assertError(r, 400, "validation_failed");
    assertThat(fields(error)).contains("/name");
    assertThat(detail(error, "/name").getString("keyword")).isEqualTo("required");
    // Nothing was created.
    assertThat(api.post("/api/v1/auth/login", null,
        new JsonObject().put("email", email).put("password", "long-enough-password")).status()).isEqualTo(401);
  }

  @Test
  void tooShortPasswordIsRejected() {
    JsonObject error = assertError(api.post("/api/v1/auth/signup", null,
        new JsonObject().put("email", uniqueEmail()).put("password", "short").put("name", "N")),
        400, "validation_failed");
    assertThat(fields(error)).containsExactly("/password");
    assertThat(detail(error, "/password").getString("keyword")).isEqualTo("minLength");
  }

  @Test
  void malformedEmailIsRejected() {
    JsonObject error = assertError(api.post("/api/v1/auth/signup", null,
        new JsonObject().put("email", "not-an-address").put("password", "long-enough-password").put("name", "N")),
        400, "validation_failed");
    assertThat(fields(error)).containsExactly("/email");
  }

  @Test
  void wrongTypeIsRejected() {
    String token = api.newUser().getString("access_token");
    JsonObject error = assertError(api.put("/api/v1/users/me/profile", token,
        new JsonObject().put("height_cm", "one hundred eighty")), 400, "validation_failed");
    assertThat(fields(error)).containsExactly("/height_cm");
    assertThat(detail(error, "/height_cm").getString("keyword")).isEqualTo("type");
    // Nothing was stored.
    assertThat(api.get("/api/v1/users/me", token).json().getJsonObject("profile").getValue("height_cm")).isNull();
  }

  @Test
  void outOfRangeNumberIsRejected() {
    String token = api.newUser().getString("access_token");
    JsonObject error = assertError(api.put("/api/v1/users/me/profile", token,
        new JsonObject().put("height_cm", 5000)), 400, "validation_failed");
    assertThat(fields(error)).containsExactly("/height_cm");
  }

  @Test
  void enumViolationIsRejected() {
    String token = api.newUser().getString("access_token");
    JsonObject error = assertError(api.put("/api/v1/users/me/profile", token,
        new JsonObject().put("activity_level", "couch_potato")), 400, "validation_failed");
    assertThat(fields(error)).containsExactly("/activity_level");
    assertThat(detail(error, "/activity_level").getString("keyword")).isEqualTo("enum");
    // A listed value passes.
    Api.Res ok = api.put("/api/v1/users/me/profile", token, new JsonObject().put("activity_level", "very_active"));
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().getString("activity_level")).isEqualTo("very_active");
  }

  @Test
  void unknownExtraPropertyIsRejected() {
    String email = uniqueEmail();
    JsonObject error = assertError(api.post("/api/v1/auth/signup", null, new JsonObject().put("email", email)
        .put("password", "long-enough-password").put("name", "N").put("role", "admin")), 400, "validation_failed");
    assertThat(fields(error)).containsExactly("/role");
    assertThat(detail(error, "/role").getString("keyword")).isEqualTo("additionalProperties");

    String token = api.newUser().getString("access_token");
    JsonObject profileError = assertError(api.put("/api/v1/users/me/profile", token,
        new JsonObject().put("city", "Oslo").put("shoe_size", 42)), 400, "validation_failed");
    assertThat(fields(profileError)).containsExactly("/shoe_size");
  }

  @Test
  void malformedJsonIsRejected() {
    Api.Res r = raw("POST", shared, "/api/v1/auth/signup", "application/json",
        "{\"email\": \"a@b.example\", \"password\": ");
    JsonObject error = assertError(r, 400, "validation_failed");
    assertThat(error.getString("message")).containsIgnoringCase("decoded");
    Api.Res notAnObject = raw("POST", shared, "/api/v1/auth/signup", "application/json", "[1, 2, 3]");
    assertError(notAnObject, 400, "validation_failed");
  }

  @Test
  void wrongOrMissingContentTypeIsRejected() {
    String valid = new JsonObject().put("email", uniqueEmail()).put("password", "long-enough-password")
        .put("name", "N").encode();
    assertError(raw("POST", shared, "/api/v1/auth/signup", "text/plain", valid), 400, "validation_failed");
    assertError(raw("POST", shared, "/api/v1/auth/signup", "application/x-www-form-urlencoded", "email=x"),
        400, "validation_failed");
    assertError(raw("POST", shared, "/api/v1/auth/signup", null, valid), 400, "validation_failed");
    // Missing body altogether.
    assertError(raw("POST", shared, "/api/v1/auth/signup", "application/json", null), 400, "validation_failed");
    // The same body with the right content type is accepted: the type was the only problem.
    assertThat(raw("POST", shared, "/api/v1/auth/signup", "application/json", valid).status()).isEqualTo(201);
  }

  // ---- parameters ---------------------------------------------------------------------------

  @Test
  void badQueryParameterIsNamed() {
    String token = api.newUser().getString("access_token");
    for (String bad : new String[] {"0", "abc", "101", "-3"}) {
      JsonObject error = assertError(api.get("/api/v1/experts?limit=" + bad, token), 400, "validation_failed");
      assertThat(fields(error)).as("limit=%s", bad).containsExactly("/limit");
      assertThat(detail(error, "/limit").getString("in")).isEqualTo("query");
    }
    assertThat(api.get("/api/v1/experts?limit=1", token).status()).isEqualTo(200);
  }

  @Test
  void badPathParameterIsNamed() {
    String token = api.newUser().getString("access_token");
    JsonObject error = assertError(api.get("/api/v1/experts/not-a-uuid", token), 400, "validation_failed");
    assertThat(fields(error)).containsExactly("/expertId");
    assertThat(detail(error, "/expertId").getString("in")).isEqualTo("path");
    // A well-formed id of nobody is a 404, not a validation failure.
    assertError(api.get("/api/v1/experts/" + UUID.randomUUID(), token), 404, "not_found");
  }

  // ---- hostile and unusual strings ----------------------------------------------------------

  @Test
  void sqlInjectionStringsAreStoredVerbatim() throws Exception {
    String name = "Robert'); DROP TABLE users;--";
    String orTrue = "' OR 1=1 --";
    String sleep = "\"; SELECT pg_sleep(5); --";
    String email = uniqueEmail();
    JsonObject tokens = api.signup(email, "long-enough-password", name);
    String token = tokens.getString("access_token");

    long start = System.nanoTime();
    Api.Res put = api.put("/api/v1/users/me/profile", token, new JsonObject()
        .put("goals", new JsonArray().add(orTrue).add(sleep))
        .put("dietary_pref", orTrue)
        .put("city", sleep));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(took).as("pg_sleep(5) must not have run").isLessThan(Duration.ofSeconds(5));

    JsonObject me = api.get("/api/v1/users/me", token).json();
    assertThat(me.getString("name")).isEqualTo(name);
    JsonObject profile = me.getJsonObject("profile");
    assertThat(profile.getJsonArray("goals")).containsExactly(orTrue, sleep);
    assertThat(profile.getString("dietary_pref")).isEqualTo(orTrue);
    assertThat(profile.getString("city")).isEqualTo(sleep);

    // The users table is intact and holds the name as given.
    RowSet<Row> rows = query("SELECT name FROM users WHERE lower(email) = lower($1)", Tuple.of(email));
    assertThat(rows.size()).isEqualTo(1);
    assertThat(rows.iterator().next().getString("name")).isEqualTo(name);
    assertThat(query("SELECT count(*) AS n FROM users", Tuple.tuple()).iterator().next().getLong("n"))
        .isGreaterThanOrEqualTo(1);
    JsonObject other = api.newUser();
    assertThat(api.get("/api/v1/auth/me", other.getString("access_token")).status()).isEqualTo(200);
    assertThat(api.post("/api/v1/auth/login", null,
        new JsonObject().put("email", email).put("password", "long-enough-password")).status()).isEqualTo(200);

    // Injection in the credentials logs nobody in.
    assertError(api.post("/api/v1/auth/login", null,
        new JsonObject().put("email", "' OR '1'='1").put("password", "' OR '1'='1")), 401, "unauthorized");
  }

  @Test
  void unicodeRoundTrips() throws Exception {
    String name = "Zoë 🥑 مرحبا שלום 日本語";
    String city = "القاهرة";
    String diet = "végétarien 🌱";
    JsonArray goals = new JsonArray().add("🏃‍♀️ run 5 km").add("עברית מימין לשמאל").add("👨‍👩‍👧‍👦");
    String email = uniqueEmail();
    String token = api.signup(email, "long-enough-password", name).getString("access_token");
    Api.Res put = api.put("/api/v1/users/me/profile", token,
        new JsonObject().put("city", city).put("dietary_pref", diet).put("goals", goals));
    assertThat(put.status()).as(put.body()).isEqualTo(200);

    JsonObject me = api.get("/api/v1/users/me", token).json();
    assertThat(me.getString("name")).isEqualTo(name);
    assertThat(me.getJsonObject("profile").getString("city")).isEqualTo(city);
    assertThat(me.getJsonObject("profile").getString("dietary_pref")).isEqualTo(diet);
    assertThat(me.getJsonObject("profile").getJsonArray("goals")).isEqualTo(goals);
    // Stored as the same code points, not mangled on the way in.
    Row row = query("SELECT u.name, p.city FROM users u JOIN user_profiles p ON p.user_id = u.id "
        + "WHERE lower(u.email) = lower($1)", Tuple.of(email)).iterator().next();
    assertThat(row.getString("name")).isEqualTo(name);
    assertThat(row.getString("city")).isEqualTo(city);
  }

  // ---- sizes --------------------------------------------------------------------------------

  @Test
  void bodyOverTheConfiguredLimitIs413() {
    Api small = limited.api();
    String token = small.newUser().getString("access_token");

    JsonObject under = profileOfSize(1500);
    assertThat(under.encode().getBytes(StandardCharsets.UTF_8).length).isLessThan(SMALL_BODY_LIMIT);
    assertThat(small.put("/api/v1/users/me/profile", token, under).status()).isEqualTo(200);

    JsonObject over = profileOfSize(3000);
    assertThat(over.encode().getBytes(StandardCharsets.UTF_8).length).isGreaterThan(SMALL_BODY_LIMIT);
    JsonObject error = assertError(small.put("/api/v1/users/me/profile", token, over), 413, "payload_too_large");
    assertThat(error.getJsonObject("details").getInteger("limit_bytes")).isEqualTo(SMALL_BODY_LIMIT);
    // The refused body was not stored: the profile is still the smaller one.
    assertThat(small.get("/api/v1/users/me", token).json().getJsonObject("profile").getJsonArray("goals"))
        .isEqualTo(under.getJsonArray("goals"));

    // Without a Content-Length (chunked), the limit is enforced on the bytes that arrive.
    Api.Res chunked = send(HttpRequest.newBuilder(URI.create(limited.baseUrl() + "/api/v1/users/me/profile"))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(over.encode().getBytes(StandardCharsets.UTF_8)))));
    assertError(chunked, 413, "payload_too_large");
  }

  @Test
  void bodyOverTheDefaultLimitIs413() {
    String token = api.newUser().getString("access_token");
    int defaultLimit = 1024 * 1024;
    StringBuilder big = new StringBuilder(defaultLimit + 4096);
    big.append("{\"city\":\"");
    while (big.length() < defaultLimit + 1024) {
      big.append("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
    big.append("\"}");
    JsonObject error = assertError(raw("PUT", shared, "/api/v1/users/me/profile", "application/json", big.toString(),
        Map.of("Authorization", "Bearer " + token)), 413, "payload_too_large");
    assertThat(error.getJsonObject("details").getInteger("limit_bytes")).isEqualTo(defaultLimit);
  }

  // ---- routing errors -----------------------------------------------------------------------

  @Test
  void unknownPathIs404InTheErrorShape() {
    String token = api.newUser().getString("access_token");
    assertError(api.get("/api/v1/no-such-thing", token), 404, "not_found");
    assertError(api.get("/no-such-thing", null), 404, "not_found");
    Api.Res a = api.get("/api/v1/no-such-thing", null);
    Api.Res b = api.get("/api/v1/no-such-thing", null);
    assertThat(assertError(a, 404, "not_found").getString("request_id"))
        .isNotEqualTo(assertError(b, 404, "not_found").getString("request_id"));
  }

  @Test
  void wrongMethodIs405InTheErrorShape() {
    String token = api.newUser().getString("access_token");
    assertError(api.post("/api/v1/users/me", token, new JsonObject()), 405, "method_not_allowed");
    assertError(api.send("PATCH", "/api/v1/experts", token, null, Map.of()), 405, "method_not_allowed");
    assertError(api.delete("/api/v1/auth/signup", null), 405, "method_not_allowed");
  }

  @Test
  void missingTokenIs401InTheErrorShape() {
    assertError(api.get("/api/v1/users/me", null), 401, "unauthorized");
    assertError(api.get("/api/v1/users/me", "not.a.jwt"), 401, "unauthorized");
  }

  // ---- headers ------------------------------------------------------------------------------

  @Test
  void securityHeadersOnEveryResponse() {
    String token = api.newUser().getString("access_token");
    for (Api.Res r : new Api.Res[] {
        api.get("/api/v1/users/me", token),
        api.get("/api/v1/no-such-thing", null),
        api.post("/api/v1/auth/signup", null, new JsonObject()),
        api.get("/health/live", null)}) {
      assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
      assertThat(r.header("X-Frame-Options")).isEqualTo("DENY");
      assertThat(r.header("Referrer-Policy")).isEqualTo("no-referrer");
      assertThat(r.header("Content-Security-Policy")).contains("frame-ancestors 'none'");
      assertThat(r.header("Strict-Transport-Security")).startsWith("max-age=");
      assertThat(r.header("X-Request-Id")).isNotBlank();
    }
  }

  @Test
  void theWebClientIsServedAtTheRootAndNeverShadowsTheApi() {
    Api.Res root = api.get("/", null);
    assertThat(root.status()).isEqualTo(200);
    assertThat(root.header("Content-Type")).startsWith("text/html");
    assertThat(root.body()).contains("<title>Parley</title>");
    // Its scripts may come only from Parley itself: no inline code, no other host.
    assertThat(root.header("Content-Security-Policy")).startsWith("default-src 'self'").doesNotContain("unsafe-inline");
    assertThat(api.get("/index.html", null).body()).isEqualTo(root.body());

    // A file the client does not have, an API path that does not exist, a path that climbs out of
    // the web folder, and a write to the root: all in the error shape, none answered with the page.
    assertError(api.get("/no-such-page.js", null), 404, "not_found");
    assertError(api.get("/api/v1/no-such-thing", null), 404, "not_found");
    assertThat(api.get("/../pom.xml", null).body()).doesNotContain("<project");
    assertThat(api.get("/%2e%2e/%2e%2e/pom.xml", null).body()).doesNotContain("<project");
    Api.Res post = api.post("/", null, new JsonObject());
    assertThat(post.status()).isIn(404, 405);
    assertThat(post.error()).isNotNull();
  }

  @Test
  void corsAllowsOnlyTheConfiguredOrigin() {
    Api a = limited.api();
    Api.Res preflight = a.send("OPTIONS", "/api/v1/users/me", null, null, Map.of(
        "Origin", APP_ORIGIN,
        "Access-Control-Request-Method", "PUT",
        "Access-Control-Request-Headers", "Authorization, Content-Type"));
    assertThat(preflight.status()).isBetween(200, 204);
    assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo(APP_ORIGIN);
    assertThat(preflight.header("Access-Control-Allow-Methods")).contains("PUT");
    assertThat(preflight.header("Access-Control-Allow-Headers")).containsIgnoringCase("authorization");

    // An actual request from the allowed origin exposes the rate-limit and request-id headers.
    String token = a.newUser().getString("access_token");
    Api.Res actual = a.send("GET", "/api/v1/users/me", token, null, Map.of("Origin", APP_ORIGIN));
    assertThat(actual.status()).isEqualTo(200);
    assertThat(actual.header("Access-Control-Allow-Origin")).isEqualTo(APP_ORIGIN);
    assertThat(actual.header("Access-Control-Expose-Headers")).containsIgnoringCase("X-Request-Id")
        .containsIgnoringCase("X-RateLimit-Remaining");

    Api.Res foreign = a.send("OPTIONS", "/api/v1/users/me", null, null, Map.of(
        "Origin", "https://evil.example",
        "Access-Control-Request-Method", "PUT"));
    assertThat(foreign.header("Access-Control-Allow-Origin")).isNull();
    assertThat(foreign.status()).isGreaterThanOrEqualTo(400);
    Api.Res foreignGet = a.send("GET", "/api/v1/users/me", token, null, Map.of("Origin", "https://evil.example"));
    assertThat(foreignGet.header("Access-Control-Allow-Origin")).isNull();

    // Without PARLEY_CORS_ORIGINS there are no CORS headers at all.
    Api.Res none = api.send("OPTIONS", "/api/v1/users/me", null, null, Map.of(
        "Origin", APP_ORIGIN, "Access-Control-Request-Method", "PUT"));
    assertThat(none.header("Access-Control-Allow-Origin")).isNull();
  }

  // ---- the contract -------------------------------------------------------------------------

  @Test
  void contractIsServed() {
    Api.Res r = api.get("/api/v1/openapi.json", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    JsonObject contract = r.json();
    assertThat(contract.getString("openapi")).startsWith("3.1.");
    JsonObject signup = contract.getJsonObject("paths").getJsonObject("/api/v1/auth/signup");
    assertThat(signup).isNotNull();
    assertThat(signup.getJsonObject("post").getString("operationId")).isEqualTo("signup");
    assertThat(contract.getJsonObject("components").getJsonObject("schemas").getJsonObject("Error")).isNotNull();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static String uniqueEmail() {
    return "v-" + UUID.randomUUID() + "@example.test";
  }

  /** A valid profile whose JSON encoding is about {@code bytes} long. */
  private static JsonObject profileOfSize(int bytes) {
    JsonArray goals = new JsonArray();
    int perGoal = 180;
    for (int i = 0; i < bytes / (perGoal + 3); i++) {
      goals.add(Integer.toString(i) + "g".repeat(perGoal - Integer.toString(i).length()));
    }
    return new JsonObject().put("goals", goals);
  }

  private static Api.Res raw(String method, TestNode node, String path, String contentType, String body) {
    return raw(method, node, path, contentType, body, Map.of());
  }

  private static Api.Res raw(String method, TestNode node, String path, String contentType, String body,
                             Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.baseUrl() + path));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    headers.forEach(b::header);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return send(b);
  }

  private static Api.Res send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = RAW.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      return new Api.Res(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static RowSet<Row> query(String sql, Tuple args) throws Exception {
    return shared.server().pool().preparedQuery(sql).execute(args).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
