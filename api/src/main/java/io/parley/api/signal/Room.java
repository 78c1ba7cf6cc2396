package io.parley.api.signal;

import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.parley.api.signal.protocol.ServerMessage;
import io.parley.api.signal.protocol.SignalError;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of one call: the parties connected here, where the others are (connected to
 * another node, away within the grace period, or not yet there), and the call's clock. A call whose
 * parties sit on two nodes has a room on each; the rooms talk over the call's Redis channel.
 *
 * <p>All state is guarded by the room's monitor; sends to connections happen under it, which keeps
 * relayed messages in order. Connections never call back into a room while holding their own lock.
 */
final class Room {

  private static final Logger LOG = LoggerFactory.getLogger(Room.class);

  /** Where a party is, as this node knows it. */
  enum Presence { ABSENT, HERE, REMOTE, AWAY }

  final Call call;
  final String channel;
  final Handler<JsonObject> busHandler;
  private final SignalHub hub;
  private final Map<Role, SignalConnection> local = new EnumMap<>(Role.class);
  private final Map<Role, Presence> presence = new EnumMap<>(Role.class);
  private final Map<Role, Long> graceTimers = new EnumMap<>(Role.class);
  /** The node each REMOTE party is connected to, as far as this node knows. */
  private final Map<Role, String> remoteNode = new EnumMap<>(Role.class);
  private final List<Long> clockTimers = new ArrayList<>();
  private boolean closed;

  Room(SignalHub hub, Call call) {
    this.hub = hub;
    this.call = call;
    this.channel = "parley:call:" + call.id();
    this.busHandler = this::onBus;
    for (Role r : Role.values()) {
      presence.put(r, Presence.ABSENT);
    }
  }

  /** Schedules the warnings and the end on this node. */
  synchronized void startClock() {
    long now = System.currentTimeMillis();
    long endsAt = call.endsAt().toEpochMilli();
    for (Duration w : hub.settings().warnings()) {
      long at = endsAt - w.toMillis();
      if (at > now) {
        clockTimers.add(hub.vertx().setTimer(at - now, id -> warn(w.toSeconds())));
      }
    }
    // Rounded up to the next millisecond: toEpochMilli() drops ends_at's microseconds, and a timer
    // firing before ends_at would date the time-limit end early (duration_seconds one short).
    long untilEndNanos = Duration.between(Instant.now(), call.endsAt()).toNanos();
    clockTimers.add(hub.vertx().setTimer(Math.max(1, (untilEndNanos + 999_999) / 1_000_000), id -> hub.timeUp(call)));
  }

  synchronized boolean closed() {
    return closed;
  }

  synchronized boolean empty() {
    return local.isEmpty() && graceTimers.isEmpty();
  }

  /**
   * Seats a connection for its role. {@code known} is the presence of both roles as stored in
   * Redis before this join. Returns false when the room closed meanwhile (the caller makes a new one).
   */
  synchronized boolean attach(SignalConnection c, Role role, Map<Role, String> known) {
    if (closed) {
      return false;
    }
    SignalConnection previous = local.put(role, c);
    if (previous != null && previous != c) {
      previous.room = null;
      previous.error(SignalError.INVALID, "this party joined the call from another connection", null);
      previous.close(CloseCodes.REPLACED, "joined from another connection");
    }
    Long grace = graceTimers.remove(role);
    if (grace != null) {
      hub.vertx().cancelTimer(grace);
    }
    boolean resumed = known.get(role) != null || presence.get(role) == Presence.AWAY;
    presence.put(role, Presence.HERE);
    remoteNode.remove(role);
    Role peer = role.peer();
    if (presence.get(peer) == Presence.ABSENT && known.get(peer) != null) {
      if (SignalHub.AWAY.equals(known.get(peer))) {
        presence.put(peer, Presence.AWAY);
      } else {
        presence.put(peer, Presence.REMOTE);
        remoteNode.put(peer, known.get(peer));
      }
    }
    c.room = this;
    c.callRole = role;
    Instant now = Instant.now();
    c.send(new ServerMessage.Joined(call.id(), role,
        presence.get(peer) == Presence.HERE || presence.get(peer) == Presence.REMOTE, resumed, call.endsAt(), now,
        Math.max(0, Duration.between(now, call.endsAt()).toSeconds())));
    SignalConnection peerHere = local.get(peer);
    if (peerHere != null) {
      peerHere.send(new ServerMessage.PeerJoined(role, resumed));
    }
    hub.publish(this, new RoomBusMessage.Joined(role, resumed, null));
    return true;
  }

  /**
   * Relays a validated client message to the peer: directly, through Redis, or into its outbox.
   * {@code asSent}, when not null, is the client's text, exactly one JSON object with the same
   * content as {@code message}: a peer on this node gets it as it was written.
   */
  synchronized void relay(Role from, JsonObject message, String asSent) {
    relay(from, () -> message, asSent);
  }

  /** As above, with the parsed form made only when a path needs it (the local verbatim one does not). */
  synchronized void relay(Role from, java.util.function.Supplier<JsonObject> parsed, String asSent) {
    if (closed) {
      return;
    }
    Role to = from.peer();
    Presence where = presence.get(to);
    SignalConnection here = where == Presence.HERE ? local.get(to) : null;
    if (here != null && !here.closed && asSent != null) {
      here.deliverAsSent(from.wire(), asSent, () -> parsed.get().put("from", from.wire()));
      return;
    }
    JsonObject message = parsed.get().put("from", from.wire());
    switch (where) {
      case HERE -> {
        if (here.closed) {
          hub.hold(call, to, message);
        } else {
          here.deliver(message);
        }
      }
      case REMOTE -> hub.publish(this, new RoomBusMessage.Relay(to, message, null));
      case AWAY, ABSENT -> hub.hold(call, to, message);
    }
  }

  /** A connection left (dropped, or sent {@code leave}): the party is away and its grace clock runs. */
  synchronized void detach(SignalConnection c) {
    Role role = c.callRole;
    if (role == null || local.get(role) != c) {
      return;
    }
    local.remove(role);
    c.room = null;
    if (closed) {
      return;
    }
    presence.put(role, Presence.AWAY);
    long graceMs = hub.settings().grace().toMillis();
    graceTimers.put(role, hub.vertx().setTimer(graceMs, id -> graceOver(role)));
    hub.markAway(this, role);
    notifyLeft(role);
  }

  private void notifyLeft(Role role) {
    SignalConnection peer = local.get(role.peer());
    if (peer != null) {
      peer.send(new ServerMessage.PeerLeft(role, hub.settings().grace().toSeconds()));
    }
  }

  private void graceOver(Role role) {
    synchronized (this) {
      if (graceTimers.remove(role) == null || closed) {
        return;
      }
    }
    hub.graceOver(this, role);
  }

  /** Messages from this call's other rooms (other nodes). */
  private void onBus(JsonObject published) {
    RoomBusMessage m = RoomBusMessage.decode(published);
    if (m == null) {
      LOG.debug("call {}: bus message not understood, ignored: {}", call.id(), published.getValue("t"));
      return;
    }
    if (hub.nodeId().equals(m.node())) {
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      switch (m) {
        case RoomBusMessage.Joined j -> remoteJoined(j);
        case RoomBusMessage.Left l -> {
          if (presence.get(l.role()) == Presence.REMOTE) {
            remoteAway(l.role());
          }
        }
        case RoomBusMessage.Drain d -> {
          SignalConnection to = local.get(d.to());
          if (to != null && !to.closed) {
            hub.redrain(call, d.to(), to);
          }
        }
        case RoomBusMessage.Relay r -> {
          SignalConnection to = local.get(r.to());
          if (to != null && !to.closed) {
            to.deliver(r.message());
          } else {
            hub.hold(call, r.to(), r.message());
          }
        }
      }
    }
    hub.maybeRetire(this);
  }

  private void remoteJoined(RoomBusMessage.Joined j) {
    Role role = j.role();
    SignalConnection mine = local.remove(role);
    if (mine != null) {
      mine.room = null;
      mine.error(SignalError.INVALID, "this party joined the call from another connection", null);
      mine.close(CloseCodes.REPLACED, "joined from another connection");
    }
    Long grace = graceTimers.remove(role);
    if (grace != null) {
      hub.vertx().cancelTimer(grace);
    }
    presence.put(role, Presence.REMOTE);
    if (j.node() != null) {
      remoteNode.put(role, j.node());
    } else {
      remoteNode.remove(role);
    }
    SignalConnection peer = local.get(role.peer());
    if (peer != null) {
      peer.send(new ServerMessage.PeerJoined(role, j.resumed()));
    }
  }

  /**
   * A REMOTE party is away: tell the peer here and keep a grace clock on this node too (the node
   * the party left may be going away itself; graceOver checks Redis first, so two clocks end the
   * call once).
   */
  private void remoteAway(Role role) {
    presence.put(role, Presence.AWAY);
    remoteNode.remove(role);
    notifyLeft(role);
    if (!graceTimers.containsKey(role)) {
      graceTimers.put(role, hub.vertx().setTimer(hub.settings().grace().toMillis(), id -> graceOver(role)));
    }
  }

  /** The nodes this room's REMOTE parties are connected to. */
  synchronized Map<Role, String> remoteNodes() {
    return new EnumMap<>(remoteNode);
  }

  /** {@code node} stopped its heartbeat: the parties it held are away (as if it had said "left"). */
  synchronized void remoteNodeGone(String node) {
    if (closed) {
      return;
    }
    for (Role r : Role.values()) {
      if (presence.get(r) == Presence.REMOTE && node.equals(remoteNode.get(r))) {
        remoteAway(r);
      }
    }
  }

  /**
   * Where Redis places the parties not connected here, re-read after the bus lost messages: a party
   * it calls away is away here too; one it places on another node is there (see {@link #remoteBack}).
   */
  synchronized void resync(Map<Role, String> stored) {
    if (closed) {
      return;
    }
    for (Role r : Role.values()) {
      String where = stored.get(r);
      if (where == null || local.containsKey(r) || where.equals(hub.nodeId())) {
        continue;
      }
      if (SignalHub.AWAY.equals(where)) {
        if (presence.get(r) == Presence.REMOTE) {
          remoteAway(r);
        }
      } else if (presence.get(r) == Presence.REMOTE) {
        remoteNode.put(r, where);
      } else {
        remoteBack(r, where);
      }
    }
  }

  /**
   * A party this node took for away (or had not seen) is on {@code node} after all: its "joined"
   * was lost, or its grace ran out while Redis placed it on a live node (its heartbeat was only
   * late). It is REMOTE, its grace clock here stops, and the peer here hears it is back.
   */
  synchronized void remoteBack(Role role, String node) {
    Presence was = presence.get(role);
    if (closed || was == Presence.HERE || was == Presence.REMOTE || local.containsKey(role)) {
      return;
    }
    Long grace = graceTimers.remove(role);
    if (grace != null) {
      hub.vertx().cancelTimer(grace);
    }
    presence.put(role, Presence.REMOTE);
    remoteNode.put(role, node);
    SignalConnection peer = local.get(role.peer());
    if (peer != null) {
      peer.send(new ServerMessage.PeerJoined(role, was == Presence.AWAY));
    }
    // What this node held for the party meanwhile went to its outbox after its node drained it at
    // the join: that node drains it again (live messages published after this wait behind it).
    hub.publish(this, new RoomBusMessage.Drain(role, null));
  }

  private synchronized void warn(long seconds) {
    for (SignalConnection c : local.values()) {
      c.send(new ServerMessage.CallWarning(seconds, call.endsAt()));
    }
  }

  /** The call ended: tell the parties here, close their sockets, stop the clock. Idempotent. */
  void end(Call ended) {
    List<SignalConnection> parties;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      clockTimers.forEach(hub.vertx()::cancelTimer);
      graceTimers.values().forEach(hub.vertx()::cancelTimer);
      graceTimers.clear();
      parties = new ArrayList<>(local.values());
      local.clear();
    }
    ServerMessage msg = new ServerMessage.CallEnded(ended.id(), ended.endReason(), ended.endedAt(),
        ended.durationSeconds());
    for (SignalConnection c : parties) {
      c.room = null;
      c.send(msg);
      c.close(CloseCodes.NORMAL, "call ended");
    }
  }

  /** Parties connected here, for a shutdown that hands them over to the grace clock. */
  synchronized List<SignalConnection> parties() {
    return new ArrayList<>(local.values());
  }

  /** Retires an empty room without ending the call (its parties are all elsewhere or gone). */
  synchronized boolean retireIfEmpty() {
    if (closed || !local.isEmpty() || !graceTimers.isEmpty()) {
      return false;
    }
    closed = true;
    clockTimers.forEach(hub.vertx()::cancelTimer);
    return true;
  }

  synchronized int localParties() {
    return local.size();
  }
}
