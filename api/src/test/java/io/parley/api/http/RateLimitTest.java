package io.parley.api.http;

import static io.parley.api.support.ErrorShape.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request rate limits (per user, per IP when anonymous, per IP for the auth class), login
 * throttling (per account and per IP), the routes that are never limited, and /metrics.
 * Both nodes trust X-Forwarded-For so that one test client can speak from several addresses.
 */
class RateLimitTest {

  private static final int API_LIMIT = 5;
  private static final int ACCOUNT_FAILURES = 3;
  private static final int IP_FAILURES = 4;
  private static final int AUTH_LIMIT = 3;
  private static final int TINY_API_LIMIT = 2;
  private static final int VOICE_LIMIT = 3;
  private static final String PASSWORD = "correct-horse-battery";

  /** API class limited to 5 per minute; login throttling at 3 per account and 4 per IP. */
  private static TestNode limits;
  /** Auth class limited to 3 per minute, API class to 2. */
  private static TestNode tiny;

  @BeforeAll
  static void start() {
    limits = TestNode.start(Map.of(
        "PARLEY_RATE_LIMIT_API_PER_MINUTE", Integer.toString(API_LIMIT),
        "PARLEY_LOGIN_MAX_FAILURES_ACCOUNT", Integer.toString(ACCOUNT_FAILURES),
        "PARLEY_LOGIN_MAX_FAILURES_IP", Integer.toString(IP_FAILURES),
        "PARLEY_RATE_LIMIT_VOICE_PER_MINUTE", Integer.toString(VOICE_LIMIT),
        "PARLEY_TRUST_PROXY", "true"));
    tiny = TestNode.start(Map.of(
        "PARLEY_RATE_LIMIT_AUTH_PER_MINUTE", Integer.toString(AUTH_LIMIT),
        "PARLEY_RATE_LIMIT_API_PER_MINUTE", Integer.toString(TINY_API_LIMIT),
        "PARLEY_TRUST_PROXY", "true"));
  }

  @AfterAll
  static void stop() {
    if (limits != null) {
      limits.close();
    }
    if (tiny != null) {
      tiny.close();
    }
  }

  @Test
  void apiClassIsLimitedPerUser() {
    Api api = limits.api();
    String first = api.newUser().getString("access_token");
    String second = api.newUser().getString("access_token");

    for (int i = 1; i <= API_LIMIT; i++) {
      Api.Res r = api.get("/api/v1/users/me", first);
      assertThat(r.status()).as("request %d", i).isEqualTo(200);
      assertThat(r.header("X-RateLimit-Limit")).isEqualTo(Integer.toString(API_LIMIT));
      assertThat(r.header("X-RateLimit-Remaining")).as("request %d", i).isEqualTo(Integer.toString(API_LIMIT - i));
      assertThat(Long.parseLong(r.header("X-RateLimit-Reset"))).isBetween(1L, 60L);
    }
    Api.Res refused = api.get("/api/v1/users/me", first);
    assertError(refused, 429, "rate_limited");
    long retryAfter = Long.parseLong(refused.header("Retry-After"));
    assertThat(retryAfter).isBetween(1L, 60L);
    assertThat(Long.parseLong(refused.header("X-RateLimit-Reset"))).isBetween(1L, 60L);
    assertThat(refused.header("X-RateLimit-Remaining")).isEqualTo("0");
    assertThat(refused.header("X-RateLimit-Limit")).isEqualTo(Integer.toString(API_LIMIT));

    // The budget belongs to the user: other routes of the class and other addresses are refused too.
    assertError(api.get("/api/v1/auth/me", first), 429, "rate_limited");
    assertError(api.send("GET", "/api/v1/users/me", first, null, Map.of("X-Forwarded-For", "203.0.113.99")),
        429, "rate_limited");

    // Another user has a budget of their own.
    Api.Res other = api.get("/api/v1/users/me", second);
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(API_LIMIT - 1));
  }

  /**
   * One node is exact under concurrency: 48 requests of a fresh user at once get exactly the limit's
   * worth of 200s. Before, concurrent first hits of a window each started a window of their own and
   * the last to arrive won (chat 68/60 was seen).
   */
  @Test
  void concurrentFirstHitsDoNotOvershootTheLimit() throws Exception {
    Api api = limits.api();
    String token = api.newUser().getString("access_token");
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(limits.baseUrl() + "/api/v1/users/me")).header("Authorization", "Bearer " + token).build();
    java.util.List<java.util.concurrent.CompletableFuture<Integer>> all = new java.util.ArrayList<>();
    for (int i = 0; i < 48; i++) {
      all.add(client.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.discarding())
          .thenApply(java.net.http.HttpResponse::statusCode));
    }
    java.util.Map<Integer, Long> byStatus = new java.util.TreeMap<>();
    for (var f : all) {
      byStatus.merge(f.get(30, java.util.concurrent.TimeUnit.SECONDS), 1L, Long::sum);
    }
    assertThat(byStatus).containsExactly(Map.entry(200, (long) API_LIMIT), Map.entry(429, 48L - API_LIMIT));
  }

  /**
   * Realtime handshakes count in the voice class (before, one user opened and closed 300 sessions in
   * 13 s, each creating a stored conversation).
   */
  @Test
  void realtimeHandshakesCountInTheVoiceClass() throws Exception {
    String token = limits.api().newUser().getString("access_token");
    for (int i = 1; i <= VOICE_LIMIT; i++) {
      assertThat(io.parley.api.support.RealtimeClient.handshakeStatus(limits, token, "")).as("handshake %d", i)
          .isEqualTo(101);
    }
    assertThat(io.parley.api.support.RealtimeClient.handshakeStatus(limits, token, "")).isEqualTo(429);
    // The budget is the user's: another user still gets in.
    String other = limits.api().newUser().getString("access_token");
    assertThat(io.parley.api.support.RealtimeClient.handshakeStatus(limits, other, "")).isEqualTo(101);
  }

  @Test
  void anonymousRequestsAreCountedPerIp() {
    Api api = limits.api();
    Map<String, String> fromA = Map.of("X-Forwarded-For", "203.0.113.7");
    Map<String, String> fromB = Map.of("X-Forwarded-For", "203.0.113.8");
    for (int i = 1; i <= API_LIMIT; i++) {
      Api.Res r = api.send("GET", "/api/v1/no-such-thing", null, null, fromA);
      assertError(r, 404, "not_found");
      assertThat(r.header("X-RateLimit-Remaining")).as("request %d", i).isEqualTo(Integer.toString(API_LIMIT - i));
    }
    Api.Res refused = api.send("GET", "/api/v1/no-such-thing", null, null, fromA);
    assertError(refused, 429, "rate_limited");
    assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 60L);

    // Another address, and a signed-in user at the exhausted address, are not affected.
    Api.Res other = api.send("GET", "/api/v1/no-such-thing", null, null, fromB);
    assertError(other, 404, "not_found");
    assertThat(other.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(API_LIMIT - 1));
    String token = api.newUser().getString("access_token");
    assertThat(api.send("GET", "/api/v1/users/me", token, null, fromA).status()).isEqualTo(200);
  }

  @Test
  void authClassIsLimitedPerIp() {
    Api api = tiny.api();
    Map<String, String> fromA = Map.of("X-Forwarded-For", "198.51.100.1");
    Map<String, String> fromB = Map.of("X-Forwarded-For", "198.51.100.2");
    String firstEmail = email();
    for (int i = 1; i <= AUTH_LIMIT; i++) {
      String e = i == 1 ? firstEmail : email();
      Api.Res r = api.send("POST", "/api/v1/auth/signup", null, signup(e), fromA);
      assertThat(r.status()).as("signup %d: %s", i, r.body()).isEqualTo(201);
      assertThat(r.header("X-RateLimit-Limit")).isEqualTo(Integer.toString(AUTH_LIMIT));
      assertThat(r.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(AUTH_LIMIT - i));
    }
    String refusedEmail = email();
    Api.Res refused = api.send("POST", "/api/v1/auth/signup", null, signup(refusedEmail), fromA);
    assertError(refused, 429, "rate_limited");
    assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 60L);
    assertThat(refused.header("X-RateLimit-Reset")).isNotNull();
    // Login is in the same class: refused from that address even with the right password.
    assertError(api.send("POST", "/api/v1/auth/login", null, login(firstEmail, PASSWORD), fromA),
        429, "rate_limited");

    // From another address the same account logs in; the refused sign-up created nobody.
    assertThat(api.send("POST", "/api/v1/auth/login", null, login(firstEmail, PASSWORD), fromB).status())
        .isEqualTo(200);
    assertError(api.send("POST", "/api/v1/auth/login", null, login(refusedEmail, PASSWORD), fromB),
        401, "unauthorized");
  }

  @Test
  void loginIsThrottledPerAccount() {
    Api api = limits.api();
    Map<String, String> fromA = Map.of("X-Forwarded-For", "192.0.2.10");
    Map<String, String> fromElsewhere = Map.of("X-Forwarded-For", "192.0.2.11");
    String alice = email();
    String bob = email();
    api.signup(alice, PASSWORD, "Alice");
    api.signup(bob, PASSWORD, "Bob");

    for (int i = 1; i <= ACCOUNT_FAILURES; i++) {
      assertError(api.send("POST", "/api/v1/auth/login", null, login(alice, "wrong-password-" + i), fromA),
          401, "unauthorized");
    }
    Api.Res throttled = api.send("POST", "/api/v1/auth/login", null, login(alice, PASSWORD), fromA);
    JsonObject error = assertError(throttled, 429, "rate_limited");
    assertThat(error.getString("message")).contains("account");
    assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 900L);
    // The account is throttled from any address, also with the e-mail in another case.
    assertError(api.send("POST", "/api/v1/auth/login", null, login(alice.toUpperCase(), PASSWORD), fromElsewhere),
        429, "rate_limited");

    // Another account from the same address still logs in.
    Api.Res other = api.send("POST", "/api/v1/auth/login", null, login(bob, PASSWORD), fromA);
    assertThat(other.status()).as(other.body()).isEqualTo(200);
    assertThat(other.json().getString("access_token")).isNotBlank();
  }

  @Test
  void loginIsThrottledPerIp() {
    Api api = limits.api();
    Map<String, String> fromB = Map.of("X-Forwarded-For", "192.0.2.20");
    Map<String, String> fromC = Map.of("X-Forwarded-For", "192.0.2.21");
    String[] accounts = new String[IP_FAILURES + 1];
    for (int i = 0; i < accounts.length; i++) {
      accounts[i] = email();
      api.signup(accounts[i], PASSWORD, "User " + i);
    }
    // One failure per account (below the per-account limit), IP_FAILURES from one address.
    for (int i = 0; i < IP_FAILURES; i++) {
      assertError(api.send("POST", "/api/v1/auth/login", null, login(accounts[i], "wrong-password"), fromB),
          401, "unauthorized");
    }
    String last = accounts[IP_FAILURES];
    Api.Res throttled = api.send("POST", "/api/v1/auth/login", null, login(last, PASSWORD), fromB);
    JsonObject error = assertError(throttled, 429, "rate_limited");
    assertThat(error.getString("message")).contains("address");
    assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 900L);

    // The same account from another address is fine: it was the address that was throttled.
    assertThat(api.send("POST", "/api/v1/auth/login", null, login(last, PASSWORD), fromC).status()).isEqualTo(200);
    assertThat(api.send("POST", "/api/v1/auth/login", null, login(accounts[0], PASSWORD), fromC).status())
        .isEqualTo(200);
  }

  /**
   * Behind the trusted proxy only the hop it appends counts: a client that writes addresses of its
   * own into X-Forwarded-For before that hop is still one address to the throttle.
   */
  @Test
  void hopsTheClientWroteDoNotEscapeTheIpThrottle() {
    Api api = limits.api();
    String[] accounts = new String[IP_FAILURES + 1];
    for (int i = 0; i < accounts.length; i++) {
      accounts[i] = email();
      api.signup(accounts[i], PASSWORD, "User " + i);
    }
    for (int i = 0; i < IP_FAILURES; i++) {
      Map<String, String> spoofed = Map.of("X-Forwarded-For", "198.51.100." + (i + 1) + ", 192.0.2.30");
      assertError(api.send("POST", "/api/v1/auth/login", null, login(accounts[i], "wrong-password"), spoofed),
          401, "unauthorized");
    }
    Api.Res throttled = api.send("POST", "/api/v1/auth/login", null, login(accounts[IP_FAILURES], PASSWORD),
        Map.of("X-Forwarded-For", "203.0.113.250, 192.0.2.30"));
    assertThat(assertError(throttled, 429, "rate_limited").getString("message")).contains("address");
  }

  /** A path spelled another way is not another rate-limit class: it is no path at all. */
  @Test
  void pathVariantsDoNotChangeTheLimitClass() {
    Api api = tiny.api();
    for (String variant : new String[] {"/api/v1//auth/refresh", "/api/v1/auth/refresh/", "/api/v1/./auth/refresh",
        "/api/v1/auth/%72efresh"}) {
      Api.Res r = api.send("POST", variant, null, new JsonObject().put("refresh_token", "x".repeat(32)),
          Map.of("X-Forwarded-For", "198.51.100.77"));
      assertError(r, 404, "not_found");
      assertThat(r.header("X-RateLimit-Limit")).as(variant).isNull();
    }
  }

  @Test
  void healthMetricsAndContractAreNotLimited() {
    Api api = tiny.api();
    // Limits are in force on this node...
    Map<String, String> from = Map.of("X-Forwarded-For", "198.51.100.50");
    for (int i = 0; i < TINY_API_LIMIT; i++) {
      assertError(api.send("GET", "/api/v1/no-such-thing", null, null, from), 404, "not_found");
    }
    assertError(api.send("GET", "/api/v1/no-such-thing", null, null, from), 429, "rate_limited");
    // ...but not on these, from that same address.
    for (int i = 0; i < 25; i++) {
      Api.Res live = api.send("GET", "/health/live", null, null, from);
      assertThat(live.status()).as("live %d", i).isEqualTo(200);
      assertThat(live.header("X-RateLimit-Limit")).isNull();
    }
    for (int i = 0; i < 5; i++) {
      assertThat(api.send("GET", "/health/ready", null, null, from).status()).isEqualTo(200);
      Api.Res contract = api.send("GET", "/api/v1/openapi.json", null, null, from);
      assertThat(contract.status()).isEqualTo(200);
      assertThat(contract.header("X-RateLimit-Limit")).isNull();
      assertThat(api.send("GET", "/metrics", null, null, from).status()).isEqualTo(200);
    }
  }

  @Test
  void metricsArePrometheusText() {
    TestNode node = TestNode.shared();
    Api api = node.api();
    String token = api.newUser().getString("access_token");
    assertThat(api.get("/api/v1/users/me", token).status()).isEqualTo(200);
    Api.Res before = api.get("/metrics", null);
    assertThat(before.status()).isEqualTo(200);
    assertThat(before.header("Content-Type")).startsWith("text/plain");
    String text = before.body();

    // HTTP server latency as a histogram with buckets, labelled by route, method and status.
    assertThat(text).contains("# TYPE vertx_http_server_response_time_seconds histogram");
    assertThat(text).containsPattern(
        "vertx_http_server_response_time_seconds_bucket\\{[^}]*route=\"/api/v1/users/me\"[^}]*le=\"\\+Inf\"\\} [1-9]");
    assertThat(text).contains("vertx_http_server_requests_total{");
    // JVM and pool (SQL connections, workers) metrics.
    assertThat(text).containsPattern("jvm_memory_used_bytes\\{[^}]*\\} \\d");
    assertThat(text).containsPattern("vertx_pool_in_use\\{[^}]*pool_type=\"sql\"");
    assertThat(text).containsPattern("vertx_pool_completed_total\\{[^}]*pool_name=\"parley-auth\"");

    // The counters move with traffic.
    double count = usersMeCount(text);
    for (int i = 0; i < 3; i++) {
      assertThat(api.get("/api/v1/users/me", token).status()).isEqualTo(200);
    }
    assertThat(usersMeCount(api.get("/metrics", null).body())).isGreaterThanOrEqualTo(count + 3);
  }

  @Test
  void everyNodeReportsItsOwnHttpMetrics() {
    // Several nodes share this JVM: each one's /metrics must show the requests it served itself.
    for (TestNode node : new TestNode[] {limits, tiny, TestNode.shared()}) {
      Api api = node.api();
      assertThat(api.get("/health/live", null).status()).isEqualTo(200);
      String text = api.get("/metrics", null).body();
      assertThat(text).as("metrics of %s", node.baseUrl()).containsPattern(
          "vertx_http_server_response_time_seconds_bucket\\{[^}]*route=\"/health/live\"[^}]*le=\"\\+Inf\"\\} [1-9]");
      assertThat(text).containsPattern("vertx_pool_completed_total\\{[^}]*pool_name=\"parley-pg\"");
    }
  }

  private static double usersMeCount(String metrics) {
    Matcher m = Pattern.compile("(?m)^vertx_http_server_response_time_seconds_count\\{([^}]*)\\} (\\S+)$")
        .matcher(metrics);
    double sum = 0;
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("route=\"/api/v1/users/me\"") && labels.contains("code=\"200\"")
          && labels.contains("method=\"GET\"")) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  private static String email() {
    return "rl-" + UUID.randomUUID() + "@example.test";
  }

  private static JsonObject signup(String email) {
    return new JsonObject().put("email", email).put("password", PASSWORD).put("name", "Limited");
  }

  private static JsonObject login(String email, String password) {
    return new JsonObject().put("email", email).put("password", password);
  }
}
