package io.parley.api.calls.signal;

import io.parley.api.calls.Call.Role;
import io.parley.api.calls.signal.protocol.ServerMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Where the two parties of a call are, as one node's room knows it, as a pure state machine: each
 * event (a party joined or left here, a bus message from another node, a grace period ran out, ...)
 * changes the state and returns the effects the room carries out, in order. No sockets, timers or
 * Redis here, and no locking: the room serialises the calls.
 *
 * <p>A party is {@link Where#HERE} (connected to this node), {@link Where#REMOTE} (connected to
 * another node), {@link Where#AWAY} (dropped; its grace clock runs) or {@link Where#ABSENT} (not
 * seen yet). Presence entries in Redis name a party's node, or {@link PresenceStore#AWAY}.
 */
final class PartyPresence {

  /** Where a party is, as this node knows it. */
  enum Where { ABSENT, HERE, REMOTE, AWAY }

  /** What the room does after an event. */
  sealed interface Effect {
    /** Send to the party {@code to} connected here. */
    record Send(Role to, ServerMessage message) implements Effect {}

    /** Tell the call's rooms on other nodes. */
    record Publish(RoomBusMessage message) implements Effect {}

    /** Record in Redis that the party is away. */
    record StoreAway(Role role) implements Effect {}

    /** Start the party's grace clock; when it runs out, call {@link #graceOver}. */
    record StartGrace(Role role) implements Effect {}

    /** Stop the party's grace clock. */
    record CancelGrace(Role role) implements Effect {}

    /** The party's grace ran out here: ask Redis whether it came back elsewhere, else end the call. */
    record CheckGrace(Role role) implements Effect {}

    /** Close the party's connection here: it joined from another node. */
    record CloseReplaced(Role role) implements Effect {}
  }

  private final UUID callId;
  private final Instant endsAt;
  private final long graceSeconds;
  private final String thisNode;
  private final Map<Role, Where> where = new EnumMap<>(Role.class);
  /** The node each REMOTE party is connected to, as far as this node knows. */
  private final Map<Role, String> remoteNode = new EnumMap<>(Role.class);
  private final Set<Role> graceRunning = EnumSet.noneOf(Role.class);
  private boolean closed;

  PartyPresence(UUID callId, Instant endsAt, Duration grace, String thisNode) {
    this.callId = callId;
    this.endsAt = endsAt;
    this.graceSeconds = grace.toSeconds();
    this.thisNode = thisNode;
    for (Role r : Role.values()) {
      where.put(r, Where.ABSENT);
    }
  }

  Where where(Role role) {
    return where.get(role);
  }

  boolean closed() {
    return closed;
  }

  /** No party here and no grace clock running. */
  boolean empty() {
    return !where.containsValue(Where.HERE) && graceRunning.isEmpty();
  }

  /** The nodes the REMOTE parties are connected to. */
  Map<Role, String> remoteNodes() {
    return new EnumMap<>(remoteNode);
  }

  /**
   * A party joined here. {@code known} is the presence of both roles as stored in Redis before this
   * join; {@code now} dates the {@code joined} answer.
   */
  List<Effect> attached(Role role, Map<Role, String> known, Instant now) {
    List<Effect> out = new ArrayList<>();
    if (closed) {
      return out;
    }
    if (graceRunning.remove(role)) {
      out.add(new Effect.CancelGrace(role));
    }
    boolean resumed = known.get(role) != null || where.get(role) == Where.AWAY;
    where.put(role, Where.HERE);
    remoteNode.remove(role);
    Role peer = role.peer();
    String peerKnown = known.get(peer);
    if (where.get(peer) == Where.ABSENT && peerKnown != null) {
      if (PresenceStore.AWAY.equals(peerKnown)) {
        where.put(peer, Where.AWAY);
      } else {
        where.put(peer, Where.REMOTE);
        remoteNode.put(peer, peerKnown);
      }
    }
    boolean peerPresent = where.get(peer) == Where.HERE || where.get(peer) == Where.REMOTE;
    out.add(new Effect.Send(role, new ServerMessage.Joined(callId, role, peerPresent, resumed, endsAt, now,
        Math.max(0, Duration.between(now, endsAt).toSeconds()))));
    if (where.get(peer) == Where.HERE) {
      out.add(new Effect.Send(peer, new ServerMessage.PeerJoined(role, resumed)));
    }
    out.add(new Effect.Publish(new RoomBusMessage.Joined(role, resumed, null)));
    return out;
  }

  /** The party's connection here ended (dropped, closed, or {@code leave}): it is away, its grace clock runs. */
  List<Effect> detached(Role role) {
    List<Effect> out = new ArrayList<>();
    if (closed || where.get(role) != Where.HERE) {
      return out;
    }
    where.put(role, Where.AWAY);
    graceRunning.add(role);
    out.add(new Effect.StartGrace(role));
    out.add(new Effect.StoreAway(role));
    out.add(new Effect.Publish(new RoomBusMessage.Left(role, null)));
    notifyLeft(role, out);
    return out;
  }

  /** The party's grace clock ran out here. */
  List<Effect> graceOver(Role role) {
    if (closed || !graceRunning.remove(role)) {
      return List.of();
    }
    return List.of(new Effect.CheckGrace(role));
  }

  /** Another node says the party joined there: a connection of it here is replaced. */
  List<Effect> remoteJoined(Role role, String node, boolean resumed) {
    List<Effect> out = new ArrayList<>();
    if (closed) {
      return out;
    }
    if (where.get(role) == Where.HERE) {
      out.add(new Effect.CloseReplaced(role));
    }
    if (graceRunning.remove(role)) {
      out.add(new Effect.CancelGrace(role));
    }
    where.put(role, Where.REMOTE);
    if (node != null) {
      remoteNode.put(role, node);
    } else {
      remoteNode.remove(role);
    }
    if (where.get(role.peer()) == Where.HERE) {
      out.add(new Effect.Send(role.peer(), new ServerMessage.PeerJoined(role, resumed)));
    }
    return out;
  }

  /** Another node says the party it held left it. */
  List<Effect> remoteLeft(Role role) {
    List<Effect> out = new ArrayList<>();
    if (!closed && where.get(role) == Where.REMOTE) {
      remoteAway(role, out);
    }
    return out;
  }

  /** {@code node} stopped its heartbeat: the parties it held are away (as if it had said "left"). */
  List<Effect> nodeGone(String node) {
    List<Effect> out = new ArrayList<>();
    if (closed) {
      return out;
    }
    for (Role r : Role.values()) {
      if (where.get(r) == Where.REMOTE && node.equals(remoteNode.get(r))) {
        remoteAway(r, out);
      }
    }
    return out;
  }

  /**
   * Where Redis places the parties not connected here, re-read after the bus lost messages: a party
   * it calls away is away here too; one it places on another node is there (see {@link #remoteBack}).
   */
  List<Effect> resync(Map<Role, String> stored) {
    List<Effect> out = new ArrayList<>();
    if (closed) {
      return out;
    }
    for (Role r : Role.values()) {
      String at = stored.get(r);
      if (at == null || where.get(r) == Where.HERE || at.equals(thisNode)) {
        continue;
      }
      if (PresenceStore.AWAY.equals(at)) {
        if (where.get(r) == Where.REMOTE) {
          remoteAway(r, out);
        }
      } else if (where.get(r) == Where.REMOTE) {
        remoteNode.put(r, at);
      } else {
        out.addAll(remoteBack(r, at));
      }
    }
    return out;
  }

  /**
   * A party this node took for away (or had not seen) is on {@code node} after all: its "joined"
   * was lost, or its grace ran out while Redis placed it on a live node (its heartbeat was only
   * late). It is REMOTE, its grace clock here stops, and the peer here hears it is back. What this
   * node held for it meanwhile went to its outbox after its node drained it at the join: that node
   * drains it again.
   */
  List<Effect> remoteBack(Role role, String node) {
    List<Effect> out = new ArrayList<>();
    Where was = where.get(role);
    if (closed || was == Where.HERE || was == Where.REMOTE) {
      return out;
    }
    if (graceRunning.remove(role)) {
      out.add(new Effect.CancelGrace(role));
    }
    where.put(role, Where.REMOTE);
    remoteNode.put(role, node);
    if (where.get(role.peer()) == Where.HERE) {
      out.add(new Effect.Send(role.peer(), new ServerMessage.PeerJoined(role, was == Where.AWAY)));
    }
    out.add(new Effect.Publish(new RoomBusMessage.Drain(role, null)));
    return out;
  }

  /** The call ended: every grace clock stops, nothing changes after this. */
  List<Effect> ended() {
    List<Effect> out = new ArrayList<>();
    if (closed) {
      return out;
    }
    closed = true;
    for (Role r : graceRunning) {
      out.add(new Effect.CancelGrace(r));
    }
    graceRunning.clear();
    return out;
  }

  /** Closes when nobody is here and no grace clock runs (the call goes on elsewhere, or ends there). */
  boolean retireIfEmpty() {
    if (closed || !empty()) {
      return false;
    }
    closed = true;
    return true;
  }

  /**
   * A REMOTE party is away: tell the peer here and keep a grace clock on this node too (the node
   * the party left may be going away itself; the grace check asks Redis first, so two clocks end
   * the call once).
   */
  private void remoteAway(Role role, List<Effect> out) {
    where.put(role, Where.AWAY);
    remoteNode.remove(role);
    notifyLeft(role, out);
    if (graceRunning.add(role)) {
      out.add(new Effect.StartGrace(role));
    }
  }

  private void notifyLeft(Role role, List<Effect> out) {
    if (where.get(role.peer()) == Where.HERE) {
      out.add(new Effect.Send(role.peer(), new ServerMessage.PeerLeft(role, graceSeconds)));
    }
  }
}
