package io.parley.media.turn;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.Cidr;
import io.parley.core.config.ConfigSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * TURN/STUN listener, relay ports, credentials, quotas and relay policy: the {@code PARLEY_TURN_*}
 * keys of {@link io.parley.core.config.ConfigKey}, read and validated by {@link #from}.
 */
public record TurnOptions(boolean enabled, String host, int port, Optional<String> externalIp, String relayHost,
                          int relayPortLow, int relayPortHigh, String realm, Optional<String> secret,
                          List<String> oldSecrets, Map<String, String> users, Duration nonceLifetime,
                          int maxAllocations, int maxAllocationsPerUser, long maxBytesPerSecond,
                          List<Cidr> allowPeers) {
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
        oldSecrets, users, nonceLifetime, maxAllocations, maxAllocationsPerUser, maxBytesPerSecond, allowPeers);
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
    String external = c.string(PARLEY_TURN_EXTERNAL_IP);
    if (external != null) {
      try {
        Cidr.parse(external);
      } catch (IllegalArgumentException e) {
        throw ConfigSource.bad(PARLEY_TURN_EXTERNAL_IP, "an IP address literal", external);
      }
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
        allow);
  }
}
