package io.parley.api.http;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.List;

/**
 * A part of the product that brings its own HTTP routes (accounts, meals, ...). {@link HttpApi}
 * mounts every feature and derives the rate limits and body policies of requests from the specs
 * the features declare, so adding a route touches the feature and the contract, not the router.
 */
public interface Feature {

  /** Mounts the handlers of this feature's operations in the OpenAPI contract. */
  default void mountContract(RouterBuilder contract) {}

  /** Mounts this feature's routes outside the contract (multipart uploads, OpenAI-compatible paths). */
  default void mount(Router router) {}

  /** The rate-limit class and body policy of this feature's paths. */
  default List<RouteSpec> specs() {
    return List.of();
  }
}
