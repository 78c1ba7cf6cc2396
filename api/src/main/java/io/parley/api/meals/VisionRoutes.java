package io.parley.api.meals;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parley.api.meals.ImageInput;
import io.parley.api.meals.VisionServices;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.vision.Detection;
import io.parley.inference.vision.Detections;
import io.parley.inference.vision.ObjectDetector;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.redis.client.RedisAPI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import io.parley.api.http.Responses;
import io.parley.api.http.MemoryUploads;
import io.parley.api.http.Authenticator;
import io.parley.api.http.ApiProblem;

/**
 * {@code POST /api/v1/vision/analyze}: a multipart photo (field {@code image}; optional
 * {@code task}: {@code objects}, the default, or {@code meal}) -> the objects the detector finds, with
 * boxes in the original picture's pixels (after its EXIF orientation), the image size, the model
 * and the timings. Results are cached in Redis by the image's sha256 with the model version and
 * task ({@code PARLEY_PHOTO_CACHE_TTL}); a cached answer says {@code cached: true}.
 */
public final class VisionRoutes {

  public static final String ANALYZE = "/api/v1/vision/analyze";
  static final Set<String> TASKS = Set.of("objects", "meal");
  /** Redis is asked at most this long; past it the cache is skipped, never the request. */
  static final long CACHE_TIMEOUT_MS = 500;

  private final VisionServices vision;
  private final RedisAPI redis;
  private final Counter cacheHits;
  private final Counter rejected;
  private final Timer analyzeTime;
  /** Analyses between their upload and their answer. */
  private final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
  private final Nutrition nutrition;

  public VisionRoutes(VisionServices vision, RedisAPI redis, MeterRegistry metrics, Nutrition nutrition) {
    this.vision = vision;
    this.nutrition = nutrition;
    this.redis = redis;
    this.cacheHits = Counter.builder("parley.vision.cache.hits").description("Photo analyses answered from Redis")
        .register(metrics);
    this.rejected = Counter.builder("parley.vision.rejected")
        .description("Photos refused: empty, too large, too many pixels, not an image, corrupt").register(metrics);
    io.micrometer.core.instrument.FunctionCounter.builder("parley.vision.cancelled", vision,
            VisionServices::cancelled)
        .description("Photo analyses (and meal photos) stopped before decoding or detecting: their client had gone")
        .register(metrics);
    io.micrometer.core.instrument.Gauge.builder("parley.vision.analyses.active", active,
            java.util.concurrent.atomic.AtomicInteger::get)
        .description("Photo analyses between their upload and their answer (waiting for a worker included)")
        .register(metrics);
    this.analyzeTime = Timer.builder("parley.vision.analyze").description("Photo analysis, upload read to answer")
        .publishPercentileHistogram().register(metrics);
  }

  public void mount(RouterBuilder b) {
    b.getRoute("analyzePhoto").addHandler(this::analyze);
  }

  private void analyze(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      long started = System.nanoTime();
      var upload = MemoryUploads.part(ctx, "image")
          .orElseThrow(() -> ApiProblem.field("/image", "required", "a multipart field 'image' with a photo is required"));
      String task = java.util.Objects.requireNonNullElse(ctx.request().getFormAttribute("task"), "objects");
      if (!TASKS.contains(task)) {
        throw ApiProblem.field("/task", "enum", "task must be objects or meal");
      }
      ObjectDetector detector = vision.detector().orElseThrow(() -> new ParleyException(Reason.UNAVAILABLE,
          vision.missing()));
      if (upload.data().length() > vision.config().maxPhotoBytes()) {
        rejected.increment();
        throw new ApiProblem(413, "image_too_large", "the image is " + upload.data().length() + " bytes; at most "
            + vision.config().maxPhotoBytes() + " (PARLEY_PHOTO_MAX_BYTES)", null);
      }
      io.vertx.core.buffer.Buffer data = upload.data();
      // Hash on a worker; decode only on a cache miss.
      active.incrementAndGet();
      vision.decoders().executeBlocking(() -> {
        byte[] bytes = data.getBytes();
        return new Upload(bytes, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
      }, false).compose(up -> cached(detector, task, up.sha256()).compose(hit -> {
        if (hit != null) {
          cacheHits.increment();
          return Future.succeededFuture(hit.put("cached", true));
        }
        return vision.analyze(up.bytes(), ctx.response()::closed)
            .onFailure(e -> {
              if (e instanceof ApiProblem) {
                rejected.increment();
              }
            })
            .map(a -> answer(a, detector, task, up.sha256(), nutrition))
            .onSuccess(answer -> store(detector, task, up.sha256(), answer))
            .map(answer -> answer.copy().put("cached", false));
      })).onComplete(ar -> {
        analyzeTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        active.decrementAndGet();
        if (ctx.response().closed()) {
          return; // nobody to answer
        }
        if (ar.failed()) {
          ctx.fail(ar.cause());
          return;
        }
        ctx.response().putHeader("Content-Type", "application/json").end(ar.result().toBuffer());
      });
    });
  }

  private record Upload(byte[] bytes, String sha256) {}

  private static String key(ObjectDetector detector, String task, String sha256) {
    return "parley:vision:" + detector.model() + ":" + detector.modelVersion() + ":" + task + ":" + sha256;
  }

  /** The cached answer, or null: on a miss, and when Redis does not answer in time. */
  private Future<JsonObject> cached(ObjectDetector detector, String task, String sha256) {
    if (vision.config().cacheTtl().isZero()) {
      return Future.succeededFuture(null);
    }
    return redis.get(key(detector, task, sha256)).timeout(CACHE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(r -> r == null ? null : new JsonObject(r.toString()))
        .otherwise(e -> null);
  }

  private void store(ObjectDetector detector, String task, String sha256, JsonObject answer) {
    if (!vision.config().cacheTtl().isZero()) {
      redis.set(List.of(key(detector, task, sha256), answer.encode(), "EX",
          Long.toString(vision.config().cacheTtl().toSeconds())));
    }
  }

  static JsonObject answer(VisionServices.Analysis a, ObjectDetector detector, String task, String sha256,
                           Nutrition nutrition) {
    JsonArray objects = new JsonArray();
    for (Detection o : a.objects()) {
      objects.add(new JsonObject().put("label", o.label()).put("confidence", round(o.confidence(), 4))
          .put("bbox", new JsonArray().add(round(o.x1(), 1)).add(round(o.y1(), 1)).add(round(o.x2(), 1))
              .add(round(o.y2(), 1))));
    }
    ImageInput.Decoded img = a.decoded();
    Detections.Timings t = a.detections().timings();
    JsonObject out = new JsonObject()
        .put("objects", objects)
        .put("image", new JsonObject().put("width", img.width()).put("height", img.height())
            .put("format", img.format().name().toLowerCase(java.util.Locale.ROOT))
            .put("exif_orientation", img.orientation()).put("sha256", sha256))
        .put("model", new JsonObject().put("name", detector.model()).put("version", detector.modelVersion()))
        .put("task", task)
        .put("timings", new JsonObject().put("decode_ms", round(a.decodeMs(), 2))
            .put("queue_ms", round(t.queuedMicros() / 1000.0, 2))
            .put("preprocess_ms", round(t.preprocessMicros() / 1000.0, 2))
            .put("inference_ms", round(t.inferenceMicros() / 1000.0, 2))
            .put("postprocess_ms", round(t.postprocessMicros() / 1000.0, 2))
            .put("batch_size", t.batchSize()));
    if ("meal".equals(task)) {
      JsonObject meal = nutrition.estimate(a.objects(), img.width(), img.height());
      out.put("food", new JsonArray(a.objects().stream().filter(o -> nutrition.isFood(o.label()))
          .map(o -> new JsonObject().put("label", o.label()).put("confidence", round(o.confidence(), 4))).toList()));
      out.put("meal", meal);
    }
    return out;
  }

  private static double round(double v, int places) {
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
