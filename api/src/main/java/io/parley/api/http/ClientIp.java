package io.parley.api.http;

import io.vertx.ext.web.RoutingContext;

/** The client's IP: the socket peer, or the first X-Forwarded-For hop behind a trusted proxy. */
public record ClientIp(boolean trustProxy) {

  public String of(RoutingContext ctx) {
    if (trustProxy) {
      String xff = ctx.request().getHeader("X-Forwarded-For");
      if (xff != null && !xff.isBlank()) {
        int comma = xff.indexOf(',');
        return (comma < 0 ? xff : xff.substring(0, comma)).trim();
      }
    }
    var addr = ctx.request().remoteAddress();
    return addr == null ? "unknown" : addr.hostAddress();
  }
}
