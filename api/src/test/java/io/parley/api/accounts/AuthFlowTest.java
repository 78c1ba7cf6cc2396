package io.parley.api.accounts;

import static io.parley.api.support.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.JwtForge;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sign-up, login, refresh-token rotation with reuse detection (RFC 9700 section 4.14.2), logout
 * and the audit trail, over HTTP against a real node.
 */
class AuthFlowTest {

  private static final String SIGNUP = "/api/v1/auth/signup";
  private static final String LOGIN = "/api/v1/auth/login";
  private static final String REFRESH = "/api/v1/auth/refresh";
  private static final String LOGOUT = "/api/v1/auth/logout";
  private static final String ME = "/api/v1/auth/me";

  private static Api api;

  @BeforeAll
  static void node() {
    api = TestNode.shared().api();
  }

  @Test
  void signupAnswersWithATokenPairInTheContractShape() {
    String email = uniqueEmail();
    Api.Res res = api.post(SIGNUP, null, signupBody(email, "s3cret-password", "Ada Lovelace"));

    assertThat(res.status()).as(res.body()).isEqualTo(201);
    JsonObject tokens = res.json();
    assertThat(tokens.fieldNames()).containsExactlyInAnyOrder("access_token", "refresh_token", "token_type", "expires_in");
    assertThat(tokens.getString("token_type")).isEqualTo("Bearer");
    assertThat(tokens.getValue("expires_in")).isEqualTo(900);
    assertThat(tokens.getString("access_token")).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    assertThat(tokens.getString("refresh_token")).isNotBlank().isNotEqualTo(tokens.getString("access_token"));
    JsonObject claims = JwtForge.payload(tokens.getString("access_token"));
    assertThat(claims.getLong("exp") - claims.getLong("iat")).isEqualTo(900);
    assertThat(claims.getString("role")).isEqualTo("user");

    Api.Res me = api.get(ME, tokens.getString("access_token"));
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().getString("email")).isEqualTo(email);
    assertThat(me.json().getString("name")).isEqualTo("Ada Lovelace");
    assertThat(me.json().getString("role")).isEqualTo("user");
    assertThat(UUID.fromString(me.json().getString("id"))).hasToString(claims.getString("sub"));
  }

  @Test
  void loginIssuesAFreshPairForTheSameUserWhateverTheCaseOfTheEmail() {
    String email = uniqueEmail();
    JsonObject signup = api.signup(email, "s3cret-password", "Grace");
    String userId = api.get(ME, signup.getString("access_token")).json().getString("id");

    JsonObject login = login(email.toUpperCase(Locale.ROOT), "s3cret-password");

    assertThat(login.getString("token_type")).isEqualTo("Bearer");
    assertThat(login.getInteger("expires_in")).isEqualTo(900);
    assertThat(login.getString("refresh_token")).isNotEqualTo(signup.getString("refresh_token"));
    assertThat(login.getString("access_token")).isNotEqualTo(signup.getString("access_token"));
    Api.Res me = api.get(ME, login.getString("access_token"));
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().getString("id")).isEqualTo(userId);
    assertThat(me.json().getString("email")).isEqualTo(email);
  }

  @Test
  void refreshRotatesAndReuseOfARotatedTokenRevokesItsWholeFamilyOnly() {
    String email = uniqueEmail();
    JsonObject first = api.signup(email, "s3cret-password", "Rotating");
    // A second session of the same user (another device): a family of its own.
    JsonObject other = login(email, "s3cret-password");

    JsonObject second = refresh(first.getString("refresh_token"));
    assertThat(second.getString("token_type")).isEqualTo("Bearer");
    assertThat(second.getInteger("expires_in")).isEqualTo(900);
    assertThat(second.getString("refresh_token")).isNotEqualTo(first.getString("refresh_token"));
    assertThat(second.getString("access_token")).isNotEqualTo(first.getString("access_token"));
    assertThat(api.get(ME, second.getString("access_token")).status()).isEqualTo(200);
    // Access tokens are stateless: the old one stays valid until it expires.
    assertThat(api.get(ME, first.getString("access_token")).status()).isEqualTo(200);

    JsonObject third = refresh(second.getString("refresh_token"));
    assertThat(third.getString("refresh_token")).isNotIn(first.getString("refresh_token"), second.getString("refresh_token"));

    // Replaying an already rotated token: refused, and the family ends.
    JsonObject reuse = assertError(refreshRes(second.getString("refresh_token")), 401, "unauthorized");
    assertThat(reuse.getString("message")).contains("reuse");
    assertError(refreshRes(third.getString("refresh_token")), 401, "unauthorized");
    assertError(refreshRes(first.getString("refresh_token")), 401, "unauthorized");

    // The other session is untouched and keeps rotating.
    JsonObject otherNext = refresh(other.getString("refresh_token"));
    assertThat(api.get(ME, otherNext.getString("access_token")).status()).isEqualTo(200);
    assertThat(refreshRes(otherNext.getString("refresh_token")).status()).isEqualTo(200);
  }

  @Test
  void logoutRevokesTheFamilyAndIsIdempotent() {
    String email = uniqueEmail();
    JsonObject session = api.signup(email, "s3cret-password", "Leaving");
    JsonObject otherSession = login(email, "s3cret-password");
    JsonObject rotated = refresh(session.getString("refresh_token"));

    Api.Res out = logout(rotated.getString("refresh_token"));
    assertThat(out.status()).isEqualTo(204);
    assertThat(out.body()).isEmpty();

    assertError(refreshRes(rotated.getString("refresh_token")), 401, "unauthorized");
    assertError(refreshRes(session.getString("refresh_token")), 401, "unauthorized");
    assertThat(logout(rotated.getString("refresh_token")).status()).isEqualTo(204);
    assertThat(logout(session.getString("refresh_token")).status()).isEqualTo(204);
    assertThat(logout("never-issued-" + UUID.randomUUID()).status()).isEqualTo(204);
    assertError(refreshRes(rotated.getString("refresh_token")), 401, "unauthorized");

    // Logging out one session leaves the user's other sessions alone.
    assertThat(refreshRes(otherSession.getString("refresh_token")).status()).isEqualTo(200);
  }

  @Test
  void unknownRefreshTokenIsUnauthorized() {
    assertError(refreshRes("never-issued-" + UUID.randomUUID()), 401, "unauthorized");
  }

  @Test
  void duplicateEmailIsAConflictWhateverItsCase() {
    String email = uniqueEmail();
    api.signup(email, "s3cret-password", "Original");

    assertError(api.post(SIGNUP, null, signupBody(email, "other-password", "Copy")), 409, "conflict");
    assertError(api.post(SIGNUP, null, signupBody(email.toUpperCase(Locale.ROOT), "other-password", "Copy")), 409,
        "conflict");
    // The first account is unchanged: its password still works, the duplicate's does not.
    assertThat(api.post(LOGIN, null, loginBody(email, "s3cret-password")).status()).isEqualTo(200);
    assertThat(api.post(LOGIN, null, loginBody(email, "other-password")).status()).isEqualTo(401);
  }

  @Test
  void wrongPasswordAndUnknownEmailFailAlike() {
    String email = uniqueEmail();
    api.signup(email, "s3cret-password", "Careful");

    JsonObject wrongPassword = assertError(api.post(LOGIN, null, loginBody(email, "not-the-password")), 401,
        "unauthorized");
    JsonObject unknownEmail = assertError(api.post(LOGIN, null, loginBody(uniqueEmail(), "not-the-password")), 401,
        "unauthorized");

    assertThat(unknownEmail.getString("code")).isEqualTo(wrongPassword.getString("code"));
    assertThat(unknownEmail.getString("message")).isEqualTo(wrongPassword.getString("message"));
    assertThat(unknownEmail.getValue("details")).isEqualTo(wrongPassword.getValue("details"));
    // The right password still works after a failure.
    assertThat(api.post(LOGIN, null, loginBody(email, "s3cret-password")).status()).isEqualTo(200);
  }

  @Test
  void auditLogRecordsSignupAndRefreshReuse() {
    String adminEmail = "admin-" + UUID.randomUUID() + "@example.test";
    try (TestNode node = TestNode.start(Map.of())) {
      Api own = node.api();
      own.signup(adminEmail, "admin-password", "Admin");
      node.grantAdmin(adminEmail);
      String adminToken = own.login(adminEmail, "admin-password").getString("access_token");
      assertThat(own.get(ME, adminToken).json().getString("role")).isEqualTo("admin");

      String email = uniqueEmail();
      JsonObject user = own.signup(email, "s3cret-password", "Audited");
      String userId = own.get(ME, user.getString("access_token")).json().getString("id");
      assertThat(own.post(LOGIN, null, loginBody(email, "wrong-password")).status()).isEqualTo(401);
      Api.Res rotated = own.post(REFRESH, null, refreshBody(user.getString("refresh_token")));
      assertThat(rotated.status()).isEqualTo(200);
      assertError(own.post(REFRESH, null, refreshBody(user.getString("refresh_token"))), 401, "unauthorized");

      Api.Res log = own.get("/api/v1/admin/audit-log?user_id=" + userId, adminToken);

      assertThat(log.status()).as(log.body()).isEqualTo(200);
      JsonArray items = log.json().getJsonArray("items");
      List<String> actions = items.stream().map(o -> ((JsonObject) o).getString("action")).toList();
      // Newest first.
      assertThat(actions).containsExactly("auth.refresh_reuse", "auth.login_failed", "auth.signup");
      for (Object o : items) {
        JsonObject entry = (JsonObject) o;
        assertThat(entry.getString("actor_id")).isEqualTo(userId);
        assertThat(entry.getString("subject_id")).isEqualTo(userId);
        assertThat(entry.getString("ip")).isEqualTo("127.0.0.1");
        assertThat(entry.getString("request_id")).isNotBlank();
        assertThat(entry.getString("at")).isNotBlank();
      }
      JsonObject reuse = items.getJsonObject(0);
      assertThat(UUID.fromString(reuse.getJsonObject("details").getString("family_id"))).isNotNull();

      // Without the filter the admin's own sign-up is there too.
      Api.Res all = own.get("/api/v1/admin/audit-log", adminToken);
      assertThat(all.status()).isEqualTo(200);
      assertThat(all.json().getJsonArray("items").stream().map(o -> (JsonObject) o)
          .filter(e -> "auth.signup".equals(e.getString("action"))).map(e -> e.getString("actor_id")))
          .contains(userId)
          .hasSize(2);
    }
  }

  private static String uniqueEmail() {
    return "flow-" + UUID.randomUUID() + "@Example.test";
  }

  private static JsonObject signupBody(String email, String password, String name) {
    return new JsonObject().put("email", email).put("password", password).put("name", name);
  }

  private static JsonObject loginBody(String email, String password) {
    return new JsonObject().put("email", email).put("password", password);
  }

  private static JsonObject refreshBody(String refreshToken) {
    return new JsonObject().put("refresh_token", refreshToken);
  }

  private static JsonObject login(String email, String password) {
    Api.Res res = api.post(LOGIN, null, loginBody(email, password));
    assertThat(res.status()).as("login: %s", res.body()).isEqualTo(200);
    return res.json();
  }

  private static Api.Res refreshRes(String refreshToken) {
    return api.post(REFRESH, null, refreshBody(refreshToken));
  }

  private static JsonObject refresh(String refreshToken) {
    Api.Res res = refreshRes(refreshToken);
    assertThat(res.status()).as("refresh: %s", res.body()).isEqualTo(200);
    return res.json();
  }

  private static Api.Res logout(String refreshToken) {
    return api.post(LOGOUT, null, refreshBody(refreshToken));
  }
}
