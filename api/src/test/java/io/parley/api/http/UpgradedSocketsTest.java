package io.parley.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Poll;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An accepted WebSocket lets go of its HTTP upgrade (about 6 KB a socket) and still works. */
class UpgradedSocketsTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void anAcceptedSocketDropsItsUpgradeAndStillEchoes() throws Exception {
    CompletableFuture<ServerWebSocket> accepted = new CompletableFuture<>();
    AtomicReference<WeakReference<Object>> upgrade = new AtomicReference<>();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(req -> req.response().setStatusCode(404).end())
        .webSocketHandshakeHandler(raw -> {
          // The handshake is the upgrade's state: the HTTP connection, request and response hang off it.
          upgrade.set(new WeakReference<>(raw));
          new LoggedHandshake(raw, new ClientIp(false)).accept().onSuccess(ws -> {
            ws.textMessageHandler(ws::writeTextMessage);
            accepted.complete(ws);
          });
        })
        .webSocketHandler(ws -> { });
    server.listen().await(10, TimeUnit.SECONDS);

    CompletableFuture<String> echoed = new CompletableFuture<>();
    // Held to the end: Vert.x closes a client that is garbage (and the test collects garbage).
    WebSocketClient clients = vertx.createWebSocketClient();
    WebSocket client = clients.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(server.actualPort()).setURI("/any")).await(10, TimeUnit.SECONDS);
    client.textMessageHandler(echoed::complete);
    ServerWebSocket ws = accepted.get(10, TimeUnit.SECONDS);

    assertThat(UpgradedSockets.upgradeForgotten(ws)).isTrue();
    client.writeTextMessage("still here");
    assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("still here");
    // Nothing else keeps the upgrade: a collection takes it while the socket stays open.
    Poll.until(Duration.ofSeconds(10), "the upgrade collected", () -> {
      System.gc();
      return upgrade.get().get() == null;
    });
    assertThat(ws.isClosed()).isFalse();
    client.close().await(10, TimeUnit.SECONDS);
    clients.close().await(10, TimeUnit.SECONDS);
  }
}
