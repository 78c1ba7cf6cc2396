package io.parley.api.http;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Set;

/**
 * Two body policies by path: JSON bodies up to PARLEY_MAX_BODY_BYTES everywhere, and audio uploads
 * (multipart files on disk, deleted when the request ends) with their own size limit on the upload
 * paths. A {@link BodyHandler} itself, so the router places it where body handlers go.
 */
final class PathBodyHandler implements BodyHandler {

  private final BodyHandler json;
  private final BodyHandler uploads;
  private final Set<String> uploadPaths;

  PathBodyHandler(BodyHandler json, BodyHandler uploads, Set<String> uploadPaths) {
    this.json = json;
    this.uploads = uploads;
    this.uploadPaths = Set.copyOf(uploadPaths);
  }

  @Override
  public void handle(RoutingContext ctx) {
    (uploadPaths.contains(ctx.request().path()) ? uploads : json).handle(ctx);
  }

  @Override
  public BodyHandler setHandleFileUploads(boolean handleFileUploads) {
    throw new UnsupportedOperationException("configure the delegates");
  }

  @Override
  public BodyHandler setBodyLimit(long bodyLimit) {
    throw new UnsupportedOperationException("configure the delegates");
  }

  @Override
  public BodyHandler setUploadsDirectory(String uploadsDirectory) {
    throw new UnsupportedOperationException("configure the delegates");
  }

  @Override
  public BodyHandler setMergeFormAttributes(boolean mergeFormAttributes) {
    throw new UnsupportedOperationException("configure the delegates");
  }

  @Override
  public BodyHandler setDeleteUploadedFilesOnEnd(boolean deleteUploadedFilesOnEnd) {
    throw new UnsupportedOperationException("configure the delegates");
  }

  @Override
  public BodyHandler setPreallocateBodyBuffer(boolean isPreallocateBodyBuffer) {
    throw new UnsupportedOperationException("configure the delegates");
  }
}
