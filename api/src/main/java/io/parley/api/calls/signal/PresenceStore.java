package io.parley.api.calls.signal;

import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.vertx.core.Future;
import java.util.Map;
import java.util.UUID;

/**
 * Where each party of a call is, as stored for the whole cluster: the id of the node it is
 * connected to, or {@link #AWAY}. What one node's {@link PartyPresence} starts from and re-reads.
 */
interface PresenceStore {

  /** The entry of a party whose connection ended. */
  String AWAY = "away";

  /** Records the party as connected to this node; returns where both parties were before. */
  Future<Map<Role, String>> present(Call call, Role role);

  /** Records the party as away. */
  Future<Void> markAway(UUID callId, Role role);

  /** Where both parties are (a role without an entry is missing). */
  Future<Map<Role, String>> read(UUID callId);
}
