package io.parley.api.assistant;

import io.parley.api.accounts.AuditLog;
import io.parley.api.assistant.ConversationStore;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;

/** {@code /api/v1/conversations*}: the assistant conversations of the caller. */
public final class ConversationRoutes {

  private final ConversationStore conversations;
  private final AuditLog audit;

  public ConversationRoutes(ConversationStore conversations, AuditLog audit) {
    this.conversations = conversations;
    this.audit = audit;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("listConversations").addHandler(this::list);
    b.getRoute("listConversationMessages").addHandler(this::messages);
    b.getRoute("deleteConversation").addHandler(this::delete);
  }

  private void delete(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      UUID user = Authenticator.userId(ctx);
      UUID id = UUID.fromString(ctx.pathParam("conversationId"));
      Responses.noContentOrNotFound(ctx, audit.whenDone(ctx, conversations.delete(user, id), "conversation.deleted",
          user, "conversation:" + id), "conversation");
    });
  }

  private void list(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      String limit = ctx.queryParams().get("limit");
      String before = ctx.queryParams().get("before");
      Responses.json(ctx, 200, conversations.list(Authenticator.userId(ctx), limit == null ? 20 : Integer.parseInt(limit),
              Optional.ofNullable(before).map(OffsetDateTime::parse))
          .map(items -> new JsonObject().put("items", new JsonArray(items))));
    });
  }

  private void messages(RoutingContext ctx) {
    Responses.guarded(ctx, () -> {
      String limit = ctx.queryParams().get("limit");
      Responses.json(ctx, 200, conversations.messages(Authenticator.userId(ctx),
              UUID.fromString(ctx.pathParam("conversationId")), limit == null ? 100 : Integer.parseInt(limit))
          .map(m -> new JsonObject().put("items", new JsonArray(m.orElseThrow(
              () -> new ParleyException(Reason.NOT_FOUND, "no such conversation"))))));
    });
  }
}
