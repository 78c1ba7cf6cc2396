package io.parley.api.http;

import io.vertx.core.Handler;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.List;
import java.util.Map;

/**
 * A part of the product that brings its own HTTP routes and WebSocket endpoints (accounts, calls,
 * the assistant, meals). {@link HttpApi} mounts every feature and derives the rate limits and body
 * policies of requests from the specs the features declare; the node's listeners hand each
 * WebSocket handshake to the feature that owns its path. Adding a route touches the feature and the
 * contract, not the router.
 */
public interface Feature {

  /** Mounts the handlers of this feature's operations in the OpenAPI contract. */
  default void mountContract(RouterBuilder contract) {}

  /** Mounts this feature's routes outside the /api/v1 contract (the OpenAI-compatible paths, described by their own). */
  default void mount(Router router) {}

  /** The rate-limit class and body policy of this feature's paths. */
  default List<RouteSpec> specs() {
    return List.of();
  }

  /** This feature's WebSocket endpoints by path: each gets the handshakes for its path. */
  default Map<String, Handler<ServerWebSocketHandshake>> webSockets() {
    return Map.of();
  }
}
