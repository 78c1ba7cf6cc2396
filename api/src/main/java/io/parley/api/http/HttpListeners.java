package io.parley.api.http;

import io.netty.channel.ChannelPipeline;
import io.parley.api.infra.FreePort;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ParleyConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The node's HTTP listeners: one server per event loop on the same port (Vert.x spreads connections
 * over them, so HTTP and WebSockets use every core; a single server would keep them all on one event
 * loop), HTTPS when a certificate is configured, and each WebSocket handshake handed to the feature
 * that owns its path.
 */
public final class HttpListeners {

  /**
   * Hard cap of a WebSocket message on this server (signalling and realtime share the listeners):
   * larger ones close the connection with 1009. High enough that the realtime endpoint can answer an
   * oversized audio message with an error event and keep the session; signalling's own limit is
   * PARLEY_SIGNAL_MAX_MESSAGE_BYTES.
   */
  public static final int MAX_WEBSOCKET_BYTES = 16 * 1024 * 1024;

  private HttpListeners() {}

  /**
   * Starts the listeners; blocking. Each is pushed on {@code closers} to be shut down gracefully
   * within {@code shutdownTimeout}. Returns them, the first one's port being the node's.
   */
  public static List<HttpServer> start(Vertx vertx, ParleyConfig.Http http, Router router, List<Feature> features,
                                       Duration shutdownTimeout, Deque<AutoCloseable> closers) {
    ClientIp clientIp = new ClientIp(http.trustProxy());
    Map<String, Handler<ServerWebSocketHandshake>> webSockets = new HashMap<>();
    features.forEach(f -> webSockets.putAll(f.webSockets()));
    HttpServerOptions options = options(http);
    int loops = http.eventLoops() > 0 ? http.eventLoops() : Math.max(1, Runtime.getRuntime().availableProcessors());
    // Servers share a port only when they ask for the same one: pick a free port for "0" first.
    int port = http.port();
    if (port == 0 && loops > 1) {
      try {
        port = FreePort.pick();
      } catch (IOException e) {
        throw new ParleyException(Reason.UNAVAILABLE, "no free port for HTTP: " + e.getMessage(), e);
      }
    }
    List<HttpServer> servers = new ArrayList<>();
    for (int i = 0; i < loops; i++) {
      HttpServer server = vertx.createHttpServer(new HttpServerOptions(options).setPort(port))
          .connectionHandler(conn -> guard(conn, http.headerTimeout()))
          .requestHandler(router)
          .webSocketHandshakeHandler(raw -> {
            ServerWebSocketHandshake h = new LoggedHandshake(raw, clientIp);
            Handler<ServerWebSocketHandshake> endpoint = webSockets.get(h.path());
            if (endpoint == null) {
              h.reject(404);
            } else {
              endpoint.handle(h);
            }
          })
          .webSocketHandler(ws -> { });
      try {
        server.listen().await(60, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new ParleyException(Reason.UNAVAILABLE, "HTTP listener did not start within 60 s", e);
      }
      servers.add(server);
      closers.push(() -> server.shutdown(shutdownTimeout.toMillis() / 2, TimeUnit.MILLISECONDS)
          .await(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS));
    }
    return servers;
  }

  /**
   * Netty-level guards on a new connection, before its first byte is read: the request header
   * deadline ({@link HeaderDeadline}) and the WebSocket message limit ({@link WebSocketLimit}).
   */
  private static void guard(HttpConnection conn, Duration headerTimeout) {
    if (conn instanceof HttpServerConnection server) {
      ChannelPipeline pipeline = server.channelHandlerContext().pipeline();
      HeaderDeadline.install(pipeline, headerTimeout);
      WebSocketLimit.install(pipeline, MAX_WEBSOCKET_BYTES);
    }
  }

  private static HttpServerOptions options(ParleyConfig.Http http) {
    HttpServerOptions options = new HttpServerOptions();
    if (http.tls()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(http.tlsCert().orElseThrow().toString())
          .setKeyPath(http.tlsKey().orElseThrow().toString()));
    }
    return options
        .setHost(http.host())
        .setPort(http.port())
        .setCompressionSupported(true)
        // No WebSocket compression, though browsers offer permessage-deflate on every socket: each
        // socket that takes it keeps a zlib deflater and inflater for its life (~110 KB resident a
        // socket, 5 GB at 50,000 signalling sockets) and a 3 KB offer costs ~12x the CPU to relay.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // HTTP/1.1 only in clear text (HTTP/2 over TLS stays): without h2c prior knowledge the
        // connection is set up at accept, so a client that sends nothing has a header deadline too.
        .setHttp2ClearTextEnabled(false)
        .setMaxHeaderSize(16 * 1024)
        .setIdleTimeout(120)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxWebSocketFrameSize(MAX_WEBSOCKET_BYTES)
        .setMaxWebSocketMessageSize(MAX_WEBSOCKET_BYTES)
        // Browsers open /v1/realtime with the subprotocols ["realtime", "openai-insecure-api-key.<token>"]
        // (the token rides on the second) and refuse a handshake that selects none: select "realtime".
        .setWebSocketSubProtocols(List.of("realtime"));
  }
}
