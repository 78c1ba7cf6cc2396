package io.parley.api.calls.signal;

import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.parley.api.calls.signal.PartyPresence.Effect;
import io.parley.api.calls.signal.PartyPresence.Where;
import io.parley.api.calls.signal.protocol.ServerMessage;
import io.parley.api.calls.signal.protocol.SignalCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of one call: the parties connected here, where the others are (kept by a
 * {@link PartyPresence}, whose effects this room carries out), and the call's clock. A call whose
 * parties sit on two nodes has a room on each; the rooms talk over the call's Redis channel.
 *
 * <p>All state lives on one Vert.x context, the one the room was made on: what other event loops
 * (the peer's socket, the Redis subscriber, timers of the node) do to it hops there first
 * ({@link #run}). Relayed messages keep their order: they pass through this context in the order
 * they came, and hop on to the addressee's context in that order.
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
  /** The clock's one timer: the next warning, else the end; -1 when stopped. */
  private long clockTimer = -1;
  private final Context context;
  private final Thread thread;
  /** The nodes of the REMOTE parties, for the node's heartbeat checks (read from other threads). */
  private final AtomicReference<Map<Role, String>> remoteNodes = new AtomicReference<>(Map.of());

  /** A room living on {@code context}, whose event loop thread is {@code thread}. */
  Room(Rooms hub, Call call, Context context, Thread thread) {
    this.hub = hub;
    this.context = context;
    this.thread = thread;
    this.call = call;
    this.channel = "parley:call:" + call.id();
    this.busHandler = this::onBus;
    this.presence = new PartyPresence(call.id(), call.endsAt(), hub.settings().grace(), hub.nodeId());
  }

  /** Runs {@code task} on this room's context: at once when already there, else queued in order. */
  private void run(Runnable task) {
    if (Thread.currentThread() == thread) {
      task.run();
    } else {
      context.runOnContext(v -> task.run());
    }
  }

  /** Schedules the warnings and the end on this node (the timers fire on the room's context). */
  void startClock() {
    run(this::scheduleClock);
  }

  private void scheduleClock() {
    armClock(Long.MAX_VALUE);
  }

  /**
   * Arms the clock's one timer (a room holds one, not one per warning): the earliest warning still
   * ahead that is sent less than {@code beforeMillis} before the end, else the end itself.
   */
  private void armClock(long beforeMillis) {
    long now = System.currentTimeMillis();
    long endsAt = call.endsAt().toEpochMilli();
    long next = -1;
    for (Duration w : hub.settings().warnings()) {
      long before = w.toMillis();
      if (before < beforeMillis && endsAt - before > now && before > next) {
        next = before;
      }
    }
    if (next >= 0) {
      long before = next;
      clockTimer = hub.vertx().setTimer(endsAt - before - now, id -> {
        warn(before / 1000);
        armClock(before);
      });
      return;
    }
    // Rounded up to the next millisecond: toEpochMilli() drops ends_at's microseconds, and a timer
    // firing before ends_at would date the time-limit end early (duration_seconds one short).
    long untilEndNanos = Duration.between(Instant.now(), call.endsAt()).toNanos();
    clockTimer = hub.vertx().setTimer(Math.max(1, (untilEndNanos + 999_999) / 1_000_000), id -> {
      clockTimer = -1;
      hub.timeUp(call);
    });
  }

  private void stopClock() {
    if (clockTimer >= 0) {
      hub.vertx().cancelTimer(clockTimer);
      clockTimer = -1;
    }
  }

  /**
   * Seats a connection for its role, then hands it to {@code seated} on the connection's context.
   * {@code known} is the presence of both roles as stored in Redis before this join. When the room
   * closed meanwhile the party goes to {@code roomClosed} instead (the caller makes a new room).
   */
  void attach(SignalConnection c, Role role, Map<Role, String> known, Runnable seated, Runnable roomClosed) {
    run(() -> {
      if (presence.closed()) {
        roomClosed.run();
        return;
      }
      SignalConnection previous = local.put(role, c);
      if (previous != null && previous != c) {
        previous.replaced();
      }
      // Before the joined message: what the party sends after it must find its room.
      c.seatedIn(this, role);
      apply(presence.attached(role, known, Instant.now()));
      c.run(seated);
    });
  }

  /** Relays a validated client message to the peer: directly, through Redis, or into its outbox. */
  void relay(Role from, JsonObject message) {
    run(() -> {
      if (presence.closed()) {
        return;
      }
      Role to = from.peer();
      message.put("from", from.wire());
      switch (presence.where(to)) {
        case HERE -> local.get(to).deliver(message, held -> hub.hold(call, to, held));
        case REMOTE -> hub.publish(this, new RoomBusMessage.Relay(to, message, null));
        case AWAY, ABSENT -> hub.hold(call, to, message);
      }
    });
  }

  /**
   * Relays a client message that a peer connected here gets as its sender wrote it; one connected
   * elsewhere, or away, gets it as a JSON object (made only then).
   */
  void relay(Role from, SignalCodec.Verbatim message) {
    run(() -> {
      if (presence.closed()) {
        return;
      }
      Role to = from.peer();
      if (presence.where(to) == Where.HERE) {
        local.get(to).deliverAsSent(from, message, held -> hub.hold(call, to, held));
      } else {
        relay(from, message.json());
      }
    });
  }

  /** A connection left (ended, or sent {@code leave}): the party is away and its grace clock runs. */
  void detach(SignalConnection c) {
    run(() -> {
      for (Map.Entry<Role, SignalConnection> e : local.entrySet()) {
        if (e.getValue() == c) {
          Role role = e.getKey();
          local.remove(role);
          apply(presence.detached(role));
          return;
        }
      }
    });
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
    run(() -> {
      if (presence.closed()) {
        return;
      }
      switch (m) {
        case RoomBusMessage.Joined j -> apply(presence.remoteJoined(j.role(), j.node(), j.resumed()));
        case RoomBusMessage.Left l -> apply(presence.remoteLeft(l.role()));
        case RoomBusMessage.Drain d -> {
          SignalConnection to = local.get(d.to());
          if (to != null) {
            hub.redrain(call, d.to(), to);
          }
        }
        case RoomBusMessage.Relay r -> {
          SignalConnection to = local.get(r.to());
          if (to != null) {
            to.deliver(r.message(), held -> hub.hold(call, r.to(), held));
          } else {
            hub.hold(call, r.to(), r.message());
          }
        }
      }
      retireIfEmpty();
    });
  }

  /** The nodes this room's REMOTE parties are connected to. From any thread. */
  Map<Role, String> remoteNodes() {
    return remoteNodes.get();
  }

  /** {@code node} stopped its heartbeat: the parties it held are away (as if it had said "left"). */
  void remoteNodeGone(String node) {
    run(() -> {
      apply(presence.nodeGone(node));
      retireIfEmpty();
    });
  }

  /** Where Redis places the parties, re-read after the bus lost messages. */
  void resync(Map<Role, String> stored) {
    run(() -> {
      apply(presence.resync(stored));
      retireIfEmpty();
    });
  }

  /** A party this node took for away (or had not seen) is on {@code node} after all. */
  void remoteBack(Role role, String node) {
    run(() -> {
      apply(presence.remoteBack(role, node));
      retireIfEmpty();
    });
  }

  /** The call ended: tell the parties here, close their sockets, stop the clock. Idempotent. */
  void end(Call ended) {
    run(() -> {
      if (presence.closed()) {
        return;
      }
      apply(presence.ended());
      stopClock();
      ServerMessage.CallEnded msg = new ServerMessage.CallEnded(ended.id(), ended.endReason(), ended.endedAt(),
          ended.durationSeconds());
      local.values().forEach(c -> c.callEnded(msg));
      local.clear();
    });
  }

  /**
   * This node shuts down: each party here is away (its peer's node holds messages and keeps the
   * grace clock). Completes when Redis has them all, or could not take them.
   */
  Future<?> handOver() {
    Promise<Void> done = Promise.promise();
    run(() -> {
      List<Future<?>> away = new ArrayList<>();
      for (Role role : List.copyOf(local.keySet())) {
        local.remove(role);
        apply(presence.detached(role));
        away.add(hub.markAway(call, role));
      }
      Future.join(away).onComplete(ar -> done.complete());
    });
    return done.future();
  }

  /** Retires the room when it is empty, without ending the call (its parties are all elsewhere or gone). */
  void retireIfEmpty() {
    run(() -> {
      if (presence.retireIfEmpty()) {
        stopClock();
        hub.retired(this);
      }
    });
  }

  private void warn(long seconds) {
    for (SignalConnection c : local.values()) {
      c.send(new ServerMessage.CallWarning(seconds, call.endsAt()));
    }
  }

  private void graceTimerFired(Role role) {
    graceTimers.remove(role);
    apply(presence.graceOver(role));
  }

  /** Carries out what the presence machine decided, in order. On the room's context. */
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
            mine.replaced();
          }
        }
      }
    }
    remoteNodes.set(Map.copyOf(presence.remoteNodes()));
  }
}
