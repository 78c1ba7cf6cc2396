package io.parley.api.http;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket handshake that writes its access-log line (as {@link RequestLog} does for requests)
 * when the endpoint accepts it (101) or refuses it (401, 404, 429...): upgrades go around the router,
 * so without this they never reached the access log. Path only, never the query (it may hold a
 * token). An accepted socket lets go of its HTTP upgrade ({@link UpgradedSockets}).
 */
final class LoggedHandshake implements ServerWebSocketHandshake {

  private static final Logger ACCESS = LoggerFactory.getLogger("parley.access");

  private final ServerWebSocketHandshake h;
  private final String clientIp;
  private final long start = System.nanoTime();
  private final AtomicBoolean logged = new AtomicBoolean();

  LoggedHandshake(ServerWebSocketHandshake h, ClientIp clientIp) {
    this.h = h;
    this.clientIp = clientIp.of(h.headers(), h.remoteAddress());
  }

  private void log(int status) {
    if (logged.compareAndSet(false, true) && ACCESS.isInfoEnabled()) {
      ACCESS.atInfo()
          .addKeyValue("method", "GET")
          .addKeyValue("path", h.path())
          .addKeyValue("status", status)
          .addKeyValue("duration_ms", (System.nanoTime() - start) / 1_000_000.0)
          .addKeyValue("client_ip", clientIp)
          .log("websocket upgrade");
    }
  }

  @Override
  public Future<ServerWebSocket> accept() {
    return h.accept().onSuccess(UpgradedSockets::forgetUpgrade).onComplete(ar -> log(ar.succeeded() ? 101 : 500));
  }

  @Override
  public Future<Void> reject(int status) {
    log(status);
    return h.reject(status);
  }

  @Override
  public MultiMap headers() {
    return h.headers();
  }

  @Override
  public String scheme() {
    return h.scheme();
  }

  @Override
  public HostAndPort authority() {
    return h.authority();
  }

  @Override
  public String uri() {
    return h.uri();
  }

  @Override
  public String path() {
    return h.path();
  }

  @Override
  public String query() {
    return h.query();
  }

  @Override
  public SocketAddress remoteAddress() {
    return h.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return h.localAddress();
  }

  @Override
  public boolean isSsl() {
    return h.isSsl();
  }

  @Override
  public SSLSession sslSession() {
    return h.sslSession();
  }

  @Override
  public List<Certificate> peerCertificates() throws SSLPeerUnverifiedException {
    return h.peerCertificates();
  }
}
