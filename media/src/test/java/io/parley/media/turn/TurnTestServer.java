package io.parley.media.turn;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.core.config.ConfigSource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A real TURN server on loopback for tests: free port, relay ports in a test range (IPv4 on
 * 127.0.0.1, IPv6 on ::1), loopback peers allowed (they are refused in production), the peer
 * policy of production otherwise, a REST secret and one static user. Settings can be
 * overridden by their PARLEY_TURN_* keys; the clock of the nonces can be a {@link TestClock} so
 * that a test makes nonces stale without waiting.
 */
final class TurnTestServer implements AutoCloseable {

  static final String SECRET = "test-secret-0123456789";
  static final String USER = "alice";
  static final String PASSWORD = "alice-password";
  static final String REALM = "parley.test";

  final TurnServer server;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final TurnOptions settings;
  /** The wall clock of credentials and revocations: a test moves it instead of sleeping past a deadline. */
  final TestClock clock = new TestClock();

  private TurnTestServer(Map<String, String> overrides, Clock nonceClock) {
    Map<String, String> s = new HashMap<>();
    s.put("PARLEY_TURN_HOST", "127.0.0.1");
    s.put("PARLEY_TURN_PORT", "0");
    s.put("PARLEY_TURN_RELAY_HOST", "127.0.0.1");
    s.put("PARLEY_TURN_RELAY_HOST_IPV6", "::1");
    s.put("PARLEY_TURN_RELAY_PORTS", "40000-48999");
    s.put("PARLEY_TURN_REALM", REALM);
    s.put("PARLEY_TURN_SECRET", SECRET);
    s.put("PARLEY_TURN_USERS", USER + ":" + PASSWORD);
    s.put("PARLEY_TURN_ALLOW_PEERS", "127.0.0.0/8,::1/128");
    s.putAll(overrides);
    settings = TurnOptions.from(ConfigSource.of(s));
    byte[] nonceKey = new byte[32];
    new java.security.SecureRandom().nextBytes(nonceKey);
    server = TurnServer.start(settings,
        new TurnCredentials(settings.realm(), settings.secrets(), settings.users(), clock),
        new Nonces(nonceKey, settings.nonceLifetime(), nonceClock),
        PeerPolicy.ofThisHost(settings.allowPeers(), settings.externalAddresses()),
        clock, registry, 2);
  }

  static TurnTestServer start() {
    return new TurnTestServer(Map.of(), Clock.systemUTC());
  }

  static TurnTestServer start(Map<String, String> overrides) {
    return new TurnTestServer(overrides, Clock.systemUTC());
  }

  /** A server whose nonces are issued and checked against {@code nonceClock}. */
  static TurnTestServer start(Map<String, String> overrides, Clock nonceClock) {
    return new TurnTestServer(overrides, nonceClock);
  }

  int port() {
    return server.udpPort();
  }

  /** The UDP (and TCP) listening address. */
  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.udpPort());
  }

  /** REST credentials {username, password} for {@code userId}, tagged or not, valid for {@code ttl}. */
  static String[] rest(String userId, String tag, Duration ttl) {
    return TurnCredentials.mint(SECRET, Instant.now().plus(ttl), userId, tag);
  }

  /** A metric's value (0 when absent). */
  double counter(String name, String tagKey, String tagValue) {
    var c = registry.find(name).tag(tagKey, tagValue).counter();
    return c == null ? 0 : c.count();
  }

  /** {@code parley.turn.drops} for one reason, e.g. "malformed" or "no_permission". */
  double drops(String reason) {
    return counter("parley.turn.drops", "reason", reason);
  }

  /** The sum of a counter over all its tags. */
  double total(String name) {
    return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  @Override
  public void close() {
    server.close();
  }
}
