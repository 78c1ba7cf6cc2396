package io.parley.api.accounts;

import io.parley.api.calls.CallService;
import io.parley.api.http.ClientIp;
import io.parley.api.http.Feature;
import io.parley.api.http.RateLimiter.LimitClass;
import io.parley.api.http.RouteSpec;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.sqlclient.Pool;
import java.util.List;

/**
 * Accounts: sign-up, login and tokens ({@code /api/v1/auth/*}, the auth rate-limit class per IP but
 * for {@code /auth/me}), the caller's account, profile, export and deletion, expert listings, and
 * the admin views.
 */
public final class AccountsFeature implements Feature {

  private final AuthService auth;
  private final UserStore users;
  private final ExpertStore experts;
  private final DataExport export;
  private final Pool pool;
  private final ClientIp clientIp;
  private final AuditLog audit;
  private final CallService calls;
  private final DeletedAccounts deleted;

  public AccountsFeature(AuthService auth, UserStore users, ExpertStore experts, DataExport export, Pool pool,
                         ClientIp clientIp, AuditLog audit, CallService calls, DeletedAccounts deleted) {
    this.auth = auth;
    this.users = users;
    this.experts = experts;
    this.export = export;
    this.pool = pool;
    this.clientIp = clientIp;
    this.audit = audit;
    this.calls = calls;
    this.deleted = deleted;
  }

  @Override
  public void mountContract(RouterBuilder contract) {
    new AuthRoutes(auth, users, clientIp).mount(contract);
    new UserRoutes(users, export, pool, audit, calls, deleted).mount(contract);
    new ExpertRoutes(experts, audit).mount(contract);
    new AdminRoutes(users, pool, audit).mount(contract);
  }

  @Override
  public List<RouteSpec> specs() {
    return List.of(
        RouteSpec.under("/api/v1/auth/", LimitClass.AUTH),
        RouteSpec.exact("/api/v1/auth/me", LimitClass.API));
  }
}
