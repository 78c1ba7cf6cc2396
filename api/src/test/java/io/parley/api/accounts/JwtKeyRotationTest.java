package io.parley.api.accounts;

import static io.parley.api.support.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Api;
import io.parley.api.support.JwtForge;
import io.parley.api.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rotating the access-token key, across three nodes of one cluster that stand for its three steps:
 * before (old key only), during (new key signs, old key still listed in PARLEY_JWT_OLD_SECRETS) and
 * after (old key retired). A token keeps working from one step to the next until its key is retired;
 * refresh tokens (stored, not signed) work throughout; a token naming a key nobody lists is refused.
 */
class JwtKeyRotationTest {

  private static final String OLD_KEY = "rotation-test-old-key-0123456789abcdef";
  private static final String NEW_KEY = "rotation-test-new-key-0123456789abcdef";
  private static final String ME = "/api/v1/users/me";

  private static TestNode before;
  private static TestNode during;
  private static TestNode after;

  @BeforeAll
  static void start() {
    before = TestNode.start(Map.of("PARLEY_JWT_SECRET", OLD_KEY));
    during = TestNode.start(before.sameCluster(Map.of("PARLEY_JWT_SECRET", NEW_KEY, "PARLEY_JWT_OLD_SECRETS", OLD_KEY)));
    after = TestNode.start(before.sameCluster(Map.of("PARLEY_JWT_SECRET", NEW_KEY)));
  }

  @AfterAll
  static void stop() {
    for (TestNode n : new TestNode[] {after, during, before}) {
      if (n != null) {
        n.close();
      }
    }
  }

  @Test
  void tokensNameTheKeyThatSignedThem() {
    JsonObject old = before.api().newUser();
    JsonObject rotated = during.api().newUser();

    assertThat(header(old.getString("access_token")).getString("kid")).isEqualTo(TokenService.keyId(OLD_KEY));
    assertThat(header(rotated.getString("access_token")).getString("kid")).isEqualTo(TokenService.keyId(NEW_KEY));
    assertThat(TokenService.keyId(OLD_KEY)).isNotEqualTo(TokenService.keyId(NEW_KEY)).doesNotContain(OLD_KEY);
  }

  @Test
  void anOldTokenVerifiesUntilItsKeyIsRetired() {
    String token = before.api().newUser().getString("access_token");

    assertThat(during.api().get(ME, token).status()).isEqualTo(200);
    assertError(after.api().get(ME, token), 401, "unauthorized");
  }

  @Test
  void aTokenOfTheNewKeyVerifiesOnEveryNodeGivenIt() {
    String token = during.api().newUser().getString("access_token");

    assertThat(during.api().get(ME, token).status()).isEqualTo(200);
    assertThat(after.api().get(ME, token).status()).isEqualTo(200);
    // The node that was never given the new key refuses it.
    assertError(before.api().get(ME, token), 401, "unauthorized");
  }

  @Test
  void refreshTokensKeepWorkingAcrossTheRotation() {
    JsonObject user = before.api().newUser();

    Api.Res refreshed = after.api().post("/api/v1/auth/refresh", null,
        new JsonObject().put("refresh_token", user.getString("refresh_token")));

    assertThat(refreshed.status()).as(refreshed.body()).isEqualTo(200);
    String access = refreshed.json().getString("access_token");
    assertThat(header(access).getString("kid")).isEqualTo(TokenService.keyId(NEW_KEY));
    assertThat(after.api().get(ME, access).status()).isEqualTo(200);
  }

  @Test
  void aTokenNamingAnUnknownKeyIsRefused() {
    JsonObject user = during.api().newUser();
    JsonObject claims = JwtForge.payload(user.getString("access_token"));
    JwtForge forge = new JwtForge(NEW_KEY.getBytes(StandardCharsets.UTF_8));

    String unknown = forge.sign(new JsonObject().put("alg", "HS256").put("typ", "JWT").put("kid", "no-such-key"), claims);
    String named = forge.sign(new JsonObject().put("alg", "HS256").put("typ", "JWT")
        .put("kid", TokenService.keyId(NEW_KEY)), claims);

    assertError(during.api().get(ME, unknown), 401, "unauthorized");
    // The same claims, signed by the same key and naming it, pass: the kid alone made the difference.
    assertThat(during.api().get(ME, named).status()).isEqualTo(200);
    // A retired key's id on a token signed with it: refused.
    String retired = new JwtForge(OLD_KEY.getBytes(StandardCharsets.UTF_8)).sign(new JsonObject()
        .put("alg", "HS256").put("typ", "JWT").put("kid", TokenService.keyId(OLD_KEY)),
        JwtForge.claims(claims.getString("sub"), "user", "parley", Instant.now().plusSeconds(300)));
    assertThat(during.api().get(ME, retired).status()).isEqualTo(200);
    assertError(after.api().get(ME, retired), 401, "unauthorized");
  }

  private static JsonObject header(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8));
  }
}
