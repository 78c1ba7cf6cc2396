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
 * Multipart bodies read into memory, for photo and audio uploads: a photo is a few MB at most
 * ({@code PARLEY_PHOTO_MAX_BYTES}), an audio file for transcription 25 MiB, so writing it to a
 * temporary file, reading it back and deleting it (what {@link BodyHandler} does with file parts)
 * only costs disk I/O and three blocking hops per request, leaves the upload on disk for a moment,
 * and puts Vert.x's own disk clean-up in the way of a broken form (its "File handle is closed"
 * left such a request unanswered). The body is read into one buffer and split with
 * {@link MultipartBody}: parts are slices of it ({@link #part}), form fields are the request's form
 * attributes as usual, a form that is not what it says it is gets 400 in our own words. The
 * bearer token is verified before the body is read (401 otherwise). Bodies past {@code limit}
 * bytes fail with 413 at once (declared length or bytes read). All requests of one kind together
 * hold at most their {@link Budget} ({@code PARLEY_PHOTO_UPLOAD_MEMORY},
 * {@code PARLEY_AUDIO_UPLOAD_MEMORY}), counted as they are allocated (a declared length before the
 * first byte): a body that would pass it fails with 503 and {@code Retry-After: 1}, and what a
 * request holds is given back when its response ends or its connection closes. Requests that are
 * not multipart POSTs go to {@code other}.
 */
public final class MemoryUploads implements BodyHandler {

  /** One file part of the body. */
  public record Part(String name, String fileName, String contentType, Buffer data) {}

  /**
   * The memory all uploads of one kind may hold together.
   *
   * @param uploads what they are, as said in the 503 ("photo uploads")
   * @param bytes the budget
   * @param key the setting it comes from
   */
  record Budget(String uploads, long bytes, String key) {}

  private static final String PARTS = "parley.memory-uploads";

  private final BodyHandler other;
  private final long limit;
  private final Budget budget;
  private final Authenticator authenticator;
  /** Body bytes held by the requests in progress, over all event loops. */
  private final java.util.concurrent.atomic.AtomicLong held = new java.util.concurrent.atomic.AtomicLong();

  MemoryUploads(BodyHandler other, long limit, Budget budget, Authenticator authenticator) {
    this.authenticator = authenticator;
    this.other = other;
    this.limit = limit;
    this.budget = budget;
  }

  /** Body bytes the uploads in progress hold now. */
  long held() {
    return held.get();
  }

  /** The names of the body's file parts (none when it was not an upload read here). */
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
    long length = -1;
    if (declared != null) {
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        ctx.fail(400);
        return;
      }
      if (length > limit) {
        ctx.fail(413);
        return;
      }
    }
    Optional<String> boundary = MultipartBody.boundary(type);
    if (boundary.isEmpty()) {
      ctx.fail(new ApiProblem(400, "bad_request", "a multipart/form-data Content-Type needs a boundary", null));
      return;
    }
    // Only a signed-in user's upload is read: the token is checked before the first body byte, so an
    // anonymous client cannot hold upload memory (the route's own authentication runs again later).
    req.pause();
    long declaredLength = length;
    authenticator.verify(req).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else {
        read(ctx, req, declaredLength, boundary.get());
      }
    });
  }

  /**
   * Reads the multipart body of a request whose headers passed, then goes on to the route. A body
   * of declared length is reserved from the budget before its first byte and read into one buffer
   * of that length; a streamed one (chunked) is reserved chunk by chunk as it arrives and joined at
   * its end.
   */
  private void read(RoutingContext ctx, HttpServerRequest req, long declared, String boundary) {
    long[] reserved = {0};
    // Given back once, when the response ends or fails (a closed connection included).
    ctx.addEndHandler(ar -> held.addAndGet(-reserved[0]));
    boolean[] failed = {false};
    Buffer body = declared >= 0 && reserve(ctx, declared, reserved, failed) ? Buffer.buffer((int) declared) : null;
    List<Buffer> chunks = new ArrayList<>();
    long[] read = {0};
    req.handler(chunk -> {
      if (failed[0]) {
        return; // read and dropped: the connection stays usable
      }
      if (body != null) {
        body.appendBuffer(chunk);
        return;
      }
      read[0] += chunk.length();
      if (read[0] > limit) {
        failed[0] = true;
        ctx.fail(413);
      } else if (reserve(ctx, chunk.length(), reserved, failed)) {
        chunks.add(chunk);
      }
    });
    req.exceptionHandler(t -> {
      if (!failed[0]) {
        failed[0] = true;
        ctx.fail(400, t);
      }
    });
    req.endHandler(v -> {
      if (failed[0]) {
        return;
      }
      MultipartBody parsed;
      try {
        parsed = MultipartBody.parse(body != null ? body : joined(chunks), boundary);
      } catch (MultipartBody.MalformedException e) {
        ctx.fail(new ApiProblem(400, "bad_request", e.getMessage(), null));
        return;
      }
      parsed.fields().forEach((name, values) -> values.forEach(value -> req.formAttributes().add(name, value)));
      ctx.put(PARTS, parsed.files());
      ctx.next();
    });
    req.resume();
  }

  /**
   * Takes {@code bytes} more of the budget for a request holding {@code reserved}; when they would
   * pass it, fails the request with 503 instead.
   */
  private boolean reserve(RoutingContext ctx, long bytes, long[] reserved, boolean[] failed) {
    if (held.addAndGet(bytes) > budget.bytes()) {
      held.addAndGet(-bytes);
      failed[0] = true;
      ctx.response().putHeader("Retry-After", "1");
      ctx.fail(new ApiProblem(503, "uploads_busy", budget.uploads() + " in progress hold this node's memory for them ("
          + budget.bytes() + " bytes, " + budget.key() + "); retry shortly", null));
      return false;
    }
    reserved[0] += bytes;
    return true;
  }

  /** A streamed body's chunks in one buffer (for a moment both are held: the chunks go right after). */
  private static Buffer joined(List<Buffer> chunks) {
    Buffer whole = Buffer.buffer(chunks.stream().mapToInt(Buffer::length).sum());
    chunks.forEach(whole::appendBuffer);
    chunks.clear();
    return whole;
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
