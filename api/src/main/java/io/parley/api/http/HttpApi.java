package io.parley.api.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.parley.api.http.RateLimiter.LimitClass;
import io.parley.api.meals.VisionOptions;
import io.parley.core.Ids;
import io.parley.core.config.ParleyConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Assembles the HTTP router. Order for every request: request id and access log, security
 * headers, CORS, body limit, bearer token, rate limit; then per operation (from the OpenAPI
 * contract): authentication, request validation, the handler. Health, metrics and the contract
 * itself sit beside the API, without authentication or rate limits.
 */
public final class HttpApi {

  /** Where the contract lives on the classpath and where it is served. */
  public static final String CONTRACT_RESOURCE = "openapi/parley.json";
  public static final String CONTRACT_PATH = "/api/v1/openapi.json";
  /** The contract of the OpenAI-compatible routes under /v1, and where it is served. */
  public static final String OPENAI_CONTRACT_RESOURCE = "openapi/openai.json";
  public static final String OPENAI_CONTRACT_PATH = "/v1/openapi.json";

  /** Everything the router needs: the platform parts and the features. */
  public record Deps(Vertx vertx, ParleyConfig config, Ids ids, JWTAuth jwt, ClientIp clientIp,
                     RateLimiter.Factory limiter, Health health, PrometheusMeterRegistry metrics, VisionOptions photos,
                     long audioUploadMemory, List<Feature> features) {}

  /** The paths the router itself knows: the API's default class and the contract. */
  static final List<RouteSpec> OWN_SPECS = List.of(
      RouteSpec.under("/api/v1/", LimitClass.API),
      RouteSpec.unlimited(CONTRACT_PATH),
      RouteSpec.unlimited(OPENAI_CONTRACT_PATH));
  /** What a path no spec matches gets: no rate limit, a JSON body. */
  private static final RouteSpec NO_SPEC = new RouteSpec(java.util.Optional.empty(), "/", true,
      java.util.Optional.empty(), RouteSpec.Body.JSON);
  private static final String SPEC = "parley.spec";

  private HttpApi() {}

  public static Future<Router> create(Deps d) {
    return ContractDocument.load(d.vertx(), CONTRACT_RESOURCE).compose(parley ->
        ContractDocument.load(d.vertx(), OPENAI_CONTRACT_RESOURCE).map(openAi -> build(d, parley, openAi)));
  }

  private static Router build(Deps d, ContractDocument parley, ContractDocument openAi) {
    OpenAPIContract contract = parley.contract();
    ParleyConfig.Http http = d.config().http();
    ClientIp clientIp = d.clientIp();
    Authenticator authenticator = new Authenticator(d.jwt(), contract);
    RateLimiter limiter = d.limiter().create(clientIp, authenticator);
    List<RouteSpec> specs = new ArrayList<>(OWN_SPECS);
    d.features().forEach(f -> specs.addAll(f.specs()));
    List<RouteSpec> lookup = RouteSpec.sorted(specs);

    RouterBuilder b = RouterBuilder.create(d.vertx(), contract, RequestExtractor.withBodyHandler());
    b.rootHandler(new RequestLog(d.ids(), clientIp));
    b.rootHandler((SecurityPolicyHandler) HttpApi::securityHeaders);
    if (!http.corsOrigins().isEmpty()) {
      CorsHandler cors = CorsHandler.create()
          .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH))
          .allowedHeaders(Set.of("Authorization", "Content-Type", "X-Request-Id"))
          .exposedHeaders(Set.of("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
              "Retry-After"))
          .maxAgeSeconds(600);
      for (String origin : http.corsOrigins()) {
        cors.addOrigin(origin);
      }
      b.rootHandler(cors);
    }
    b.rootHandler(new CanonicalPath());
    BodyHandler jsonBodies = BodyHandler.create(false).setBodyLimit(http.maxBodyBytes());
    // Uploads are read into memory (a photo is never written to disk unless kept), each kind within
    // its own budget: photos capped at PARLEY_PHOTO_MAX_BYTES plus room for the multipart framing,
    // audio files at OpenAI's limit; other requests there are JSON.
    MemoryUploads photoUploads = memoryUploads(d, jsonBodies, d.photos().maxPhotoBytes() + 64 * 1024L,
        new MemoryUploads.Budget("photo uploads", d.photos().uploadMemory(), "PARLEY_PHOTO_UPLOAD_MEMORY"),
        authenticator, "parley.photo.upload.bytes");
    MemoryUploads audioUploads = memoryUploads(d, jsonBodies, RouteSpec.Body.MAX_AUDIO_BYTES,
        new MemoryUploads.Budget("audio uploads", d.audioUploadMemory(), "PARLEY_AUDIO_UPLOAD_MEMORY"),
        authenticator, "parley.audio.upload.bytes");
    b.rootHandler(new PathBodyHandler(ctx -> spec(ctx, lookup), Map.of(RouteSpec.Body.JSON, jsonBodies,
        RouteSpec.Body.PHOTO, photoUploads, RouteSpec.Body.AUDIO, audioUploads),
        new UploadRate(http.uploadMinRate(), http.uploadRateWindow())));
    b.rootHandler(authenticator); // the first handler after the body's: it marks the body read (UploadRate)
    b.rootHandler(ctx -> {
      var limitClass = spec(ctx, lookup).limit();
      if (limitClass.isPresent()) {
        limiter.handler(limitClass.get()).handle(ctx);
      } else {
        ctx.next();
      }
    });
    b.rootHandler(new TextGuard());
    b.rootHandler(new ContractForms(d.vertx(), List.of(contract, openAi.contract())));

    d.features().forEach(f -> f.mountContract(b));
    String contractJson = parley.document().encode();
    b.getRoute("getContract").addHandler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(contractJson));
    b.getRoute("healthLive").addHandler(d.health()::live);
    b.getRoute("healthReady").addHandler(d.health()::ready);
    b.getRoute("metrics").addHandler(ctx -> ctx.vertx().executeBlocking(() -> d.metrics().scrape(), false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .end(text))
        .onFailure(ctx::fail));
    List<String> unhandled = b.getRoutes().stream().filter(r -> r.getHandlers().isEmpty())
        .map(r -> r.getOperation().getOperationId()).toList();
    if (!unhandled.isEmpty()) {
      throw new IllegalStateException("operations of the contract without a handler: " + unhandled);
    }

    // Authentication already happened in the Authenticator root handler (before validation);
    // multipart bodies are validated by ContractForms.
    b.getRoutes().forEach(r -> r.setDoSecurity(false).setDoValidation(!ContractForms.takesForms(r.getOperation())));
    Router router = b.createRouter();
    d.features().forEach(f -> f.mount(router));
    String openAiJson = openAi.document().encode();
    router.get(OPENAI_CONTRACT_PATH).handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(openAiJson));
    // The web client (plain ES modules from the jar's web/ folder) at /; anything it does not have
    // falls through to the 404 below. Registered last, so no API path can be shadowed by a file.
    router.get("/*").handler(StaticHandler.create("web").setIndexPage("index.html").setCachingEnabled(true)
        .setMaxAgeSeconds(300).setDefaultContentEncoding("UTF-8"));

    long maxPhotoBytes = d.photos().maxPhotoBytes();
    Failures failures = new Failures(ctx -> switch (spec(ctx, lookup).body()) {
      case JSON -> (long) http.maxBodyBytes();
      case PHOTO -> maxPhotoBytes;
      case AUDIO -> (long) RouteSpec.Body.MAX_AUDIO_BYTES;
    });
    router.route().failureHandler(failures);
    router.errorHandler(404, failures);
    router.errorHandler(405, failures);
    router.errorHandler(413, failures);
    router.errorHandler(500, failures);
    return router;
  }

  /** Uploads of one kind read into memory, their held bytes published as the gauge {@code gauge}. */
  private static MemoryUploads memoryUploads(Deps d, BodyHandler other, long limit, MemoryUploads.Budget budget,
                                             Authenticator authenticator, String gauge) {
    MemoryUploads uploads = new MemoryUploads(other, limit, budget, authenticator);
    io.micrometer.core.instrument.Gauge.builder(gauge, uploads, MemoryUploads::held)
        .description("Bytes held in memory by the " + budget.uploads() + " in progress (" + budget.key() + ")")
        .baseUnit("bytes").register(d.metrics());
    return uploads;
  }

  /** The spec of this request, looked up once and kept on the request. */
  private static RouteSpec spec(RoutingContext ctx, List<RouteSpec> lookup) {
    RouteSpec found = ctx.get(SPEC);
    if (found == null) {
      HttpMethod method = ctx.request().method();
      String path = ctx.request().path();
      found = lookup.stream().filter(s -> s.matches(method, path)).findFirst().orElse(NO_SPEC);
      ctx.put(SPEC, found);
    }
    return found;
  }

  /**
   * Only Parley's own scripts and styles; photos previewed from blob: URLs, WebSockets to this host
   * only (CSP3 'self' covers ws: and wss: of the same origin), no framing.
   */
  static final String CSP = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
      + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response().headers()
        .add("X-Content-Type-Options", "nosniff")
        .add("X-Frame-Options", "DENY")
        .add("Referrer-Policy", "no-referrer")
        .add("Content-Security-Policy", CSP)
        .add("Cross-Origin-Opener-Policy", "same-origin")
        .add("Strict-Transport-Security", "max-age=31536000");
    ctx.next();
  }
}
