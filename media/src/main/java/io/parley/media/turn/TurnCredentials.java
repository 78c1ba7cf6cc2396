package io.parley.media.turn;

import io.parley.media.turn.codec.MessageIntegrity;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Long-term credentials (RFC 8489 §9.2) from two sources: static users, and the TURN REST scheme
 * that coturn implements as {@code use-auth-secret}: the username is {@code expiry:userId[:tag]}
 * (expiry in Unix seconds) and the password is {@code base64(HMAC-SHA1(secret, username))}, so any
 * service holding the secret can mint credentials and the TURN server needs no database. Several
 * secrets verify at once so that the secret can rotate without cutting live clients.
 */
public final class TurnCredentials {

  /** Who an accepted username belongs to, and the key that signs its messages. */
  public record Identity(String username, String userId, String tag, Instant expiresAt, byte[] key) {}

  /** Why a username was refused. */
  public enum Refusal { UNKNOWN, EXPIRED, MALFORMED }

  /** Either an identity or a refusal. */
  public record Result(Identity identity, Refusal refusal) {
    static Result ok(Identity i) {
      return new Result(i, null);
    }

    static Result no(Refusal r) {
      return new Result(null, r);
    }
  }

  /** Longest username accepted (RFC 8489 §14.3: < 509 bytes). */
  static final int MAX_USERNAME_BYTES = 508;

  private final String realm;
  private final List<String> secrets;
  private final Map<String, String> staticUsers;
  private final Clock clock;

  public TurnCredentials(String realm, List<String> secrets, Map<String, String> staticUsers, Clock clock) {
    this.realm = realm;
    this.secrets = List.copyOf(secrets);
    this.staticUsers = Map.copyOf(staticUsers);
    this.clock = clock;
  }

  public String realm() {
    return realm;
  }

  /**
   * Mints REST credentials for {@code userId} valid until {@code expiry}, tagged (e.g. with a call
   * id) so that they can be revoked together. Signed with the current (first) secret.
   */
  public static String[] mint(String secret, Instant expiry, String userId, String tag) {
    String username = expiry.getEpochSecond() + ":" + userId + (tag == null ? "" : ":" + tag);
    return new String[] {username, restPassword(secret, username)};
  }

  /** base64(HMAC-SHA1(secret, username)), as coturn computes it. */
  public static String restPassword(String secret, String username) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is part of every JDK", e);
    }
  }

  /**
   * The candidate keys for {@code username}: one per secret for REST usernames (the message
   * integrity tells which one signed it), or the static user's key.
   */
  public Result lookup(String username, List<byte[]> keysOut) {
    if (username.getBytes(StandardCharsets.UTF_8).length > MAX_USERNAME_BYTES) {
      return Result.no(Refusal.MALFORMED);
    }
    String staticPassword = staticUsers.get(username);
    if (staticPassword != null) {
      byte[] key = MessageIntegrity.longTermKey(username, realm, staticPassword);
      keysOut.add(key);
      return Result.ok(new Identity(username, username, null, Instant.MAX, key));
    }
    String[] parts = username.split(":", 3);
    if (parts.length < 2 || secrets.isEmpty()) {
      return Result.no(Refusal.UNKNOWN);
    }
    long expiry;
    try {
      expiry = Long.parseLong(parts[0]);
    } catch (NumberFormatException e) {
      return Result.no(Refusal.MALFORMED);
    }
    if (parts[1].isEmpty()) {
      return Result.no(Refusal.MALFORMED);
    }
    if (expiry < Instant.MIN.getEpochSecond() || expiry > Instant.MAX.getEpochSecond()) {
      return Result.no(Refusal.MALFORMED); // Instant.ofEpochSecond would throw
    }
    Instant expiresAt = Instant.ofEpochSecond(expiry);
    if (!expiresAt.isAfter(clock.instant())) {
      return Result.no(Refusal.EXPIRED);
    }
    for (String secret : secrets) {
      keysOut.add(MessageIntegrity.longTermKey(username, realm, restPassword(secret, username)));
    }
    String tag = parts.length == 3 && !parts[2].isEmpty() ? parts[2] : null;
    return Result.ok(new Identity(username, parts[1], tag, expiresAt, null));
  }
}
