package io.parley.api.accounts;

import io.parley.api.accounts.ExpertStore;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.UUID;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;

/** {@code /api/v1/experts*}: listings. */
public final class ExpertRoutes {

  private final ExpertStore experts;
  private final AuditLog audit;

  public ExpertRoutes(ExpertStore experts, AuditLog audit) {
    this.experts = experts;
    this.audit = audit;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("upsertMyExpert").addHandler(this::upsertMine);
    b.getRoute("listExperts").addHandler(this::list);
    b.getRoute("getExpert").addHandler(this::get);
  }

  private void upsertMine(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID id = Authenticator.userId(ctx);
      JsonObject body = ctx.body().asJsonObject();
      Responses.json(ctx, 200, experts.upsert(id, body).compose(listing -> audit.record(ctx, "expert.updated", id,
          null, AuditLog.fields(body)).map(listing)));
    });
  }

  // The directory is for signed-in users only; the Authenticator enforces it from the contract, and
  // these handlers check again so that a route reached another way can never serve it anonymously.
  private void list(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      var q = ctx.queryParams();
      String limit = q.get("limit");
      Responses.json(ctx, 200, experts.list(q.get("specialization"), q.get("city"),
              limit == null ? 20 : Integer.parseInt(limit), q.get("cursor"))
          .map(page -> new JsonObject().put("items", new JsonArray(page.items()))
              .put("next_cursor", page.nextCursor().orElse(null))));
    });
  }

  private void get(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      Authenticator.userId(ctx);
      UUID id = UUID.fromString(ctx.pathParam("expertId"));
      Responses.json(ctx, 200, experts.byId(id).map(e -> e
          .orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no such expert"))));
    });
  }
}
