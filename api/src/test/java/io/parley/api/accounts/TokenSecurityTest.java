package io.parley.api.accounts;

import static io.parley.api.support.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.JwtForge;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Access-token verification and authorisation: forged, expired, tampered and malformed tokens are
 * refused; roles gate the admin routes; one user never sees another's data; a deleted user's
 * still-unexpired token opens nothing. Tokens are forged with the JDK's HMAC and the node's secret.
 */
class TokenSecurityTest {

  private static final String USERS_ME = "/api/v1/users/me";
  private static final String ADMIN_EMAIL = "admin-" + UUID.randomUUID() + "@example.test";

  private static TestNode node;
  private static Api api;
  private static JwtForge forge;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of());
    api = node.api();
    forge = JwtForge.ofNode(node);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aTokenForgedWithTheNodeSecretIsAccepted() {
    // Proves the forging below is right, so that the refusals in the other tests mean something.
    User user = newUser();

    String token = forge.hs256(JwtForge.claims(user.id(), "user", "parley", Instant.now().plusSeconds(300)));

    Api.Res me = api.get(USERS_ME, token);
    assertThat(me.status()).as(me.body()).isEqualTo(200);
    assertThat(me.json().getString("id")).isEqualTo(user.id());
    assertThat(me.json().getString("email")).isEqualTo(user.email());
  }

  /**
   * The expert directory is for signed-in users. Spelled with a trailing or doubled slash, a dot
   * segment or an escaped letter, its path once matched the route but not the contract entry that
   * demands a token, and the directory was served anonymously.
   */
  @Test
  void noSpellingOfAPathServesItWithoutAToken() {
    User user = newUser();
    assertError(api.get("/api/v1/experts", null), 401, "unauthorized");
    assertThat(api.get("/api/v1/experts", user.accessToken()).status()).isEqualTo(200);
    for (String variant : new String[] {"/api/v1/experts/", "/api/v1//experts", "/api/v1/./experts",
        "/api/v1/%65xperts", "/api/v1/x/../experts"}) {
      Api.Res anonymous = api.get(variant, null);
      assertError(anonymous, 404, "not_found");
      assertThat(anonymous.body()).as(variant).doesNotContain("\"items\"");
      // Not a way in with a token either: one spelling for everyone.
      assertError(api.get(variant, user.accessToken()), 404, "not_found");
    }
  }

  @Test
  void anExpiredTokenIsRefused() {
    User user = newUser();
    // Well past the verifier's leeway of a few seconds.
    String expired = forge.hs256(JwtForge.claims(user.id(), "user", "parley", Instant.now().minus(Duration.ofMinutes(5))));

    assertError(api.get(USERS_ME, expired), 401, "unauthorized");
  }

  @Test
  void aTokenOfAnotherIssuerIsRefused() {
    User user = newUser();
    String foreign = forge.hs256(JwtForge.claims(user.id(), "user", "not-parley", Instant.now().plusSeconds(300)));
    String noIssuer = forge.hs256(JwtForge.claims(user.id(), "user", "parley", Instant.now().plusSeconds(300))
        .put("iss", null));

    assertError(api.get(USERS_ME, foreign), 401, "unauthorized");
    assertError(api.get(USERS_ME, noIssuer), 401, "unauthorized");
  }

  @Test
  void aTamperedPayloadUnderTheOriginalSignatureIsRefused() {
    User user = newUser();
    String[] parts = user.accessToken().split("\\.");
    JsonObject claims = JwtForge.payload(user.accessToken());
    assertThat(claims.getString("role")).isEqualTo("user");
    String promoted = parts[0] + "." + JwtForge.encode(claims.copy().put("role", "admin")) + "." + parts[2];

    assertError(api.get(USERS_ME, promoted), 401, "unauthorized");
    assertError(api.get("/api/v1/admin/audit-log", promoted), 401, "unauthorized");
    assertError(api.get("/api/v1/admin/users/" + user.id(), promoted), 401, "unauthorized");
    // Unchanged, the same token works: only the tampering made it fail.
    assertThat(api.get(USERS_ME, user.accessToken()).status()).isEqualTo(200);
  }

  @Test
  void anUnsignedAlgNoneTokenIsRefused() {
    User user = newUser();
    JsonObject claims = JwtForge.claims(user.id(), "admin", "parley", Instant.now().plusSeconds(300));
    String unsigned = JwtForge.encode(new JsonObject().put("alg", "none").put("typ", "JWT")) + "."
        + JwtForge.encode(claims) + ".";
    String unsignedNoDot = unsigned.substring(0, unsigned.length() - 1);

    assertError(api.get(USERS_ME, unsigned), 401, "unauthorized");
    assertError(api.get(USERS_ME, unsignedNoDot), 401, "unauthorized");
    assertError(api.get("/api/v1/admin/audit-log", unsigned), 401, "unauthorized");
  }

  @Test
  void aTokenSignedWithAnotherSecretOrAlgorithmIsRefused() {
    User user = newUser();
    JsonObject claims = JwtForge.claims(user.id(), "user", "parley", Instant.now().plusSeconds(300));
    JwtForge stranger = new JwtForge("another-secret-of-at-least-32-bytes-xxxxxxxx".getBytes(StandardCharsets.UTF_8));
    // The right key, but a header claiming an algorithm the node has no key for.
    String hs512Header = forge.sign(new JsonObject().put("alg", "HS512").put("typ", "JWT"), claims);

    assertError(api.get(USERS_ME, stranger.hs256(claims)), 401, "unauthorized");
    assertError(api.get(USERS_ME, hs512Header), 401, "unauthorized");
  }

  @Test
  void aTokenWhoseSubjectIsNoUserIdIsRefused() {
    String token = forge.hs256(JwtForge.claims("not-a-uuid", "user", "parley", Instant.now().plusSeconds(300)));

    assertError(api.get(USERS_ME, token), 401, "unauthorized");
  }

  @Test
  void garbageAndMissingBearerAreRefused() {
    User user = newUser();
    for (String garbage : new String[] {"garbage", "a.b.c", "..", "e30.e30.", "Bearer", user.accessToken() + "x",
        user.refreshToken()}) {
      assertError(api.get(USERS_ME, garbage), 401, "unauthorized");
    }
    for (String header : new String[] {user.accessToken(), "Basic " + user.accessToken(), "Bearer", "Bearer ",
        "Token " + user.accessToken()}) {
      assertError(api.send("GET", USERS_ME, null, null, Map.of("Authorization", header)), 401, "unauthorized");
    }
    assertError(api.get(USERS_ME, null), 401, "unauthorized");
    // The scheme is case-insensitive (RFC 9110 section 11.1): the same token with "bearer " works.
    assertThat(api.send("GET", USERS_ME, null, null, Map.of("Authorization", "bearer " + user.accessToken())).status())
        .isEqualTo(200);
  }

  @Test
  void adminRoutesNeedTheAdminRole() {
    User user = newUser();
    User admin = login(ADMIN_EMAIL);

    assertError(api.get("/api/v1/admin/users/" + user.id(), user.accessToken()), 403, "forbidden");
    assertError(api.get("/api/v1/admin/audit-log", user.accessToken()), 403, "forbidden");
    assertError(api.get("/api/v1/admin/audit-log?user_id=" + user.id(), user.accessToken()), 403, "forbidden");
    assertError(api.get("/api/v1/admin/users/" + user.id(), null), 401, "unauthorized");

    Api.Res got = api.get("/api/v1/admin/users/" + user.id(), admin.accessToken());
    assertThat(got.status()).as(got.body()).isEqualTo(200);
    assertThat(got.json().getString("id")).isEqualTo(user.id());
    assertThat(got.json().getString("email")).isEqualTo(user.email());
    assertThat(got.json().getString("role")).isEqualTo("user");
    assertThat(got.json().containsKey("password_hash")).isFalse();
    Api.Res log = api.get("/api/v1/admin/audit-log?user_id=" + user.id(), admin.accessToken());
    assertThat(log.status()).isEqualTo(200);
    assertThat(log.json().getJsonArray("items")).isNotEmpty();
    assertError(api.get("/api/v1/admin/users/" + UUID.randomUUID(), admin.accessToken()), 404, "not_found");
  }

  @Test
  void theRoleComesFromTheSignedTokenNotFromTheRequest() {
    User user = newUser();
    User admin = login(ADMIN_EMAIL);
    // Signed with the real key, a token of an admin account claiming admin is honoured: the
    // signature is what protects the role claim, which is why the tampered token above must fail.
    String signedAdmin = forge.hs256(JwtForge.claims(admin.id(), "admin", "parley", Instant.now().plusSeconds(300)));
    assertThat(api.get("/api/v1/admin/audit-log", signedAdmin).status()).isEqualTo(200);
    assertError(api.get("/api/v1/admin/audit-log", user.accessToken()), 403, "forbidden");
    // The admin routes also ask the database: even a correctly signed admin claim for an account
    // that is no admin (a leaked key, a role revoked since the token was issued) opens nothing.
    String claimOfAUser = forge.hs256(JwtForge.claims(user.id(), "admin", "parley", Instant.now().plusSeconds(300)));
    assertError(api.get("/api/v1/admin/audit-log", claimOfAUser), 403, "forbidden");
  }

  @Test
  void aUserWhoIsNoExpertHasNoExpertListing() {
    User viewer = newUser();
    User plain = newUser();
    User expert = newUser();

    assertError(api.get("/api/v1/experts/" + plain.id(), viewer.accessToken()), 404, "not_found");
    assertError(api.get("/api/v1/experts/" + UUID.randomUUID(), viewer.accessToken()), 404, "not_found");

    Api.Res listed = api.put("/api/v1/experts/me", expert.accessToken(), new JsonObject()
        .put("display_name", "Dr. Expert").put("specialization", "nutrition"));
    assertThat(listed.status()).as(listed.body()).isEqualTo(200);
    Api.Res seen = api.get("/api/v1/experts/" + expert.id(), viewer.accessToken());
    assertThat(seen.status()).isEqualTo(200);
    assertThat(seen.json().getString("display_name")).isEqualTo("Dr. Expert");
  }

  @Test
  void anExportHoldsNothingOfAnotherUser() {
    User a = newUser("Alice Anderson-" + UUID.randomUUID());
    User b = newUser("Bob Brown-" + UUID.randomUUID());
    JsonObject profileOfB = new JsonObject().put("city", "Bcity-" + UUID.randomUUID()).put("goals",
        new io.vertx.core.json.JsonArray().add("goal-of-b-" + UUID.randomUUID()));
    assertThat(api.put("/api/v1/users/me/profile", b.accessToken(), profileOfB).status()).isEqualTo(200);
    assertThat(api.put("/api/v1/experts/me", b.accessToken(), new JsonObject()
        .put("display_name", "Expert " + b.name()).put("specialization", "sleep")).status()).isEqualTo(200);
    // B's sessions and audit entries exist too.
    assertThat(api.post("/api/v1/auth/refresh", null, new JsonObject().put("refresh_token", b.refreshToken())).status())
        .isEqualTo(200);

    Api.Res export = api.get("/api/v1/users/me/export", a.accessToken());

    assertThat(export.status()).isEqualTo(200);
    JsonObject doc = export.json();
    assertThat(doc.getJsonObject("user").getString("email")).isEqualTo(a.email());
    assertThat(doc.getJsonArray("audit_log")).isNotEmpty();
    assertThat(doc.getJsonArray("sessions")).hasSize(1);
    assertThat(export.body())
        .contains(a.email(), a.name(), a.id())
        .doesNotContain(b.email(), b.name(), b.id(), profileOfB.getString("city"),
            profileOfB.getJsonArray("goals").getString(0))
        .doesNotContain("password_hash", "token_hash", "$argon2id$");
    // B's own export does hold B's data: the absence above is not an empty export.
    Api.Res exportOfB = api.get("/api/v1/users/me/export", b.accessToken());
    assertThat(exportOfB.body()).contains(b.email(), b.name(), profileOfB.getString("city")).doesNotContain(a.email());
  }

  @Test
  void theTokenOfADeletedUserOpensNothing() {
    User user = newUser();
    assertThat(api.get(USERS_ME, user.accessToken()).status()).isEqualTo(200);

    assertThat(api.delete(USERS_ME, user.accessToken()).status()).isEqualTo(204);

    // The access token is still within its lifetime and correctly signed, but its user is gone.
    assertError(api.get(USERS_ME, user.accessToken()), 401, "unauthorized");
    assertError(api.get("/api/v1/auth/me", user.accessToken()), 401, "unauthorized");
    assertError(api.get("/api/v1/users/me/export", user.accessToken()), 401, "unauthorized");
    assertError(api.put(USERS_ME, user.accessToken(), new JsonObject().put("name", "Ghost")), 401, "unauthorized");
    assertError(api.put("/api/v1/users/me/profile", user.accessToken(), new JsonObject().put("city", "Nowhere")), 401,
        "unauthorized");
    assertError(api.put("/api/v1/experts/me", user.accessToken(), new JsonObject()
        .put("display_name", "Ghost").put("specialization", "haunting")), 401, "unauthorized");
    assertError(api.delete(USERS_ME, user.accessToken()), 401, "unauthorized");
    assertError(api.post("/api/v1/auth/refresh", null, new JsonObject().put("refresh_token", user.refreshToken())), 401,
        "unauthorized");
    assertError(api.post("/api/v1/auth/login", null, new JsonObject().put("email", user.email())
        .put("password", user.password())), 401, "unauthorized");
  }

  private record User(String id, String email, String name, String password, String accessToken,
                      String refreshToken) {}

  private static User newUser() {
    return newUser("Test User");
  }

  private static User newUser(String name) {
    String email = "sec-" + UUID.randomUUID() + "@example.test";
    String password = "pw-" + UUID.randomUUID();
    JsonObject tokens = api.signup(email, password, name);
    Api.Res me = api.get(USERS_ME, tokens.getString("access_token"));
    assertThat(me.status()).isEqualTo(200);
    return new User(me.json().getString("id"), email, name, password, tokens.getString("access_token"),
        tokens.getString("refresh_token"));
  }

  /** Signs the admin up and has the operator grant the role on first use, then logs in. */
  private static synchronized User login(String email) {
    String password = "admin-password";
    Api.Res res = api.post("/api/v1/auth/signup", null,
        new JsonObject().put("email", email).put("password", password).put("name", "Admin"));
    if (res.status() == 201) {
      node.grantAdmin(email);
    }
    res = api.post("/api/v1/auth/login", null, new JsonObject().put("email", email).put("password", password));
    assertThat(res.status()).as(res.body()).isIn(200, 201);
    String token = res.json().getString("access_token");
    Api.Res me = api.get(USERS_ME, token);
    assertThat(me.json().getString("role")).isEqualTo("admin");
    return new User(me.json().getString("id"), email, "Admin", password, token, res.json().getString("refresh_token"));
  }
}
