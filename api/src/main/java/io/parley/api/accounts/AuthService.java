package io.parley.api.accounts;

import io.parley.api.accounts.AuditLog;
import io.parley.api.infra.Counters;
import io.parley.api.accounts.RefreshTokenStore;
import io.parley.api.accounts.RefreshTokenStore.Outcome;
import io.parley.api.accounts.UserStore;
import io.parley.core.Ids;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ParleyConfig;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;

/**
 * Sign-up, login, refresh-token rotation and logout. Password hashing runs on the auth worker
 * executor; everything else is non-blocking. Login failures are counted per account and per IP
 * (in Redis, see {@link Counters}); past the limit the account or IP is refused with 429 before
 * any hashing, so throttled guessing costs the server nothing.
 */
public final class AuthService {

  /** Who is asking: for throttling, audit and the session list. */
  public record Client(String ip, String userAgent, String requestId) {}

  private final ParleyConfig.Auth config;
  private final UserStore users;
  private final RefreshTokenStore refreshTokens;
  private final AuditLog audit;
  private final Counters counters;
  private final TokenService tokens;
  private final PasswordHasher hasher;
  private final WorkerExecutor workers;
  private final Ids ids;
  private final Clock clock;
  /** Verified against when the e-mail is unknown, so both cases take the same time. */
  private final String decoyHash;

  public AuthService(ParleyConfig.Auth config, UserStore users, RefreshTokenStore refreshTokens, AuditLog audit,
                     Counters counters, TokenService tokens, PasswordHasher hasher, WorkerExecutor workers, Ids ids,
                     Clock clock) {
    this.config = config;
    this.users = users;
    this.refreshTokens = refreshTokens;
    this.audit = audit;
    this.counters = counters;
    this.tokens = tokens;
    this.hasher = hasher;
    this.workers = workers;
    this.ids = ids;
    this.clock = clock;
    this.decoyHash = hasher.hash(ids.secret());
  }

  public Future<JsonObject> signup(String email, String password, String name, Client client) {
    UUID id = ids.uuid7();
    return workers.<String>executeBlocking(() -> hasher.hash(password), false)
        .compose(hash -> users.create(id, email, hash, name.trim()))
        .compose(user -> audit.record(user.id(), "auth.signup", user.id(), client.ip(), client.requestId(), null)
            .compose(v -> issue(user.id(), user.role(), UUID.randomUUID(), client)));
  }

  public Future<JsonObject> login(String email, String password, Client client) {
    String accountKey = "lf:a:" + digest(throttleKey(email));
    String ipKey = "lf:ip:" + client.ip();
    return Future.all(counters.get(accountKey), counters.get(ipKey)).compose(counts -> {
      Counters.Count account = counts.resultAt(0);
      Counters.Count ip = counts.resultAt(1);
      if (account.value() >= config.maxFailuresPerAccount()) {
        return Future.failedFuture(ParleyException.limited("too many failed logins for this account; try again later",
            java.time.Duration.ofMillis(account.resetMillis())));
      }
      if (ip.value() >= config.maxFailuresPerIp()) {
        return Future.failedFuture(ParleyException.limited("too many failed logins from this address; try again later",
            java.time.Duration.ofMillis(ip.resetMillis())));
      }
      return users.byEmail(email).compose(found -> {
        String stored = found.map(UserStore.User::passwordHash).orElse(decoyHash);
        return workers.<Boolean>executeBlocking(() -> hasher.verify(password, stored) && found.isPresent(), false)
            .compose(ok -> {
              if (!ok) {
                return Future.all(counters.increment(accountKey, config.loginWindow()),
                        counters.increment(ipKey, config.loginWindow()))
                    .compose(v -> found.isPresent()
                        ? audit.record(found.get().id(), "auth.login_failed", found.get().id(), client.ip(),
                            client.requestId(), null)
                        : Future.succeededFuture())
                    .compose(v -> Future.failedFuture(
                        new ParleyException(Reason.UNAUTHENTICATED, "invalid e-mail or password")));
              }
              UserStore.User user = found.get();
              Future<Void> rehash = hasher.needsRehash(user.passwordHash())
                  ? workers.<String>executeBlocking(() -> hasher.hash(password), false)
                      .compose(h -> users.updatePasswordHash(user.id(), h))
                  : Future.succeededFuture();
              return counters.reset(accountKey)
                  .compose(v -> rehash)
                  .compose(v -> audit.record(user.id(), "auth.login", user.id(), client.ip(), client.requestId(), null))
                  .compose(v -> issue(user.id(), user.role(), UUID.randomUUID(), client));
            });
      });
    });
  }

  /**
   * Rotates a refresh token. Presenting a token that was already rotated revokes its whole family
   * (RFC 9700 section 4.14.2): one of the two holders is not the rightful one.
   */
  public Future<JsonObject> refresh(String refreshToken, Client client) {
    String next = tokens.newRefreshToken();
    UUID nextId = ids.uuid7();
    OffsetDateTime now = OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC);
    return refreshTokens.rotate(TokenService.hash(refreshToken), nextId, TokenService.hash(next),
            now.plus(config.refreshTokenTtl()), now, client.userAgent(), client.ip())
        .compose(rotation -> {
          if (rotation.outcome() == Outcome.REUSED) {
            var t = rotation.token().orElseThrow();
            return audit.record(t.userId(), "auth.refresh_reuse", t.userId(), client.ip(), client.requestId(),
                    new JsonObject().put("family_id", t.familyId().toString()))
                .compose(v -> Future.failedFuture(new ParleyException(Reason.UNAUTHENTICATED,
                    "refresh token reuse detected: every session of this login was revoked")));
          }
          if (rotation.outcome() != Outcome.ROTATED) {
            return Future.failedFuture(new ParleyException(Reason.UNAUTHENTICATED,
                "refresh token is " + rotation.outcome().name().toLowerCase(Locale.ROOT)));
          }
          UUID userId = rotation.token().orElseThrow().userId();
          return users.byId(userId).compose(user -> user.isEmpty()
              ? Future.failedFuture(new ParleyException(Reason.UNAUTHENTICATED, "user no longer exists"))
              : Future.succeededFuture(tokenResponse(tokens.accessToken(userId, user.get().role()), next)));
        });
  }

  /** Revokes the token's family; succeeds whether or not the token was known (idempotent). */
  public Future<Void> logout(String refreshToken) {
    return refreshTokens.revokeFamilyOf(TokenService.hash(refreshToken)).mapEmpty();
  }

  /** Failed logins of every spelling of one address count against one account. */
  private static String throttleKey(String email) {
    try {
      return EmailAddress.key(email);
    } catch (ParleyException e) {
      return String.valueOf(email).strip().toLowerCase(Locale.ROOT);
    }
  }

  private Future<JsonObject> issue(UUID userId, String role, UUID family, Client client) {
    String refresh = tokens.newRefreshToken();
    OffsetDateTime expires = OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC).plus(config.refreshTokenTtl());
    return refreshTokens.insert(ids.uuid7(), userId, family, TokenService.hash(refresh), expires, client.userAgent(),
            client.ip())
        .map(v -> tokenResponse(tokens.accessToken(userId, role), refresh));
  }

  private JsonObject tokenResponse(String access, String refresh) {
    return new JsonObject().put("access_token", access).put("refresh_token", refresh).put("token_type", "Bearer")
        .put("expires_in", tokens.accessTokenSeconds());
  }

  private static String digest(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
