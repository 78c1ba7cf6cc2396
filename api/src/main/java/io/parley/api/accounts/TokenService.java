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
 */
public final class TokenService {

  private final JWTAuth jwt;
  private final ParleyConfig.Auth config;
  private final Ids ids;

  public TokenService(Vertx vertx, ParleyConfig.Auth config, String secret, Ids ids) {
    this.config = config;
    this.ids = ids;
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
            .setBuffer(secret))
        .setJWTOptions(new JWTOptions().setIssuer(config.issuer()).setLeeway(5)));
  }

  public JWTAuth jwt() {
    return jwt;
  }

  public String accessToken(UUID userId, String role) {
    return jwt.generateToken(new JsonObject().put("sub", userId.toString()).put("role", role)
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
