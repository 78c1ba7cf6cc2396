package io.parley.api.assistant.memory;

import io.parley.api.accounts.AuditLog;
import io.parley.api.http.Authenticator;
import io.parley.api.http.Responses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.UUID;

/**
 * {@code /api/v1/memories*}: what the assistant keeps about the caller, to see, add to and remove
 * from. Another user's memory is a 404, as one that does not exist.
 */
public final class MemoryRoutes {

  private final MemoryStore memories;
  private final AuditLog audit;

  public MemoryRoutes(MemoryStore memories, AuditLog audit) {
    this.memories = memories;
    this.audit = audit;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("listMemories").addHandler(this::list);
    b.getRoute("createMemory").addHandler(this::create);
    b.getRoute("deleteMemory").addHandler(this::delete);
  }

  private void list(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      String limit = ctx.queryParams().get("limit");
      Responses.json(ctx, 200, memories.list(Authenticator.userId(ctx), limit == null ? 100 : Integer.parseInt(limit))
          .map(items -> new JsonObject().put("items", new JsonArray(items.stream().map(Memory::toJson).toList()))));
    });
  }

  private void create(RoutingContext ctx) {
    Responses.guarded(ctx, () -> Responses.json(ctx, 201, memories.remember(Authenticator.userId(ctx),
        ctx.body().asJsonObject().getString("content"), null).map(Memory::toJson)));
  }

  private void delete(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID user = Authenticator.userId(ctx);
      UUID id = UUID.fromString(ctx.pathParam("memoryId"));
      Responses.noContentOrNotFound(ctx, audit.whenDone(ctx, memories.forget(user, id), "memory.deleted", user,
          "memory:" + id), "memory");
    });
  }
}
