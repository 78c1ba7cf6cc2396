package io.parley.api.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * The slowest a request body may arrive ({@code PARLEY_UPLOAD_MIN_RATE} over
 * {@code PARLEY_UPLOAD_RATE_WINDOW}): from the end of the request's headers, each window must bring
 * at least rate x window bytes until the body has ended, else the request ends with 408 and its
 * connection is closed, which gives back what it held (photo or audio upload memory, a JSON
 * body's buffer). A client that trickles its body cannot hold a connection or an
 * upload slot for long. Requests without a body (no Content-Length, no Transfer-Encoding) are not
 * watched.
 */
final class UploadRate {

  /**
   * Set on a request once its body has been read and routing goes on (by the root handler after
   * the body handlers). A body that ended without it for a whole window is a form that never
   * finished: Vert.x's multipart decoder waits for the end of a part the client cut off (the last
   * file part without its closing boundary), and the request would hang to the idle timeout.
   */
  static final String BODY_READ = "parley.bodyRead";

  private final long minBytesPerWindow;
  private final long windowMs;

  UploadRate(int minBytesPerSecond, Duration window) {
    this.minBytesPerWindow = (long) minBytesPerSecond * window.toSeconds();
    this.windowMs = window.toMillis();
  }

  /** Watches the body of {@code ctx}'s request from now on. */
  void watch(RoutingContext ctx) {
    if (minBytesPerWindow == 0) {
      return;
    }
    HttpServerRequest req = ctx.request();
    String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (req.isEnded() || (req.getHeader(HttpHeaders.TRANSFER_ENCODING) == null
        && (length == null || length.trim().equals("0")))) {
      return;
    }
    long[] mark = {0};
    boolean[] endedUnread = {false};
    long timer = ctx.vertx().setPeriodic(windowMs, id -> {
      long read = req.bytesRead();
      if (ctx.response().ended() || ctx.response().closed() || (req.isEnded() && ctx.get(BODY_READ) != null)) {
        ctx.vertx().cancelTimer(id);
      } else if (req.isEnded()) {
        if (endedUnread[0]) {
          ctx.vertx().cancelTimer(id);
          ctx.addEndHandler(ar -> req.connection().close());
          ctx.fail(new ApiProblem(400, "bad_request", "the multipart body ended inside a part (its closing"
              + " boundary never came)", null));
        }
        endedUnread[0] = true;
      } else if (read - mark[0] < minBytesPerWindow) {
        ctx.vertx().cancelTimer(id);
        ctx.addEndHandler(ar -> req.connection().close());
        ctx.fail(new ApiProblem(408, "upload_too_slow", "the request body sent " + (read - mark[0])
            + " bytes in the last " + windowMs / 1000 + " s; at least " + minBytesPerWindow
            + " are needed (PARLEY_UPLOAD_MIN_RATE)", null));
      } else {
        mark[0] = read;
      }
    });
    ctx.addEndHandler(ar -> ctx.vertx().cancelTimer(timer));
  }
}
