package io.parley.api.calls.signal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.api.calls.Call;
import io.parley.api.calls.Call.Role;
import io.parley.api.calls.CallOptions;
import io.parley.api.calls.CallService;
import io.parley.api.calls.EndReason;
import io.parley.api.cluster.ClusterBus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rooms of the calls with a party on this node: seating a party (presence, held messages),
 * retiring a room nobody needs, the grace and time-limit ends, the peers' nodes' heartbeats, and
 * the handover at shutdown. What a {@link Room} asks of the node goes through here.
 */
final class Rooms {

  private static final Logger LOG = LoggerFactory.getLogger(Rooms.class);
  /** A node whose heartbeat is missing on this many checks in a row is taken for dead. */
  static final int HEARTBEATS_MISSED_FOR_DEAD = 2;
  /** A grace check that Redis cannot answer is asked again this many times, this far apart. */
  static final int GRACE_RETRIES = 5;
  static final long GRACE_RETRY_MS = 2_000;
  /** How long an ended call is remembered, so that a join racing the end cannot open a room for it. */
  static final long RECENTLY_ENDED_MILLIS = 60_000;
  /** A second drain after a join, for what a peer's node held while this party's presence was written. */
  static final long LATE_DRAIN_MILLIS = 500;

  private final Vertx vertx;
  private final CallOptions settings;
  private final CallService calls;
  private final ClusterBus bus;
  private final PresenceStore presence;
  private final Outbox outbox;
  private final NodeLiveness liveness;
  private final Counter nodesLost;
  private final Map<UUID, Room> rooms = new ConcurrentHashMap<>();
  private final Map<UUID, Call> recentlyEnded = new ConcurrentHashMap<>();
  /** Nodes holding a party of a room here whose heartbeat was missing, and how many checks in a row. */
  private final Map<String, Integer> missedHeartbeats = new ConcurrentHashMap<>();
  private final long heartbeatTimer;
  private final AtomicBoolean closing = new AtomicBoolean();

  Rooms(Vertx vertx, CallOptions settings, CallService calls, ClusterBus bus, PresenceStore presence,
        Outbox outbox, NodeLiveness liveness, MeterRegistry metrics) {
    this.vertx = vertx;
    this.settings = settings;
    this.calls = calls;
    this.bus = bus;
    this.presence = presence;
    this.outbox = outbox;
    this.liveness = liveness;
    this.nodesLost = Counter.builder("parley.signal.peer.nodes.lost")
        .description("Nodes taken for dead by their missing heartbeat while holding a party of a call here")
        .register(metrics);
    Gauge.builder("parley.signal.rooms", rooms, Map::size)
        .description("Calls with a party connected to this node").register(metrics);
    calls.onEnded(this::callEnded);
    calls.trackLocal(() -> Set.copyOf(rooms.keySet()));
    bus.onConnected(this::resyncPresence);
    beat();
    heartbeatTimer = vertx.setPeriodic(NodeLiveness.HEARTBEAT_MILLIS, id -> {
      beat();
      checkPeerNodes();
    });
  }

  Vertx vertx() {
    return vertx;
  }

  CallOptions settings() {
    return settings;
  }

  String nodeId() {
    return bus.nodeId();
  }

  int count() {
    return rooms.size();
  }

  /** Records the party as here and seats its connection in the call's room, held messages first. */
  void join(SignalConnection c, Call call, Role role) {
    presence.present(call, role).onComplete(known -> c.run(() -> {
      c.joining = false;
      seat(c, call, role, known.succeeded() ? known.result() : Map.of());
    }));
  }

  /** On the connection's context. */
  private void seat(SignalConnection c, Call call, Role role, Map<Role, String> known) {
    if (c.closed) {
      // Presence already says "here": correct it, or nobody's grace clock would end the call.
      presence.markAway(call.id(), role).onFailure(t -> LOG.debug("presence not stored: {}", t.toString()));
      return;
    }
    // Messages held while this party was away go first; live ones wait behind them.
    c.draining();
    place(c, call, role, known);
  }

  /** Seats the connection in the call's room, made here if there is none (or the one there closed). */
  private void place(SignalConnection c, Call call, Role role, Map<Role, String> known) {
    Room room = rooms.get(call.id());
    if (room == null) {
      // On the joining connection's context: the relay from this party needs no hop to the room.
      Room created = new Room(this, call, c.context(), c.thread());
      room = rooms.putIfAbsent(call.id(), created);
      if (room == null) {
        room = created;
        bus.subscribe(created.channel, created.busHandler);
        created.startClock();
      }
    }
    Room chosen = room;
    chosen.attach(c, role, known, () -> seated(c, call, role), () -> {
      rooms.remove(call.id(), chosen);
      place(c, call, role, known);
    });
  }

  /** The connection is in the room; on its context. */
  private void seated(SignalConnection c, Call call, Role role) {
    Call ended = recentlyEnded.get(call.id());
    if (ended != null) {
      callEnded(ended);
      return;
    }
    if (c.closed) {
      Room room = c.room;
      if (room != null) {
        room.detach(c);
      }
      return;
    }
    drain(call, role, c).onComplete(v -> c.run(c::drained));
    vertx.setTimer(LATE_DRAIN_MILLIS, id -> {
      if (!c.closed && c.room != null && c.room.call.id().equals(call.id())) {
        drain(call, role, c);
      }
    });
  }

  /** This node is alive: its heartbeat, renewed every {@link NodeLiveness#HEARTBEAT_MILLIS}, ends if it stops. */
  private void beat() {
    if (!closing.get()) {
      liveness.beat();
    }
  }

  /**
   * A node that crashed never publishes "left" for its parties, and its presence entries keep
   * naming it: without this, a peer here would send into a channel nobody reads until the call's
   * end. A node found silent on {@link #HEARTBEATS_MISSED_FOR_DEAD} checks in a row is taken for
   * dead and its parties for away: the grace clock runs as for a dropped connection, and messages
   * are held for them. When Redis cannot answer, nothing changes.
   */
  private void checkPeerNodes() {
    Map<String, List<Room>> byNode = new HashMap<>();
    for (Room room : rooms.values()) {
      for (String node : room.remoteNodes().values()) {
        if (!node.equals(nodeId())) {
          byNode.computeIfAbsent(node, k -> new ArrayList<>()).add(room);
        }
      }
    }
    missedHeartbeats.keySet().retainAll(byNode.keySet());
    if (byNode.isEmpty()) {
      return;
    }
    List<String> nodes = List.copyOf(byNode.keySet());
    liveness.silent(nodes)
        .onFailure(t -> LOG.debug("peer nodes' heartbeats not read: {}", t.toString()))
        .onSuccess(silent -> {
          for (String node : nodes) {
            if (!silent.contains(node)) {
              missedHeartbeats.remove(node);
              continue;
            }
            int missed = missedHeartbeats.merge(node, 1, Integer::sum);
            if (missed >= HEARTBEATS_MISSED_FOR_DEAD) {
              missedHeartbeats.remove(node);
              nodesLost.increment();
              LOG.warn("node {} stopped renewing its heartbeat: its parties in {} call(s) here are taken as away",
                  node, byNode.get(node).size());
              for (Room room : byNode.get(node)) {
                room.remoteNodeGone(node);
                maybeRetire(room);
              }
            }
          }
        });
  }

  void storeAway(Room room, Role role) {
    presence.markAway(room.call.id(), role).onFailure(t -> LOG.debug("presence not stored: {}", t.toString()));
  }

  void publish(Room room, RoomBusMessage m) {
    bus.publish(room.channel, RoomBusMessage.encode(m))
        .onFailure(t -> LOG.debug("call {}: publish failed: {}", room.call.id(), t.toString()));
  }

  /** Holds a message for a party that is not connected. */
  void hold(Call call, Role to, JsonObject message) {
    outbox.hold(call, to, message);
  }

  /** Sends what is held for the party; the result may complete on another context than the connection's. */
  private Future<?> drain(Call call, Role role, SignalConnection c) {
    return outbox.drain(call, role)
        .onSuccess(held -> held.forEach(c::sendHeld))
        .onFailure(t -> LOG.debug("call {}: outbox not drained: {}", call.id(), t.toString()));
  }

  /**
   * The bus (re)connected: whatever the other nodes published meanwhile ("joined", "left") is lost,
   * so every room re-reads where its parties are from Redis.
   */
  private void resyncPresence() {
    for (Room room : rooms.values()) {
      presence.read(room.call.id())
          .onFailure(t -> LOG.debug("call {}: presence not re-read: {}", room.call.id(), t.toString()))
          .onSuccess(where -> {
            room.resync(where);
            maybeRetire(room);
          });
    }
  }

  /** Delivers what waits in a connected party's outbox, ahead of the live messages that follow. */
  void redrain(Call call, Role role, SignalConnection c) {
    c.run(() -> {
      if (!c.closed) {
        c.draining();
        drain(call, role, c).onComplete(v -> c.run(c::drained));
      }
    });
  }

  void maybeRetire(Room room) {
    room.retireIfEmpty();
  }

  /** The room retired itself (on its context). */
  void retired(Room room) {
    rooms.remove(room.call.id(), room);
    bus.unsubscribe(room.channel, room.busHandler);
  }

  /** Records the party as away (the shutdown handover). */
  Future<Void> markAway(Call call, Role role) {
    return presence.markAway(call.id(), role);
  }

  /**
   * The grace period of a dropped party ran out here: end the call unless it came back elsewhere.
   * When Redis cannot say, ask again a few times rather than end a call that may be going on.
   */
  void graceOver(Room room, Role role) {
    graceOver(room, role, 0);
  }

  private void graceOver(Room room, Role role, int attempt) {
    presence.read(room.call.id()).onComplete(ar -> {
      if (ar.failed() && attempt < GRACE_RETRIES) {
        vertx.setTimer(GRACE_RETRY_MS, id -> graceOver(room, role, attempt + 1));
        return;
      }
      String where = ar.succeeded() ? ar.result().getOrDefault(role, PresenceStore.AWAY) : PresenceStore.AWAY;
      if (PresenceStore.AWAY.equals(where)) {
        endDisconnected(room);
        return;
      }
      if (where.equals(nodeId())) {
        maybeRetire(room); // back here meanwhile
        return;
      }
      // The entry names another node: alive, the party is there; silent, it died with it.
      liveness.silent(List.of(where)).onComplete(beat -> {
        if (beat.succeeded() && beat.result().contains(where)) {
          endDisconnected(room);
        } else {
          room.remoteBack(role, where);
          maybeRetire(room);
        }
      });
    });
  }

  private void endDisconnected(Room room) {
    calls.end(room.call.id(), EndReason.DISCONNECTED, null)
        .onFailure(t -> LOG.warn("call {}: could not end after grace: {}", room.call.id(), t.toString()));
    maybeRetire(room);
  }

  /** The call's clock ran out on this node. If PostgreSQL cannot record it, the end still holds here. */
  void timeUp(Call call) {
    calls.end(call.id(), EndReason.TIME_LIMIT, null).onFailure(t -> {
      LOG.warn("call {}: time limit reached but not recorded ({}); ending it on this node", call.id(), t.toString());
      calls.endLocally(call.withEnd(Instant.now(), EndReason.TIME_LIMIT));
    });
  }

  private void callEnded(Call call) {
    if (recentlyEnded.put(call.id(), call) == null) {
      vertx.setTimer(RECENTLY_ENDED_MILLIS, id -> recentlyEnded.remove(call.id()));
    }
    Room room = rooms.remove(call.id());
    if (room != null) {
      bus.unsubscribe(room.channel, room.busHandler);
      room.end(call);
    }
  }

  /**
   * This node shuts down: each party here is marked away first, so that the peer's node holds
   * messages and keeps the grace clock. Completes when Redis has them all (or could not).
   */
  Future<?> handOver() {
    closing.set(true);
    vertx.cancelTimer(heartbeatTimer);
    liveness.stop().onFailure(t -> LOG.debug("heartbeat not removed: {}", t.toString()));
    List<Future<?>> handovers = new ArrayList<>();
    for (Room room : rooms.values()) {
      handovers.add(room.handOver());
    }
    return Future.join(handovers);
  }
}
