package io.parley.api.support;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hand-made JWTs (RFC 7519) for token tests, signed with the JDK's HMAC rather than the server's
 * JWT library, so that what the server accepts or refuses is checked against an independent encoder.
 */
public final class JwtForge {

  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64URL_DECODE = Base64.getUrlDecoder();

  private final byte[] key;

  public JwtForge(byte[] key) {
    this.key = key.clone();
  }

  /** The HS256 key of a node that generated its secret into {@code <home>/jwt.secret}. */
  public static JwtForge ofNode(TestNode node) {
    Path file = node.home().resolve("jwt.secret");
    try {
      return new JwtForge(Files.readString(file, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the node's JWT secret " + file, e);
    }
  }

  /** Claims as the server issues them: subject, role, issuer, issued now, expiring at {@code exp}. */
  public static JsonObject claims(String sub, String role, String issuer, Instant exp) {
    return new JsonObject().put("sub", sub).put("role", role).put("iss", issuer)
        .put("iat", Instant.now().getEpochSecond()).put("exp", exp.getEpochSecond()).put("jti", "forged");
  }

  /** A token with an HS256 header and a valid signature under this key. */
  public String hs256(JsonObject claims) {
    return sign(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims);
  }

  /** header.payload.signature with HMAC-SHA256 over the first two parts, whatever the header says. */
  public String sign(JsonObject header, JsonObject claims) {
    String signingInput = encode(header) + "." + encode(claims);
    return signingInput + "." + B64URL.encodeToString(hmac(signingInput));
  }

  public static String encode(JsonObject part) {
    return B64URL.encodeToString(part.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** The decoded payload (claims) of a compact JWT. */
  public static JsonObject payload(String jwt) {
    return new JsonObject(new String(B64URL_DECODE.decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  private byte[] hmac(String signingInput) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
