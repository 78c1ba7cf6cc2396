package io.parley.api.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code /health/live}: the process serves HTTP. {@code /health/ready}: PostgreSQL and Redis
 * answer (503 otherwise, so a load balancer drains this node); model files are reported, and a
 * missing one makes the status "degraded" (200: everything but that model's feature works), and so
 * does an engine worker process that is starting again after it died ({@code checks.engines}).
 */
public final class Health {

  /** Checks may take this long before they count as down. */
  static final long CHECK_TIMEOUT_MS = 1_000;

  private final Pool pool;
  private final RedisAPI redis;
  private final Path modelsDir;
  private final List<String> modelFiles;
  private volatile java.util.function.Supplier<JsonObject> engines = JsonObject::new;

  public Health(Pool pool, RedisAPI redis, Path modelsDir, List<String> modelFiles) {
    this.pool = pool;
    this.redis = redis;
    this.modelsDir = modelsDir;
    this.modelFiles = List.copyOf(modelFiles);
  }

  /** Where the engine workers' states come from (each {@code "up"} or why not), once they exist. */
  public void engines(java.util.function.Supplier<JsonObject> states) {
    this.engines = states;
  }

  public void live(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").end("{\"status\":\"up\"}");
  }

  public void ready(RoutingContext ctx) {
    Future<String> pg = pool.query("SELECT 1").execute().map("up")
        .timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS).otherwise(t -> "down: " + t.getMessage());
    Future<String> rd = redis.ping(List.of()).map("up")
        .timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS).otherwise(t -> "down: " + t.getMessage());
    ctx.vertx().<JsonObject>executeBlocking(this::models, false).onComplete(models ->
        Future.join(pg, rd).onComplete(done -> {
          JsonObject m = models.succeeded() ? models.result() : new JsonObject().put("error", models.cause().getMessage());
          boolean up = "up".equals(pg.result()) && "up".equals(rd.result());
          boolean allModels = m.stream().allMatch(e -> "present".equals(e.getValue()));
          JsonObject workers = engines.get();
          boolean allEngines = workers.stream().allMatch(e -> "up".equals(e.getValue()));
          JsonObject checks = new JsonObject().put("postgres", pg.result()).put("redis", rd.result()).put("models", m);
          if (!workers.isEmpty()) {
            checks.put("engines", workers);
          }
          JsonObject body = new JsonObject()
              .put("status", !up ? "unavailable" : allModels && allEngines ? "ready" : "degraded")
              .put("checks", checks);
          ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
              .putHeader("Cache-Control", "no-store").end(body.toBuffer());
        }));
  }

  private JsonObject models() {
    JsonObject out = new JsonObject();
    for (String f : modelFiles) {
      out.put(f, Files.isRegularFile(modelsDir.resolve(f)) ? "present" : "missing");
    }
    return out;
  }
}
