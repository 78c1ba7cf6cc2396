package io.parley.api.http;

import io.parley.core.Ids;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of every request: assigns the request id (echoed as {@code X-Request-Id}) and
 * writes one access-log line when the response ends. Only the path is logged, never the query
 * string or headers, so that no token or secret reaches the log.
 */
public final class RequestLog implements PlatformHandler {

  static final String REQUEST_ID = "parley.request_id";
  private static final Logger ACCESS = LoggerFactory.getLogger("parley.access");

  private final Ids ids;
  private final ClientIp clientIp;

  public RequestLog(Ids ids, ClientIp clientIp) {
    this.ids = ids;
    this.clientIp = clientIp;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String id = ids.requestId();
    ctx.put(REQUEST_ID, id);
    ctx.response().putHeader("X-Request-Id", id);
    long start = System.nanoTime();
    ctx.addEndHandler(done -> {
      if (!ACCESS.isInfoEnabled()) {
        return;
      }
      ACCESS.atInfo()
          .addKeyValue("request_id", id)
          .addKeyValue("method", ctx.request().method().name())
          .addKeyValue("path", ctx.request().path())
          .addKeyValue("status", ctx.response().getStatusCode())
          .addKeyValue("duration_ms", (System.nanoTime() - start) / 1_000_000.0)
          .addKeyValue("client_ip", clientIp.of(ctx))
          .addKeyValue("user_id", Authenticator.subject(ctx))
          .log("request");
    });
    ctx.next();
  }

  /** The request id of this request ("-" outside a request). */
  public static String requestId(RoutingContext ctx) {
    String id = ctx.get(REQUEST_ID);
    return id == null ? "-" : id;
  }
}
