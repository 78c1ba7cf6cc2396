package io.parley.api.http;

import io.vertx.ext.web.RoutingContext;

/**
 * The client's IP: the socket peer, or behind the trusted proxy ({@code PARLEY_TRUST_PROXY}) the
 * last X-Forwarded-For hop, the one that proxy appended from its own peer. Every hop before it
 * is whatever the client wrote in the header it sent, and must decide nothing: not the per-IP
 * rate limits, not login throttling, not what the audit log records.
 */
public record ClientIp(boolean trustProxy) {

  public String of(RoutingContext ctx) {
    return of(ctx.request().headers(), ctx.request().remoteAddress());
  }

  /** The client's address from a request's (or a WebSocket handshake's) headers and peer address. */
  public String of(io.vertx.core.MultiMap headers, io.vertx.core.net.SocketAddress remote) {
    if (trustProxy) {
      String xff = headers.getAll("X-Forwarded-For").stream().reduce((a, b) -> b).orElse(null);
      if (xff != null && !xff.isBlank()) {
        String last = xff.substring(xff.lastIndexOf(',') + 1).trim();
        if (!last.isEmpty()) {
          return last;
        }
      }
    }
    return remote == null ? "unknown" : remote.hostAddress();
  }
}
