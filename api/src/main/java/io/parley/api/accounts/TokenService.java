package io.parley.api.accounts;

import io.parley.core.Ids;
import io.parley.core.config.ParleyConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Access tokens are HS256 JWTs (short-lived, stateless); refresh tokens are opaque random strings
 * of which only the SHA-256 is stored, so a database leak yields no usable token.
 *
 * <p>Signing keys rotate without logging anyone out: every token names its key in the {@code kid}
 * header ({@link #keyId}, derived from the key itself, so every node given the same keys agrees
 * without more settings). New tokens are signed with the current key ({@code PARLEY_JWT_SECRET});
 * tokens are verified with it and with every previous key still listed in
 * {@code PARLEY_JWT_OLD_SECRETS}. A token naming a key that is not (or no longer) listed is refused.
 * Tokens without a {@code kid} (issued before keys had ids) are tried against the listed keys.
 */
public final class TokenService {

  private final JWTAuth jwt;
  private final JWTAuth signer;
  private final ParleyConfig.Auth config;
  private final Ids ids;

  /**
   * Tokens signed with {@code secret} and verified with it and {@code config}'s old secrets (an old
   * secret equal to the current one is ignored).
   */
  public TokenService(Vertx vertx, ParleyConfig.Auth config, String secret, Ids ids) {
    this.config = config;
    this.ids = ids;
    // Two providers: Vert.x signs with any one of the keys it holds for an algorithm, so the signer
    // holds the current key alone (its id goes in the kid header); the verifier holds them all.
    this.signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key(secret)));
    JWTAuthOptions options = new JWTAuthOptions().addPubSecKey(key(secret))
        .setJWTOptions(new JWTOptions().setIssuer(config.issuer()).setLeeway(5));
    config.oldJwtSecrets().stream().filter(old -> !old.equals(secret)).distinct()
        .forEach(old -> options.addPubSecKey(key(old)));
    this.jwt = JWTAuth.create(vertx, options);
  }

  private static PubSecKeyOptions key(String secret) {
    return new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret).setId(keyId(secret));
  }

  /**
   * The {@code kid} of an HMAC key: the first 72 bits of SHA-256 over a label and the key, in
   * base64url (12 characters). It names the key without revealing it.
   */
  public static String keyId(String secret) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("parley-jwt-kid:".getBytes(StandardCharsets.UTF_8));
      byte[] digest = sha.digest(secret.getBytes(StandardCharsets.UTF_8));
      return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 9));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Verifies access tokens (with the current and the old keys); what requests and sockets check. */
  public JWTAuth jwt() {
    return jwt;
  }

  public String accessToken(UUID userId, String role) {
    return signer.generateToken(new JsonObject().put("sub", userId.toString()).put("role", role)
            .put("jti", ids.requestId()),
        new JWTOptions().setAlgorithm("HS256").setIssuer(config.issuer())
            .setExpiresInSeconds((int) config.accessTokenTtl().toSeconds()));
  }

  public String newRefreshToken() {
    return ids.secret();
  }

  public static byte[] hash(String refreshToken) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(refreshToken.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  public long accessTokenSeconds() {
    return config.accessTokenTtl().toSeconds();
  }
}
