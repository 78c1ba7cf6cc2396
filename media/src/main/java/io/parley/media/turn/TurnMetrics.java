package io.parley.media.turn;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** TURN server meters: allocations, permissions, channels, relayed traffic, auth failures, drops. */
final class TurnMetrics {

  /** Why a packet was not relayed or answered. */
  enum Drop {
    MALFORMED, NO_ALLOCATION, NO_PERMISSION, NO_CHANNEL, BANDWIDTH, PEER_REFUSED, UNSUPPORTED, BACKPRESSURE
  }

  /** Why authentication failed. */
  enum AuthFailure { MISSING, BAD_INTEGRITY, UNKNOWN_USER, EXPIRED, STALE_NONCE, REVOKED, WRONG_CREDENTIALS }

  final Counter packetsToPeer;
  final Counter packetsToClient;
  final Counter bytesToPeer;
  final Counter bytesToClient;
  /** Packets relayed from one allocation of this node to another without the kernel ({@link LocalRelays}). */
  final Counter packetsLocal;
  private final Map<Drop, Counter> drops = new EnumMap<>(Drop.class);
  private final Map<AuthFailure, Counter> authFailures = new EnumMap<>(AuthFailure.class);

  TurnMetrics(MeterRegistry registry, Supplier<Number> allocations, Supplier<Number> permissions,
              Supplier<Number> channels) {
    Gauge.builder("parley.turn.allocations", allocations).description("Live TURN allocations").register(registry);
    Gauge.builder("parley.turn.permissions", permissions).description("Live TURN permissions").register(registry);
    Gauge.builder("parley.turn.channels", channels).description("Live TURN channel bindings").register(registry);
    packetsToPeer = Counter.builder("parley.turn.packets").tag("direction", "client_to_peer").register(registry);
    packetsToClient = Counter.builder("parley.turn.packets").tag("direction", "peer_to_client").register(registry);
    bytesToPeer = Counter.builder("parley.turn.bytes").tag("direction", "client_to_peer").baseUnit("bytes")
        .register(registry);
    bytesToClient = Counter.builder("parley.turn.bytes").tag("direction", "peer_to_client").baseUnit("bytes")
        .register(registry);
    packetsLocal = Counter.builder("parley.turn.packets.local")
        .description("Packets relayed between two allocations of this node in the process").register(registry);
    for (Drop d : Drop.values()) {
      drops.put(d, Counter.builder("parley.turn.drops").tag("reason", d.name().toLowerCase(Locale.ROOT))
          .description("Packets not relayed or answered").register(registry));
    }
    for (AuthFailure a : AuthFailure.values()) {
      authFailures.put(a, Counter.builder("parley.turn.auth.failures").tag("reason", a.name().toLowerCase(Locale.ROOT))
          .register(registry));
    }
  }

  void drop(Drop reason) {
    drops.get(reason).increment();
  }

  void authFailure(AuthFailure reason) {
    authFailures.get(reason).increment();
  }
}
