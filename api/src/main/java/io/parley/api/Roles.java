package io.parley.api;

import static io.parley.core.config.ConfigKey.PARLEY_ROLES;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a node runs ({@code PARLEY_ROLES}), so that a deployment can scale each part on its own:
 * edge TURN nodes, API and signalling nodes, inference nodes. Signalling, voice and vision are
 * served through the HTTP API (its accounts, tokens and rate limits), so any of them brings
 * {@link Role#API} with it; a node with {@link Role#TURN} alone is an edge TURN node
 * ({@link TurnNode}), which needs neither PostgreSQL nor the engines.
 */
public record Roles(Set<Role> roles) {

  /** One part of the product a node may run. */
  public enum Role {
    /** The TURN/STUN server. */
    TURN,
    /** The REST API, the web client, health and metrics. */
    API,
    /** The signalling WebSocket of expert calls. */
    SIGNAL,
    /** The voice engines: realtime sessions, transcription, speech, chat completions. */
    VOICE,
    /** The photo detector. */
    VISION;

    String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Every role: the default, one node that does everything. */
  public static final Roles ALL = new Roles(EnumSet.allOf(Role.class));

  public Roles {
    if (roles.isEmpty()) {
      throw new ParleyException(Reason.CONFIG, PARLEY_ROLES.name() + ": name at least one role");
    }
    EnumSet<Role> all = EnumSet.copyOf(roles);
    if (all.contains(Role.SIGNAL) || all.contains(Role.VOICE) || all.contains(Role.VISION)) {
      all.add(Role.API);
    }
    roles = Set.copyOf(all);
  }

  /** The roles of {@code c}; fails naming the key and the unknown role. */
  public static Roles from(ConfigSource c) {
    EnumSet<Role> out = EnumSet.noneOf(Role.class);
    for (String name : c.list(PARLEY_ROLES)) {
      Role role = null;
      for (Role r : Role.values()) {
        if (r.key().equalsIgnoreCase(name)) {
          role = r;
        }
      }
      if (role == null) {
        throw ConfigSource.bad(PARLEY_ROLES, "a comma list of turn, api, signal, voice, vision", name);
      }
      out.add(role);
    }
    return new Roles(out);
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** An edge TURN node: the TURN server and nothing else. */
  public boolean turnOnly() {
    return roles.equals(Set.of(Role.TURN));
  }

  /** As configured, e.g. {@code turn} or {@code api,signal}. */
  @Override
  public String toString() {
    return roles.stream().sorted().map(Role::key).collect(Collectors.joining(","));
  }
}
