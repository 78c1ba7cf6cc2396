package io.parley.api.http;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The body policy of each request from its {@link RouteSpec}: JSON bodies up to
 * PARLEY_MAX_BODY_BYTES, photo and audio uploads held in memory (each kind within its own
 * budget), every body at a
 * minimum rate ({@link UploadRate}). A {@link BodyHandler}
 * itself, so the router places it where body handlers go.
 */
final class PathBodyHandler implements BodyHandler {

  private final Function<RoutingContext, RouteSpec> specs;
  private final Map<RouteSpec.Body, BodyHandler> handlers;
  private final UploadRate uploadRate;

  PathBodyHandler(Function<RoutingContext, RouteSpec> specs, Map<RouteSpec.Body, BodyHandler> handlers,
                  UploadRate uploadRate) {
    this.specs = specs;
    this.uploadRate = uploadRate;
    this.handlers = new EnumMap<>(handlers);
    if (this.handlers.size() != RouteSpec.Body.values().length) {
      throw new IllegalArgumentException("a handler for every body policy is needed: " + handlers.keySet());
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    uploadRate.watch(ctx);
    handlers.get(specs.apply(ctx).body()).handle(ctx);
  }

  // Settings apply to every policy (each keeps its own limit unless one is set here for all).

  @Override
  public BodyHandler setHandleFileUploads(boolean handleFileUploads) {
    handlers.values().forEach(h -> h.setHandleFileUploads(handleFileUploads));
    return this;
  }

  @Override
  public BodyHandler setBodyLimit(long bodyLimit) {
    handlers.values().forEach(h -> h.setBodyLimit(bodyLimit));
    return this;
  }

  @Override
  public BodyHandler setUploadsDirectory(String uploadsDirectory) {
    handlers.values().forEach(h -> h.setUploadsDirectory(uploadsDirectory));
    return this;
  }

  @Override
  public BodyHandler setMergeFormAttributes(boolean mergeFormAttributes) {
    handlers.values().forEach(h -> h.setMergeFormAttributes(mergeFormAttributes));
    return this;
  }

  @Override
  public BodyHandler setDeleteUploadedFilesOnEnd(boolean deleteUploadedFilesOnEnd) {
    handlers.values().forEach(h -> h.setDeleteUploadedFilesOnEnd(deleteUploadedFilesOnEnd));
    return this;
  }

  @Override
  public BodyHandler setPreallocateBodyBuffer(boolean isPreallocateBodyBuffer) {
    handlers.values().forEach(h -> h.setPreallocateBodyBuffer(isPreallocateBodyBuffer));
    return this;
  }
}
