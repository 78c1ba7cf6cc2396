package io.parley.api.calls;

import io.parley.api.accounts.UserStore;
import io.parley.api.calls.signal.SignalHub;
import io.parley.api.http.Feature;
import io.parley.core.Ids;
import io.vertx.core.Handler;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Expert calls: booking ({@code /api/v1/appointments*}), the calls themselves with their ICE servers
 * and consent ({@code /api/v1/calls*}), and the signalling WebSocket {@code /api/v1/signal}.
 */
public final class CallsFeature implements Feature {

  private final Pool pool;
  private final CallService calls;
  private final Optional<SignalHub> signal;
  private final UserStore users;
  private final Ids ids;

  /** {@code signal}: the signalling endpoint, absent on a node without the signal role. */
  public CallsFeature(Pool pool, CallService calls, Optional<SignalHub> signal, UserStore users, Ids ids) {
    this.pool = pool;
    this.calls = calls;
    this.signal = signal;
    this.users = users;
    this.ids = ids;
  }

  @Override
  public void mountContract(RouterBuilder contract) {
    new AppointmentRoutes(new AppointmentStore(pool), calls, ids, Clock.systemUTC(), users).mount(contract);
    new CallRoutes(calls, users).mount(contract);
  }

  @Override
  public Map<String, Handler<ServerWebSocketHandshake>> webSockets() {
    return signal.<Map<String, Handler<ServerWebSocketHandshake>>>map(s -> Map.of(SignalHub.PATH, s::handshake))
        .orElse(Map.of());
  }
}
