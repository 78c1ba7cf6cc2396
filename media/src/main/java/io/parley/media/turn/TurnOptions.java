package io.parley.media.turn;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.Cidr;
import io.parley.core.config.ConfigKey;
import io.parley.core.config.ConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * TURN/STUN listeners (UDP, TCP, TLS), relay ports and families, credentials, quotas and relay policy: the {@code PARLEY_TURN_*}
 * keys of {@link io.parley.core.config.ConfigKey}, read and validated by {@link #from}.
 */
public record TurnOptions(boolean enabled, String host, int port, Optional<String> externalIp, String relayHost,
                          int relayPortLow, int relayPortHigh, String realm, Optional<String> secret,
                          List<String> oldSecrets, Map<String, String> users, Duration nonceLifetime,
                          int maxAllocations, int maxAllocationsPerUser, long maxBytesPerSecond,
                          List<Cidr> allowPeers, Optional<String> relayHostIpv6, Optional<String> externalIpv6,
                          Duration reservationLifetime, Optional<Tls> tls) {

  /**
   * The TURN over TLS listener (RFC 8656 §3.1, {@code turns:}): its port, the PEM files of its
   * certificate (read again every {@code reload}), and the host name put in {@code turns:} URLs.
   */
  public record Tls(int port, Path cert, Path key, Duration reload, Optional<String> urlHost) {}

  public TurnOptions {
    secret.ifPresent(s -> {
      if (s.length() < 16) {
        throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_SECRET: must be at least 16 characters");
      }
    });
    if (relayPortLow > relayPortHigh) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_TURN_RELAY_PORTS: LOW must not exceed HIGH");
    }
    oldSecrets = List.copyOf(oldSecrets);
    users = Map.copyOf(users);
    allowPeers = List.copyOf(allowPeers);
  }

  /** Every secret that verifies REST credentials: the current one first. */
  public List<String> secrets() {
    List<String> all = new ArrayList<>();
    secret.ifPresent(all::add);
    all.addAll(oldSecrets);
    return List.copyOf(all);
  }

  /** The same settings with the (generated) current secret filled in. */
  public TurnOptions withSecret(String s) {
    return new TurnOptions(enabled, host, port, externalIp, relayHost, relayPortLow, relayPortHigh, realm, Optional.of(s),
        oldSecrets, users, nonceLifetime, maxAllocations, maxAllocationsPerUser, maxBytesPerSecond, allowPeers,
        relayHostIpv6, externalIpv6, reservationLifetime, tls);
  }

  /** The addresses clients are told to use, when configured: the node's own, never a relay peer. */
  public java.util.Set<java.net.InetAddress> externalAddresses() {
    java.util.Set<java.net.InetAddress> out = new java.util.HashSet<>();
    for (Optional<String> ip : List.of(externalIp, externalIpv6)) {
      ip.ifPresent(literal -> {
        try {
          out.add(java.net.InetAddress.getByName(literal));
        } catch (java.net.UnknownHostException e) {
          throw new IllegalStateException("checked when parsed: " + literal, e);
        }
      });
    }
    return out;
  }

  /** The TURN settings of {@code c}; fails naming the key of the first bad value. */
  public static TurnOptions from(ConfigSource c) {
    List<Cidr> allow = new ArrayList<>();
    for (String s : c.list(PARLEY_TURN_ALLOW_PEERS)) {
      try {
        allow.add(Cidr.parse(s));
      } catch (IllegalArgumentException e) {
        throw ConfigSource.bad(PARLEY_TURN_ALLOW_PEERS, "a comma list of CIDRs like 127.0.0.0/8", s);
      }
    }
    String ports = c.string(PARLEY_TURN_RELAY_PORTS);
    int low;
    int high;
    try {
      String[] range = ports.split("-", 2);
      low = Integer.parseInt(range[0].trim());
      high = Integer.parseInt(range[1].trim());
      if (low < 1024 || high > 65535) {
        throw new NumberFormatException();
      }
    } catch (RuntimeException e) {
      throw ConfigSource.bad(PARLEY_TURN_RELAY_PORTS, "LOW-HIGH within 1024-65535", ports);
    }
    Map<String, String> users = new LinkedHashMap<>();
    for (String pair : c.list(PARLEY_TURN_USERS)) {
      int colon = pair.indexOf(':');
      if (colon <= 0 || colon == pair.length() - 1) {
        throw ConfigSource.bad(PARLEY_TURN_USERS, "user:password pairs", "(a malformed entry)");
      }
      users.put(pair.substring(0, colon), pair.substring(colon + 1));
    }
    String external = literal(c, PARLEY_TURN_EXTERNAL_IP, false);
    String external6 = literal(c, PARLEY_TURN_EXTERNAL_IPV6, true);
    String relay6 = c.string(PARLEY_TURN_RELAY_HOST_IPV6);
    if (!relay6.equals("none")) {
      literal(c, PARLEY_TURN_RELAY_HOST_IPV6, true);
    }
    return new TurnOptions(
        c.bool(PARLEY_TURN_ENABLED),
        c.string(PARLEY_TURN_HOST),
        c.integer(PARLEY_TURN_PORT, 0, 65535),
        Optional.ofNullable(external),
        c.string(PARLEY_TURN_RELAY_HOST),
        low,
        high,
        c.string(PARLEY_TURN_REALM),
        Optional.ofNullable(c.string(PARLEY_TURN_SECRET)),
        c.list(PARLEY_TURN_OLD_SECRETS),
        users,
        c.seconds(PARLEY_TURN_NONCE_LIFETIME, 10, 86_400),
        c.integer(PARLEY_TURN_MAX_ALLOCATIONS, 1, 1_000_000),
        c.integer(PARLEY_TURN_MAX_ALLOCATIONS_PER_USER, 1, 100_000),
        c.integer(PARLEY_TURN_MAX_BPS, 0, Integer.MAX_VALUE),
        allow,
        relay6.equals("none") ? Optional.empty() : Optional.of(relay6),
        Optional.ofNullable(external6),
        c.seconds(PARLEY_TURN_RESERVATION_LIFETIME, 1, 3600),
        tls(c));
  }

  /** An IP address literal (an IPv6 one when {@code ipv6}), or null when unset. */
  private static String literal(ConfigSource c, ConfigKey key, boolean ipv6) {
    String v = c.string(key);
    if (v == null) {
      return null;
    }
    String expected = ipv6 ? "an IPv6 address literal" : "an IP address literal";
    Cidr parsed;
    try {
      parsed = Cidr.parse(v);
    } catch (IllegalArgumentException e) {
      throw ConfigSource.bad(key, expected, v);
    }
    if (ipv6 && parsed.network().length != 16) {
      throw ConfigSource.bad(key, expected, v);
    }
    return v;
  }

  /**
   * The TLS listener: on when enabled and a certificate is configured, its own or the HTTPS one.
   * The files must be readable at start; later they may be replaced (and are read again).
   */
  private static Optional<Tls> tls(ConfigSource c) {
    boolean enabled = c.bool(PARLEY_TURN_TLS_ENABLED);
    int port = c.integer(PARLEY_TURN_TLS_PORT, 0, 65535);
    Duration reload = c.seconds(PARLEY_TURN_TLS_RELOAD, 1, 86_400);
    String cert = c.string(PARLEY_TURN_TLS_CERT);
    String key = c.string(PARLEY_TURN_TLS_KEY);
    if ((cert == null) != (key == null)) {
      throw new ParleyException(Reason.CONFIG, (cert == null ? "PARLEY_TURN_TLS_CERT" : "PARLEY_TURN_TLS_KEY")
          + ": PARLEY_TURN_TLS_CERT and PARLEY_TURN_TLS_KEY go together");
    }
    ConfigKey certKey = cert != null ? PARLEY_TURN_TLS_CERT : PARLEY_TLS_CERT;
    ConfigKey keyKey = cert != null ? PARLEY_TURN_TLS_KEY : PARLEY_TLS_KEY;
    if (cert == null) {
      cert = c.string(PARLEY_TLS_CERT);
      key = c.string(PARLEY_TLS_KEY);
    }
    if (!enabled || cert == null || key == null) {
      return Optional.empty();
    }
    for (var file : Map.of(certKey, cert, keyKey, key).entrySet()) {
      if (!Files.isReadable(Path.of(file.getValue()))) {
        throw ConfigSource.bad(file.getKey(), "a readable PEM file", file.getValue());
      }
    }
    return Optional.of(new Tls(port, Path.of(cert), Path.of(key), reload,
        Optional.ofNullable(c.string(PARLEY_TURN_TLS_HOST))));
  }
}
