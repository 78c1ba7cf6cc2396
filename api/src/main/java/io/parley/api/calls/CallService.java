package io.parley.api.calls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.api.cluster.ClusterBus;
import io.parley.core.Ids;
import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.media.turn.TurnCredentials;
import io.parley.media.turn.TurnServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expert calls: starting, ending, ICE servers, consent, and the call clock.
 *
 * <p>Ending a call is one atomic update in PostgreSQL; the node whose update wins broadcasts the
 * end on the {@link ClusterBus}, and every node (this one directly) applies it: its signalling rooms
 * of that call tell their parties and close, and its TURN server revokes the call's allocations.
 * The clock has three layers: nodes with a party of the call keep an exact timer to its end (in the
 * signalling room); every node sweeps PostgreSQL each second for open calls past their end (so a
 * call whose nodes all restarted still ends); and TURN credentials expire at the call's end, so
 * relays stop even on a node that hears nothing. A node also reconciles its rooms and relays with
 * PostgreSQL every few seconds, in case it missed a broadcast.
 */
public final class CallService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CallService.class);
  /** How often each node looks for open calls past their end. */
  static final long SWEEP_MILLIS = 1_000;
  /** How often each node checks its rooms and relays against PostgreSQL. */
  static final long RECONCILE_MILLIS = 3_000;
  /** How often each node moves appointments whose time passed without a call out of the live states. */
  static final long LAPSE_MILLIS = 60_000;
  /** How long after its booked end an appointment without a call lapses. */
  static final java.time.Duration LAPSE_GRACE = java.time.Duration.ofMinutes(1);

  private final Vertx vertx;
  private final CallOptions settings;
  private final CallStore store;
  private final ClusterBus bus;
  private final Ids ids;
  private final Clock clock;
  private final Optional<TurnServer> turn;
  private final Optional<TurnRevocations> revocations;
  private final Optional<String> turnSecret;
  private final List<Consumer<Call>> endListeners = new CopyOnWriteArrayList<>();
  private final List<Supplier<Set<UUID>>> localCalls = new CopyOnWriteArrayList<>();
  private final long sweepTimer;
  private final long reconcileTimer;
  private final long lapseTimer;
  private boolean sweeping;
  private final MeterRegistry metrics;
  private final Counter started;

  public CallService(Vertx vertx, CallOptions settings, CallStore store, ClusterBus bus, Ids ids, Clock clock,
                     Optional<TurnServer> turn, Optional<String> turnSecret, MeterRegistry metrics) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.bus = bus;
    this.ids = ids;
    this.clock = clock;
    this.turn = turn;
    this.revocations = turn.map(t -> new TurnRevocations(t, clock, settings.limit()));
    this.turnSecret = turnSecret;
    this.metrics = metrics;
    this.started = Counter.builder("parley.calls.started").description("Calls started on this node").register(metrics);
    bus.subscribe(ClusterBus.BROADCAST, this::onBroadcast);
    sweepTimer = vertx.setPeriodic(SWEEP_MILLIS, id -> sweep());
    reconcileTimer = vertx.setPeriodic(RECONCILE_MILLIS, id -> reconcile());
    lapseTimer = vertx.setPeriodic(LAPSE_MILLIS, id -> lapse()
        .onFailure(t -> LOG.debug("appointment lapse sweep failed: {}", t.toString())));
    // Calls that ended before a restart: their credentials must keep failing until they expire.
    store.endedBeforeTheirEnd()
        .onSuccess(list -> list.forEach(c -> turn.ifPresent(t -> t.revokeTag(c.id().toString(), c.endsAt()))))
        .onFailure(t -> LOG.warn("cannot load ended calls for TURN revocation: {}", t.toString()));
  }

  public CallOptions settings() {
    return settings;
  }

  /** Runs {@code listener} on this node for every ended call, whichever node ended it. */
  public void onEnded(Consumer<Call> listener) {
    endListeners.add(listener);
  }

  /**
   * An account was deleted (on any node; {@link io.parley.api.accounts.DeletedAccounts} tells every
   * node): this node's TURN allocations of it are cut and its credentials refused. Its open calls
   * were ended first ({@link #endAllOf}).
   */
  public void accountDeleted(UUID userId) {
    revocations.ifPresent(r -> r.userDeleted(userId));
  }

  /** Applies an end on this node only (when PostgreSQL could not record it). */
  public void endLocally(Call c) {
    apply(c);
  }

  /** Adds a source of call ids this node holds something of (rooms), for reconciliation. */
  public void trackLocal(Supplier<Set<UUID>> source) {
    localCalls.add(source);
  }

  /** Starts the appointment's call or returns the open one. */
  public Future<CallStore.Started> start(UUID appointmentId, UUID caller) {
    return store.start(ids.uuid7(), appointmentId, caller, clock.instant(), settings.joinEarly(), settings.limit())
        .onSuccess(s -> {
          if (s.created()) {
            started.increment();
            LOG.info("call {} started for appointment {}, ends at {}", s.call().id(), appointmentId, s.call().endsAt());
          }
        });
  }

  /** The call, if the caller is a party (or an admin); NOT_FOUND otherwise. */
  public Future<Call> get(UUID callId, UUID caller, boolean admin) {
    return store.find(callId).map(found -> found
        .filter(c -> admin || c.roleOf(caller).isPresent())
        .orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no such call")));
  }

  /**
   * Ends the call for both parties (if still open) and returns it; ending an ended call returns it
   * unchanged. {@code by} is the user who ended it, or null for the server.
   */
  public Future<Call> end(UUID callId, EndReason reason, UUID by) {
    return store.end(callId, reason, by).compose(ended -> {
      if (ended.isPresent()) {
        announce(ended.get());
        return Future.succeededFuture(ended.get());
      }
      // Another node (or the clock) ended it first. Apply it here too: its broadcast may be lost.
      return store.find(callId).map(c -> {
        Call found = c.orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no such call"));
        if (found.ended()) {
          apply(found);
        }
        return found;
      });
    });
  }

  /** Ends the call as a party: strangers get NOT_FOUND. */
  public Future<Call> hangUp(UUID callId, UUID caller) {
    return get(callId, caller, false).compose(c -> c.ended() ? Future.succeededFuture(c) : end(callId, EndReason.HANGUP, caller));
  }

  /** Ends every open call of {@code party} (e.g. before the account is deleted). */
  public Future<Void> endAllOf(UUID party, EndReason reason) {
    return store.openOf(party).compose(calls -> {
      List<Future<Call>> ends = new ArrayList<>();
      for (Call c : calls) {
        ends.add(end(c.id(), reason, party));
      }
      return Future.all(ends).mapEmpty();
    });
  }

  public Future<Call> consent(UUID callId, UUID caller, boolean recording) {
    return store.consent(callId, caller, recording)
        .map(c -> c.orElseThrow(() -> new ParleyException(Reason.NOT_FOUND, "no such call")));
  }

  /**
   * ICE servers for a party of an open call, as {@code RTCConfiguration}: STUN, and TURN over UDP,
   * TCP and (when the TLS listener runs) TLS, with REST credentials scoped to this call and caller that expire at the call's end.
   * With {@code PARLEY_CALL_TURN_URLS}, those TURN servers (edge TURN nodes) instead of this node's own.
   */
  public Future<JsonObject> iceServers(UUID callId, UUID caller) {
    return get(callId, caller, false).map(c -> {
      if (c.ended()) {
        throw new ParleyException(Reason.CONFLICT, CallStore.CALL_ENDED, "the call has ended (" + c.endReason().wire() + ")");
      }
      JsonArray servers = new JsonArray();
      if (!settings.turnUrls().isEmpty() && turnSecret.isPresent()) {
        String[] cred = TurnCredentials.mint(turnSecret.get(), c.endsAt(), caller.toString(), c.id().toString());
        servers.add(new JsonObject()
            .put("urls", new JsonArray(List.copyOf(settings.turnUrls())))
            .put("username", cred[0])
            .put("credential", cred[1]));
      } else if (turn.isPresent() && turnSecret.isPresent()) {
        TurnServer t = turn.get();
        String host = hostLiteral(t.advertisedAddress().getHostAddress());
        String[] cred = TurnCredentials.mint(turnSecret.get(), c.endsAt(), caller.toString(), c.id().toString());
        servers.add(new JsonObject().put("urls", new JsonArray().add("stun:" + host + ":" + t.udpPort())));
        JsonArray turnUrls = new JsonArray()
            .add("turn:" + host + ":" + t.udpPort() + "?transport=udp")
            .add("turn:" + host + ":" + t.tcpPort() + "?transport=tcp");
        t.tlsUrlHost().ifPresent(name -> turnUrls.add("turns:" + hostLiteral(name) + ":" + t.tlsPort() + "?transport=tcp"));
        servers.add(new JsonObject()
            .put("urls", turnUrls)
            .put("username", cred[0])
            .put("credential", cred[1]));
      }
      return new JsonObject()
          .put("iceServers", servers)
          .put("iceTransportPolicy", "all")
          .put("expires_at", c.endsAt().toString())
          .put("call_id", c.id().toString());
    });
  }

  private static String hostLiteral(String address) {
    return address.contains(":") ? "[" + address + "]" : address;
  }

  /** Applies an end here at once and tells the other nodes. */
  private void announce(Call c) {
    LOG.info("call {} ended: {}", c.id(), c.endReason());
    Counter.builder("parley.calls.ended").description("Calls ended by this node, by reason")
        .tag("reason", c.endReason().wire()).register(metrics).increment();
    apply(c);
    bus.publish(ClusterBus.BROADCAST, new JsonObject()
            .put("t", TurnRevocations.CALL_ENDED)
            .put("call", c.toJson()))
        .onFailure(t -> LOG.warn("call {}: end not broadcast ({}); other nodes reconcile", c.id(), t.toString()));
  }

  private void onBroadcast(JsonObject m) {
    if (bus.nodeId().equals(m.getString("node"))) {
      return;
    }
    try {
      switch (m.getString("t", "")) {
        case TurnRevocations.CALL_ENDED -> apply(fromJson(m.getJsonObject("call")));
        default -> { }
      }
    } catch (RuntimeException e) {
      LOG.warn("malformed cluster broadcast: {}", e.toString());
    }
  }

  /** Local effects of an ended call; idempotent (broadcasts and reconciliation may repeat it). */
  private void apply(Call c) {
    revocations.ifPresent(r -> r.callEnded(c.id(), c.endsAt()));
    for (Consumer<Call> l : endListeners) {
      try {
        l.accept(c);
      } catch (RuntimeException e) {
        LOG.warn("call-ended listener failed: {}", e.toString());
      }
    }
  }

  private void sweep() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    store.endDue()
        .onSuccess(list -> list.forEach(this::announce))
        .onFailure(t -> LOG.debug("call sweep failed: {}", t.toString()))
        .onComplete(v -> sweeping = false);
  }

  /**
   * Appointments whose booked end passed (by {@link #LAPSE_GRACE}) without a call: requested ones
   * expire, accepted ones are missed. Every node runs it every {@link #LAPSE_MILLIS}; the update is
   * idempotent, so nodes need not agree on who does. Counted in {@code parley.appointments.lapsed}.
   */
  public Future<List<CallStore.Lapsed>> lapse() {
    return store.lapse(LAPSE_GRACE).onSuccess(list -> {
      for (CallStore.Lapsed l : list) {
        Counter.builder("parley.appointments.lapsed").description("Appointments whose time passed without a call")
            .tag("status", l.status()).register(metrics).increment();
      }
      if (!list.isEmpty()) {
        LOG.info("{} appointment(s) lapsed without a call", list.size());
      }
    });
  }

  private void reconcile() {
    java.util.Set<UUID> mine = new java.util.HashSet<>();
    localCalls.forEach(s -> mine.addAll(s.get()));
    turn.ifPresent(t -> t.activeTags().forEach(tag -> {
      try {
        mine.add(UUID.fromString(tag));
      } catch (IllegalArgumentException ignored) {
        // Not a call's tag.
      }
    }));
    if (mine.isEmpty()) {
      return;
    }
    List<UUID> ids = List.copyOf(mine);
    store.endedAmong(ids)
        .onSuccess(list -> list.forEach(this::apply))
        .onFailure(t -> LOG.debug("call reconciliation failed: {}", t.toString()));
    // A call deleted with an account (its end broadcast lost) ends here as deleted.
    store.missingAmong(ids)
        .onSuccess(list -> list.forEach(id -> apply(new Call(id, id, id, id, null, null, null, clock.instant(),
            EndReason.DELETED, null, null, 0))))
        .onFailure(t -> LOG.debug("call reconciliation failed: {}", t.toString()));
  }

  static Call fromJson(JsonObject j) {
    JsonObject consent = j.getJsonObject("consent", new JsonObject());
    return new Call(UUID.fromString(j.getString("id")), UUID.fromString(j.getString("appointment_id")),
        UUID.fromString(j.getString("user_id")), UUID.fromString(j.getString("expert_id")), j.getString("type"),
        instant(j, "started_at"), instant(j, "ends_at"), instant(j, "ended_at"), EndReason.of(j.getString("end_reason")),
        consent.getBoolean("user"), consent.getBoolean("expert"), j.getInteger("limit_seconds", 0));
  }

  private static Instant instant(JsonObject j, String key) {
    String v = j.getString(key);
    return v == null ? null : Instant.parse(v);
  }

  @Override
  public void close() {
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(reconcileTimer);
    vertx.cancelTimer(lapseTimer);
  }
}
