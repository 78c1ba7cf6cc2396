package io.parley.api.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Multipart bodies read into memory, for photo uploads: a photo is a few MB at most
 * ({@code PARLEY_PHOTO_MAX_BYTES}), so writing it to a temporary file, reading it back and deleting
 * it (what {@link BodyHandler} does with file parts) only costs disk I/O and three blocking hops per
 * request, and leaves the photo on disk for a moment when the user did not ask to keep it. Parts
 * are kept as buffers ({@link #part}); form fields are the request's form attributes as usual.
 * The bearer token is verified before the body is read (401 otherwise). Bodies past
 * {@code limit} bytes fail with 413 at once (declared length or bytes read). All
 * requests together hold at most {@code budget} bytes ({@code PARLEY_PHOTO_UPLOAD_MEMORY}): a body
 * that would pass it fails with 503 and {@code Retry-After: 1}, and what a request holds is given
 * back when its response ends or its connection closes. Requests that are not multipart POSTs go
 * to {@code other}.
 */
public final class MemoryUploads implements BodyHandler {

  /** One file part of the body. */
  public record Part(String name, String fileName, String contentType, Buffer data) {}

  private static final String PARTS = "parley.memory-uploads";

  private final BodyHandler other;
  private final long limit;
  private final long budget;
  private final Authenticator authenticator;
  /** Body bytes held by the requests in progress, over all event loops. */
  private final java.util.concurrent.atomic.AtomicLong held = new java.util.concurrent.atomic.AtomicLong();

  MemoryUploads(BodyHandler other, long limit, long budget, Authenticator authenticator) {
    this.authenticator = authenticator;
    this.other = other;
    this.limit = limit;
    this.budget = budget;
  }

  /** Body bytes the photo uploads in progress hold now. */
  long held() {
    return held.get();
  }

  /** The names of the body's file parts (none when it was not a photo upload). */
  static List<String> partNames(RoutingContext ctx) {
    List<Part> parts = ctx.get(PARTS);
    return parts == null ? List.of() : parts.stream().map(Part::name).toList();
  }

  /** The file part named {@code name}, when the body had one. */
  public static Optional<Part> part(RoutingContext ctx, String name) {
    List<Part> parts = ctx.get(PARTS);
    return parts == null ? Optional.empty() : parts.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
    if (req.method() != HttpMethod.POST || type == null
        || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      other.handle(ctx);
      return;
    }
    String declared = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limit) {
          ctx.fail(413);
          return;
        }
      } catch (NumberFormatException e) {
        ctx.fail(400);
        return;
      }
    }
    // Only a signed-in user's photo is read: the token is checked before the first body byte, so an
    // anonymous client cannot hold upload memory (the route's own authentication runs again later).
    req.pause();
    authenticator.verify(req).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else {
        read(ctx, req);
      }
    });
  }

  /** Reads the multipart body of a request whose headers passed, then goes on to the route. */
  private void read(RoutingContext ctx, HttpServerRequest req) {
    List<Part> parts = new ArrayList<>();
    long[] read = {0};
    long[] reserved = {0};
    boolean[] failed = {false};
    // What this request holds of the budget is given back once, when its response ends or fails
    // (a closed connection included).
    ctx.addEndHandler(ar -> held.addAndGet(-reserved[0]));
    req.setExpectMultipart(true);
    req.handler(chunk -> {
      if (failed[0]) {
        return;
      }
      read[0] += chunk.length();
      if (read[0] > limit) {
        failed[0] = true;
        ctx.fail(413);
        return;
      }
      reserved[0] += chunk.length();
      if (held.addAndGet(chunk.length()) > budget) {
        failed[0] = true;
        ctx.response().putHeader("Retry-After", "1");
        ctx.fail(new ApiProblem(503, "uploads_busy", "photo uploads in progress hold this node's upload memory ("
            + budget + " bytes, PARLEY_PHOTO_UPLOAD_MEMORY); retry shortly", null));
      }
    });
    req.uploadHandler(upload -> {
      Buffer data = Buffer.buffer();
      upload.handler(chunk -> {
        if (!failed[0]) {
          data.appendBuffer(chunk);
        }
      });
      upload.endHandler(v -> parts.add(new Part(upload.name(), upload.filename(), upload.contentType(), data)));
      upload.exceptionHandler(t -> {
        if (!failed[0]) {
          failed[0] = true;
          ctx.fail(400, t);
        }
      });
    });
    req.exceptionHandler(t -> {
      if (!failed[0]) {
        failed[0] = true;
        ctx.fail(400, t);
      }
    });
    req.endHandler(v -> {
      if (!failed[0]) {
        ctx.put(PARTS, List.copyOf(parts));
        ctx.next();
      }
    });
    req.resume();
  }

  // Settings: the limit here is fixed at construction; the rest apply to the other handler.

  @Override
  public BodyHandler setHandleFileUploads(boolean handleFileUploads) {
    other.setHandleFileUploads(handleFileUploads);
    return this;
  }

  @Override
  public BodyHandler setBodyLimit(long bodyLimit) {
    other.setBodyLimit(bodyLimit);
    return this;
  }

  @Override
  public BodyHandler setUploadsDirectory(String uploadsDirectory) {
    other.setUploadsDirectory(uploadsDirectory);
    return this;
  }

  @Override
  public BodyHandler setMergeFormAttributes(boolean mergeFormAttributes) {
    other.setMergeFormAttributes(mergeFormAttributes);
    return this;
  }

  @Override
  public BodyHandler setDeleteUploadedFilesOnEnd(boolean deleteUploadedFilesOnEnd) {
    other.setDeleteUploadedFilesOnEnd(deleteUploadedFilesOnEnd);
    return this;
  }

  @Override
  public BodyHandler setPreallocateBodyBuffer(boolean isPreallocateBodyBuffer) {
    other.setPreallocateBodyBuffer(isPreallocateBodyBuffer);
    return this;
  }
}
