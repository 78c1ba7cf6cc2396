package io.parley.api.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling of {@code bench/signal.sh}: a bare Vert.x WebSocket echo server, run in its own JVM
 * with the same heap flags as Parley. It is configured like Parley's HTTP server (one
 * {@code HttpServer} created outside a verticle, so one event loop; the same options: HTTP
 * compression supported but no WebSocket compression, 16 KiB headers, 120 s idle timeout, 1 MiB
 * frame and message caps) and accepts the upgrade on the same path through a handshake handler, as
 * {@code SignalHub} does. Every text message is written back unchanged on the socket it came in on:
 * no parsing, no validation, no second socket. Not a test: {@code java -cp ... io.parley.api.bench.SignalEcho PORT}.
 */
public final class SignalEcho {

  private SignalEcho() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    // Parley logs at INFO (LogSetup); logback's unconfigured default is DEBUG, per handshake.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.INFO);
    Vertx vertx = Vertx.vertx();
    // As Parley: one server per core on the shared port.
    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    for (int i = 0; i < loops; i++) {
      HttpServer server = vertx.createHttpServer(new HttpServerOptions()
              .setHost("127.0.0.1")
              .setPort(port)
              .setCompressionSupported(true)
              .setPerMessageWebSocketCompressionSupported(false)
              .setPerFrameWebSocketCompressionSupported(false)
              .setMaxHeaderSize(16 * 1024)
              .setIdleTimeout(120)
              .setIdleTimeoutUnit(TimeUnit.SECONDS)
              .setMaxWebSocketFrameSize(16 * 1024 * 1024)
              .setMaxWebSocketMessageSize(16 * 1024 * 1024))
          .requestHandler(req -> req.response().setStatusCode(req.path().equals("/health/live") ? 200 : 404).end())
          .webSocketHandshakeHandler(h -> {
            if (!"/api/v1/signal".equals(h.path())) {
              h.reject(404);
              return;
            }
            h.accept().onSuccess(ws -> ws.textMessageHandler(ws::writeTextMessage));
          })
          .webSocketHandler(ws -> { });
      server.listen().await(30, TimeUnit.SECONDS);
    }
    System.out.println("SignalEcho listening on 127.0.0.1:" + port + " (" + loops + " event loops)");
    System.out.flush();
    Thread.currentThread().join();
  }
}
