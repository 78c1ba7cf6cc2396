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

  // Settings apply to both policies (each keeps its own limit unless one is set here for both).

  @Override
  public BodyHandler setHandleFileUploads(boolean handleFileUploads) {
    json.setHandleFileUploads(handleFileUploads);
    uploads.setHandleFileUploads(handleFileUploads);
    return this;
  }

  @Override
  public BodyHandler setBodyLimit(long bodyLimit) {
    json.setBodyLimit(bodyLimit);
    uploads.setBodyLimit(bodyLimit);
    return this;
  }

  @Override
  public BodyHandler setUploadsDirectory(String uploadsDirectory) {
    json.setUploadsDirectory(uploadsDirectory);
    uploads.setUploadsDirectory(uploadsDirectory);
    return this;
  }

  @Override
  public BodyHandler setMergeFormAttributes(boolean mergeFormAttributes) {
    json.setMergeFormAttributes(mergeFormAttributes);
    uploads.setMergeFormAttributes(mergeFormAttributes);
    return this;
  }

  @Override
  public BodyHandler setDeleteUploadedFilesOnEnd(boolean deleteUploadedFilesOnEnd) {
    json.setDeleteUploadedFilesOnEnd(deleteUploadedFilesOnEnd);
    uploads.setDeleteUploadedFilesOnEnd(deleteUploadedFilesOnEnd);
    return this;
  }

  @Override
  public BodyHandler setPreallocateBodyBuffer(boolean isPreallocateBodyBuffer) {
    json.setPreallocateBodyBuffer(isPreallocateBodyBuffer);
    uploads.setPreallocateBodyBuffer(isPreallocateBodyBuffer);
    return this;
  }
}
