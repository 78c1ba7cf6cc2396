package io.parley.api.calls.signal;

import io.parley.api.accounts.DeletedAccounts;
import io.parley.api.calls.signal.protocol.ClientMessage;
import io.parley.api.calls.signal.protocol.ServerMessage;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.time.Duration;
import java.util.UUID;

/**
 * Who is on a signalling connection. A token in the query string is refused at the upgrade (400:
 * URLs end up in logs); a bearer header is verified before it (401 when invalid). Without one, the
 * client has the auth timeout to send {@code {"type":"auth","token":...}} (else 4002); a token that
 * fails then closes the connection (4001). A verified token makes the connection ready, unless its
 * subject is not a user (4001) or the account was deleted (4003): the connection knows its user
 * and role, and the client gets {@code ready}.
 */
final class SignalAuth {

  /** An accepted upgrade: the socket, with the subject and role of its bearer token (both null without one). */
  interface Accepted {
    void open(ServerWebSocket ws, String subject, String role);
  }

  private final Vertx vertx;
  private final JWTAuth jwt;
  private final DeletedAccounts deleted;
  private final Duration timeout;

  SignalAuth(Vertx vertx, JWTAuth jwt, DeletedAccounts deleted, Duration timeout) {
    this.vertx = vertx;
    this.jwt = jwt;
    this.deleted = deleted;
    this.timeout = timeout;
  }

  /** Accepts or rejects an upgrade; a node that is {@code closing} refuses it (503). */
  void handshake(ServerWebSocketHandshake h, boolean closing, Accepted accepted) {
    String query = h.query();
    if (query != null && (query.contains("token") || query.contains("access_token") || query.contains("jwt"))) {
      h.reject(400);
      return;
    }
    if (closing) {
      h.reject(503);
      return;
    }
    String header = h.headers().get("Authorization");
    if (header == null) {
      h.accept().onSuccess(ws -> accepted.open(ws, null, null));
      return;
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      h.reject(401);
      return;
    }
    jwt.authenticate(new TokenCredentials(header.substring(7).trim())).onComplete(ar -> {
      if (ar.failed()) {
        h.reject(401);
        return;
      }
      JsonObject p = ar.result().principal();
      h.accept().onSuccess(ws -> accepted.open(ws, p.getString("sub"), p.getString("role")));
    });
  }

  /**
   * A connection just set up, with the bearer token's subject and role: ready at once, or, without
   * a subject, given the timeout to authenticate. On the connection's context.
   */
  void started(SignalConnection c, String subject, String role) {
    if (subject != null) {
      ready(c, subject, role);
      return;
    }
    c.authTimer = vertx.setTimer(timeout.toMillis(), id -> {
      if (!c.authenticated()) {
        c.close(CloseCodes.AUTH_TIMEOUT, "no authentication");
      }
    });
  }

  /** The {@code auth} message of a connection without a bearer header. */
  void authenticate(SignalConnection c, ClientMessage.Auth a) {
    jwt.authenticate(new TokenCredentials(a.token())).onComplete(ar -> c.run(() -> {
      if (ar.failed()) {
        c.close(CloseCodes.AUTH_FAILED, "token invalid or expired");
        return;
      }
      JsonObject p = ar.result().principal();
      ready(c, p.getString("sub"), p.getString("role"));
    }));
  }

  /** The connection ended: a pending auth timeout is dropped. On the connection's context. */
  void ended(SignalConnection c) {
    if (c.authTimer >= 0) {
      vertx.cancelTimer(c.authTimer);
    }
  }

  private void ready(SignalConnection c, String subject, String role) {
    try {
      c.userId = UUID.fromString(subject);
    } catch (RuntimeException e) {
      c.close(CloseCodes.AUTH_FAILED, "token subject is not a user");
      return;
    }
    if (deleted.isDeleted(c.userId)) {
      c.close(CloseCodes.ACCOUNT_DELETED, "account deleted");
      return;
    }
    c.userRole = role;
    if (c.authTimer >= 0) {
      vertx.cancelTimer(c.authTimer);
    }
    c.send(new ServerMessage.Ready(subject, role));
  }
}
