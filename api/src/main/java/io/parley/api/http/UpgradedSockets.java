package io.parley.api.http;

import io.netty.channel.ChannelHandler;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.VertxHandler;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets an accepted WebSocket's HTTP/1.1 connection go. Vert.x 5 makes the socket's channel handler
 * ({@code VertxHandler}) from a function that captures the upgraded HTTP connection, its request,
 * response and headers, and keeps that function for the socket's whole life: per open WebSocket
 * about 6 KB of heap that nothing uses again, of which 4 KB are the HTTP connection's write queue
 * (a 1024-slot array). The function is needed only when the handler joins the pipeline, which it
 * has by the time the upgrade is accepted; this drops it then. Should Vert.x's internals change
 * (field gone, or not writable), nothing is dropped and the socket works as before.
 */
final class UpgradedSockets {

  private static final Logger LOG = LoggerFactory.getLogger(UpgradedSockets.class);
  private static final Field FACTORY = factoryField();

  private UpgradedSockets() {}

  /** Drops what {@code ws}'s channel handler keeps of the HTTP upgrade. On the socket's event loop. */
  static void forgetUpgrade(ServerWebSocket ws) {
    if (FACTORY == null || !(ws instanceof WebSocketInternal internal)) {
      return;
    }
    ChannelHandler handler = internal.channelHandlerContext().handler();
    if (handler instanceof VertxHandler<?>) {
      try {
        FACTORY.set(handler, null);
      } catch (IllegalAccessException | RuntimeException e) {
        LOG.debug("WebSocket upgrade state kept: {}", e.toString());
      }
    }
  }

  /** Whether the upgrade state of {@code ws} was dropped (for tests). */
  static boolean upgradeForgotten(ServerWebSocket ws) throws IllegalAccessException {
    return FACTORY != null && ws instanceof WebSocketInternal internal
        && FACTORY.get(internal.channelHandlerContext().handler()) == null;
  }

  private static Field factoryField() {
    try {
      Field f = VertxHandler.class.getDeclaredField("connectionFactory");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.info("WebSockets keep their HTTP upgrade state (~6 KB each): {}", e.toString());
      return null;
    }
  }
}
