package io.parley.api.calls.signal;

import io.vertx.core.Future;
import java.util.List;
import java.util.Set;

/**
 * Heartbeats of the cluster's nodes, so that the parties of a node that crashed (and so never said
 * they left) can be taken for away. Only a node that marks itself as keeping a heartbeat can be
 * found silent: a node of an older version, during a rolling upgrade, keeps its calls.
 */
interface NodeLiveness {

  /** How often each node renews its heartbeat and checks those of the nodes its rooms' peers sit on. */
  long HEARTBEAT_MILLIS = 5_000;

  /** Renews this node's heartbeat. */
  void beat();

  /** This node stops: its heartbeat goes at once. */
  Future<Void> stop();

  /** Those of {@code nodes} that keep a heartbeat and missed it; fails when that cannot be told. */
  Future<Set<String>> silent(List<String> nodes);
}
