package io.parley.api.calls.signal;

import io.parley.api.calls.Call.Role;
import io.vertx.core.json.JsonObject;

/**
 * What the rooms of one call on different nodes tell each other over the call's Redis channel. On
 * the wire a JSON object with the discriminator {@code t} ({@code joined}, {@code left},
 * {@code drain}, {@code relay}) and {@code node}, the publishing node, which the cluster bus adds.
 */
sealed interface RoomBusMessage {

  /** The node that published the message; null for one not published yet. */
  String node();

  /** A party joined (or resumed) on {@code node}. */
  record Joined(Role role, boolean resumed, String node) implements RoomBusMessage {}

  /** A party connected to {@code node} left it (dropped, left, or the node is shutting down). */
  record Left(Role role, String node) implements RoomBusMessage {}

  /** The node holding party {@code to} should deliver its outbox again (something was held for it meanwhile). */
  record Drain(Role to, String node) implements RoomBusMessage {}

  /** A message for party {@code to}, already encoded as the server message it gets. */
  record Relay(Role to, JsonObject message, String node) implements RoomBusMessage {}

  /** The message as published; the bus adds {@code node}. */
  static JsonObject encode(RoomBusMessage m) {
    return switch (m) {
      case Joined j -> new JsonObject().put("t", "joined").put("role", j.role().wire()).put("resumed", j.resumed());
      case Left l -> new JsonObject().put("t", "left").put("role", l.role().wire());
      case Drain d -> new JsonObject().put("t", "drain").put("to", d.to().wire());
      case Relay r -> new JsonObject().put("t", "relay").put("to", r.to().wire()).put("msg", r.message());
    };
  }

  /** The message read from the bus, or null when it is not one of these (a newer node's, or garbled). */
  static RoomBusMessage decode(JsonObject m) {
    String node = m.getValue("node") instanceof String s ? s : null;
    Object t = m.getValue("t");
    if (!(t instanceof String kind)) {
      return null;
    }
    Role role = m.getValue("role") instanceof String r ? Role.of(r) : null;
    Role to = m.getValue("to") instanceof String r ? Role.of(r) : null;
    return switch (kind) {
      case "joined" -> role == null ? null : new Joined(role, Boolean.TRUE.equals(m.getValue("resumed")), node);
      case "left" -> role == null ? null : new Left(role, node);
      case "drain" -> to == null ? null : new Drain(to, node);
      case "relay" -> to == null || !(m.getValue("msg") instanceof JsonObject msg) ? null : new Relay(to, msg, node);
      default -> null;
    };
  }
}
