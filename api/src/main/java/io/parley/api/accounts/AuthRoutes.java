package io.parley.api.accounts;

import io.parley.api.accounts.AuthService;
import io.parley.api.accounts.UserStore;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.parley.api.http.RequestLog;
import io.parley.api.http.Responses;
import io.parley.api.http.Authenticator;
import io.parley.api.http.ClientIp;

/** {@code /api/v1/auth/*}: bodies arrive validated against the contract. */
public final class AuthRoutes {

  private final AuthService auth;
  private final UserStore users;
  private final ClientIp clientIp;

  public AuthRoutes(AuthService auth, UserStore users, ClientIp clientIp) {
    this.auth = auth;
    this.users = users;
    this.clientIp = clientIp;
  }

  public void mount(RouterBuilder b) {
    b.getRoute("signup").addHandler(this::signup);
    b.getRoute("login").addHandler(this::login);
    b.getRoute("refresh").addHandler(this::refresh);
    b.getRoute("logout").addHandler(this::logout);
    b.getRoute("authMe").addHandler(this::me);
  }

  private void signup(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    Responses.json(ctx, 201, auth.signup(body.getString("email"), body.getString("password"), body.getString("name"),
        client(ctx)));
  }

  private void login(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    Responses.json(ctx, 200, auth.login(body.getString("email"), body.getString("password"), client(ctx)));
  }

  private void refresh(RoutingContext ctx) {
    Responses.json(ctx, 200, auth.refresh(ctx.body().asJsonObject().getString("refresh_token"), client(ctx)));
  }

  private void logout(RoutingContext ctx) {
    Responses.noContent(ctx, auth.logout(ctx.body().asJsonObject().getString("refresh_token")));
  }

  private void me(RoutingContext ctx) {
    Responses.guarded(ctx, () -> Responses.json(ctx, 200, users.byId(Authenticator.userId(ctx)).map(u -> u
        .orElseThrow(() -> new ParleyException(Reason.UNAUTHENTICATED, "user no longer exists"))
        .toJson())));
  }

  private AuthService.Client client(RoutingContext ctx) {
    String ua = ctx.request().getHeader("User-Agent");
    return new AuthService.Client(clientIp.of(ctx), ua == null ? null : ua.substring(0, Math.min(ua.length(), 256)),
        RequestLog.requestId(ctx));
  }
}
