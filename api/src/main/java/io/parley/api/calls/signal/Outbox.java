package io.parley.api.calls.signal;

import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Messages held for a party that is not connected, kept in order and bounded until it comes back. */
interface Outbox {

  /** Messages held per party at most; older ones are dropped first. */
  int MAX_MESSAGES = 256;

  /** Holds a server message for {@code to}; holds of one party keep their order. */
  void hold(Call call, Role to, JsonObject message);

  /** Takes everything held for the party, after the holds already under way. */
  Future<List<JsonObject>> drain(Call call, Role role);
}
