package io.parley.api.signal;

import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.parley.api.signal.PartyPresence.Effect;
import io.parley.api.signal.PartyPresence.Where;
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
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of one call: the parties connected here, where the others are (kept by a
 * {@link PartyPresence}, whose effects this room carries out), and the call's clock. A call whose
 * parties sit on two nodes has a room on each; the rooms talk over the call's Redis channel.
 *
 * <p>All state is guarded by the room's monitor; sends to connections happen under it, which keeps
 * relayed messages in order. Connections never call back into a room while holding their own lock.
 */
final class Room {

  private static final Logger LOG = LoggerFactory.getLogger(Room.class);

  final Call call;
  final String channel;
  final Handler<JsonObject> busHandler;
  private final Rooms hub;
  private final PartyPresence presence;
  private final Map<Role, SignalConnection> local = new EnumMap<>(Role.class);
  private final Map<Role, Long> graceTimers = new EnumMap<>(Role.class);
  private final List<Long> clockTimers = new ArrayList<>();

  Room(Rooms hub, Call call) {
    this.hub = hub;
    this.call = call;
    this.channel = "parley:call:" + call.id();
    this.busHandler = this::onBus;
    this.presence = new PartyPresence(call.id(), call.endsAt(), hub.settings().grace(), hub.nodeId());
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

  /**
   * Seats a connection for its role. {@code known} is the presence of both roles as stored in
   * Redis before this join. Returns false when the room closed meanwhile (the caller makes a new one).
   */
  synchronized boolean attach(SignalConnection c, Role role, Map<Role, String> known) {
    if (presence.closed()) {
      return false;
    }
    SignalConnection previous = local.put(role, c);
    if (previous != null && previous != c) {
      replaced(previous);
    }
    c.room = this;
    c.callRole = role;
    apply(presence.attached(role, known, Instant.now()));
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
  synchronized void relay(Role from, Supplier<JsonObject> parsed, String asSent) {
    if (presence.closed()) {
      return;
    }
    Role to = from.peer();
    Where where = presence.where(to);
    SignalConnection here = where == Where.HERE ? local.get(to) : null;
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

  /** A connection left (ended, or sent {@code leave}): the party is away and its grace clock runs. */
  synchronized void detach(SignalConnection c) {
    Role role = c.callRole;
    if (role == null || local.get(role) != c) {
      return;
    }
    local.remove(role);
    c.room = null;
    apply(presence.detached(role));
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
      if (presence.closed()) {
        return;
      }
      switch (m) {
        case RoomBusMessage.Joined j -> apply(presence.remoteJoined(j.role(), j.node(), j.resumed()));
        case RoomBusMessage.Left l -> apply(presence.remoteLeft(l.role()));
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

  /** The nodes this room's REMOTE parties are connected to. */
  synchronized Map<Role, String> remoteNodes() {
    return presence.remoteNodes();
  }

  /** {@code node} stopped its heartbeat: the parties it held are away (as if it had said "left"). */
  synchronized void remoteNodeGone(String node) {
    apply(presence.nodeGone(node));
  }

  /** Where Redis places the parties, re-read after the bus lost messages. */
  synchronized void resync(Map<Role, String> stored) {
    apply(presence.resync(stored));
  }

  /** A party this node took for away (or had not seen) is on {@code node} after all. */
  synchronized void remoteBack(Role role, String node) {
    apply(presence.remoteBack(role, node));
  }

  /** The call ended: tell the parties here, close their sockets, stop the clock. Idempotent. */
  void end(Call ended) {
    List<SignalConnection> parties;
    synchronized (this) {
      if (presence.closed()) {
        return;
      }
      apply(presence.ended());
      clockTimers.forEach(hub.vertx()::cancelTimer);
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
    if (!presence.retireIfEmpty()) {
      return false;
    }
    clockTimers.forEach(hub.vertx()::cancelTimer);
    return true;
  }

  private synchronized void warn(long seconds) {
    for (SignalConnection c : local.values()) {
      c.send(new ServerMessage.CallWarning(seconds, call.endsAt()));
    }
  }

  private synchronized void graceTimerFired(Role role) {
    graceTimers.remove(role);
    apply(presence.graceOver(role));
  }

  /** Carries out what the presence machine decided, in order. Called under the monitor. */
  private void apply(List<Effect> effects) {
    for (Effect e : effects) {
      switch (e) {
        case Effect.Send s -> {
          SignalConnection to = local.get(s.to());
          if (to != null) {
            to.send(s.message());
          }
        }
        case Effect.Publish p -> hub.publish(this, p.message());
        case Effect.StoreAway a -> hub.storeAway(this, a.role());
        case Effect.StartGrace g -> {
          Long previous = graceTimers.put(g.role(),
              hub.vertx().setTimer(hub.settings().grace().toMillis(), id -> graceTimerFired(g.role())));
          if (previous != null) {
            hub.vertx().cancelTimer(previous);
          }
        }
        case Effect.CancelGrace g -> {
          Long timer = graceTimers.remove(g.role());
          if (timer != null) {
            hub.vertx().cancelTimer(timer);
          }
        }
        case Effect.CheckGrace g -> hub.graceOver(this, g.role());
        case Effect.CloseReplaced r -> {
          SignalConnection mine = local.remove(r.role());
          if (mine != null) {
            replaced(mine);
          }
        }
      }
    }
  }

  private static void replaced(SignalConnection c) {
    c.room = null;
    c.error(SignalError.INVALID, "this party joined the call from another connection", null);
    c.close(CloseCodes.REPLACED, "joined from another connection");
  }
}
