package io.parley.api.calls.signal;

import static io.parley.api.calls.Call.Role.EXPERT;
import static io.parley.api.calls.Call.Role.USER;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.calls.Call.Role;
import io.parley.api.calls.signal.PartyPresence.Effect;
import io.parley.api.calls.signal.PartyPresence.Effect.CancelGrace;
import io.parley.api.calls.signal.PartyPresence.Effect.CheckGrace;
import io.parley.api.calls.signal.PartyPresence.Effect.CloseReplaced;
import io.parley.api.calls.signal.PartyPresence.Effect.Publish;
import io.parley.api.calls.signal.PartyPresence.Effect.Send;
import io.parley.api.calls.signal.PartyPresence.Effect.StartGrace;
import io.parley.api.calls.signal.PartyPresence.Effect.StoreAway;
import io.parley.api.calls.signal.PartyPresence.Where;
import io.parley.api.calls.signal.protocol.ServerMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Presence of a call's two parties as one node sees it, as a table: from a state reached by a few
 * events, one more event, the effects it returns (in order) and where both parties are after it.
 * No sockets, timers or Redis.
 */
class PartyPresenceTest {

  private static final UUID CALL = UUID.fromString("01a24237-386f-75ca-9408-3b702d9dfb98");
  private static final Instant NOW = Instant.parse("2026-12-04T18:00:00Z");
  private static final Instant ENDS = NOW.plusSeconds(1200);
  private static final String HERE_NODE = "n1";
  private static final long GRACE = 30;

  private static PartyPresence fresh() {
    return new PartyPresence(CALL, ENDS, Duration.ofSeconds(GRACE), HERE_NODE);
  }

  private static ServerMessage.Joined joined(Role role, boolean peerPresent, boolean resumed) {
    return new ServerMessage.Joined(CALL, role, peerPresent, resumed, ENDS, NOW, 1200);
  }

  /** One event on the machine. */
  private record Step(String name, Function<PartyPresence, List<Effect>> event) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Step attach(Role r) {
    return new Step(r.wire() + " joins here", p -> p.attached(r, Map.of(), NOW));
  }

  private static Step attach(Role r, Map<Role, String> known) {
    return new Step(r.wire() + " joins here, Redis knew " + known, p -> p.attached(r, known, NOW));
  }

  private static Step detach(Role r) {
    return new Step(r.wire() + "'s connection ends", p -> p.detached(r));
  }

  private static Step remoteJoined(Role r, String node) {
    return new Step(r.wire() + " joins on " + node, p -> p.remoteJoined(r, node, false));
  }

  private static Step remoteLeft(Role r) {
    return new Step(r.wire() + " left its node", p -> p.remoteLeft(r));
  }

  private static Step graceOver(Role r) {
    return new Step(r.wire() + "'s grace runs out", p -> p.graceOver(r));
  }

  private static Step nodeGone(String node) {
    return new Step(node + " is dead", p -> p.nodeGone(node));
  }

  private static Step resync(Map<Role, String> stored) {
    return new Step("resync " + stored, p -> p.resync(stored));
  }

  private static Step remoteBack(Role r, String node) {
    return new Step(r.wire() + " is back on " + node, p -> p.remoteBack(r, node));
  }

  private static Step ended() {
    return new Step("the call ends", PartyPresence::ended);
  }

  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of(List.of(), attach(USER),
            List.of(new Send(USER, joined(USER, false, false)), new Publish(new RoomBusMessage.Joined(USER, false, null))),
            Where.HERE, Where.ABSENT),
        Arguments.of(List.of(attach(USER)), attach(EXPERT),
            List.of(new Send(EXPERT, joined(EXPERT, true, false)),
                new Send(USER, new ServerMessage.PeerJoined(EXPERT, false)),
                new Publish(new RoomBusMessage.Joined(EXPERT, false, null))),
            Where.HERE, Where.HERE),
        Arguments.of(List.of(), attach(USER, Map.of(USER, "away", EXPERT, "n2")),
            List.of(new Send(USER, joined(USER, true, true)), new Publish(new RoomBusMessage.Joined(USER, true, null))),
            Where.HERE, Where.REMOTE),
        Arguments.of(List.of(), attach(USER, Map.of(EXPERT, "away")),
            List.of(new Send(USER, joined(USER, false, false)), new Publish(new RoomBusMessage.Joined(USER, false, null))),
            Where.HERE, Where.AWAY),
        Arguments.of(List.of(attach(USER), attach(EXPERT)), detach(USER),
            List.of(new StartGrace(USER), new StoreAway(USER), new Publish(new RoomBusMessage.Left(USER, null)),
                new Send(EXPERT, new ServerMessage.PeerLeft(USER, GRACE))),
            Where.AWAY, Where.HERE),
        // Both drop at once: the second is away too, with nobody here to tell.
        Arguments.of(List.of(attach(USER), attach(EXPERT), detach(USER)), detach(EXPERT),
            List.of(new StartGrace(EXPERT), new StoreAway(EXPERT), new Publish(new RoomBusMessage.Left(EXPERT, null))),
            Where.AWAY, Where.AWAY),
        Arguments.of(List.of(attach(USER)), detach(EXPERT), List.of(), Where.HERE, Where.ABSENT),
        Arguments.of(List.of(attach(USER), attach(EXPERT), detach(USER)), attach(USER),
            List.of(new CancelGrace(USER), new Send(USER, joined(USER, true, true)),
                new Send(EXPERT, new ServerMessage.PeerJoined(USER, true)),
                new Publish(new RoomBusMessage.Joined(USER, true, null))),
            Where.HERE, Where.HERE),
        Arguments.of(List.of(attach(USER), detach(USER)), graceOver(USER), List.of(new CheckGrace(USER)),
            Where.AWAY, Where.ABSENT),
        Arguments.of(List.of(attach(USER), detach(USER), attach(USER)), graceOver(USER), List.of(),
            Where.HERE, Where.ABSENT),
        Arguments.of(List.of(attach(USER)), remoteJoined(EXPERT, "n2"),
            List.of(new Send(USER, new ServerMessage.PeerJoined(EXPERT, false))), Where.HERE, Where.REMOTE),
        Arguments.of(List.of(attach(USER), attach(EXPERT)), remoteJoined(EXPERT, "n2"),
            List.of(new CloseReplaced(EXPERT), new Send(USER, new ServerMessage.PeerJoined(EXPERT, false))),
            Where.HERE, Where.REMOTE),
        Arguments.of(List.of(attach(USER), attach(EXPERT), detach(EXPERT)), remoteJoined(EXPERT, "n2"),
            List.of(new CancelGrace(EXPERT), new Send(USER, new ServerMessage.PeerJoined(EXPERT, false))),
            Where.HERE, Where.REMOTE),
        Arguments.of(List.of(attach(USER), remoteJoined(EXPERT, "n2")), remoteLeft(EXPERT),
            List.of(new Send(USER, new ServerMessage.PeerLeft(EXPERT, GRACE)), new StartGrace(EXPERT)),
            Where.HERE, Where.AWAY),
        Arguments.of(List.of(attach(USER)), remoteLeft(EXPERT), List.of(), Where.HERE, Where.ABSENT),
        Arguments.of(List.of(attach(USER), remoteJoined(EXPERT, "n2")), nodeGone("n3"), List.of(),
            Where.HERE, Where.REMOTE),
        Arguments.of(List.of(attach(USER), remoteJoined(EXPERT, "n2")), nodeGone("n2"),
            List.of(new Send(USER, new ServerMessage.PeerLeft(EXPERT, GRACE)), new StartGrace(EXPERT)),
            Where.HERE, Where.AWAY),
        Arguments.of(List.of(attach(USER), remoteJoined(EXPERT, "n2"), nodeGone("n2")), remoteBack(EXPERT, "n3"),
            List.of(new CancelGrace(EXPERT), new Send(USER, new ServerMessage.PeerJoined(EXPERT, true)),
                new Publish(new RoomBusMessage.Drain(EXPERT, null))),
            Where.HERE, Where.REMOTE),
        Arguments.of(List.of(attach(USER), remoteJoined(EXPERT, "n2")), remoteBack(EXPERT, "n3"), List.of(),
            Where.HERE, Where.REMOTE),
        Arguments.of(List.of(attach(USER), remoteJoined(EXPERT, "n2")), resync(Map.of(EXPERT, "away", USER, HERE_NODE)),
            List.of(new Send(USER, new ServerMessage.PeerLeft(EXPERT, GRACE)), new StartGrace(EXPERT)),
            Where.HERE, Where.AWAY),
        Arguments.of(List.of(attach(USER)), resync(Map.of(EXPERT, "n2")),
            List.of(new Send(USER, new ServerMessage.PeerJoined(EXPERT, false)),
                new Publish(new RoomBusMessage.Drain(EXPERT, null))),
            Where.HERE, Where.REMOTE),
        Arguments.of(List.of(attach(USER), detach(USER), attach(EXPERT), detach(EXPERT)), ended(),
            List.of(new CancelGrace(USER), new CancelGrace(EXPERT)), Where.AWAY, Where.AWAY),
        Arguments.of(List.of(attach(USER), attach(EXPERT), ended()), detach(USER), List.of(), Where.HERE, Where.HERE));
  }

  @ParameterizedTest(name = "{0}, then {1}")
  @MethodSource("table")
  void eachEventReturnsItsEffects(List<Step> before, Step event, List<Effect> effects, Where user, Where expert) {
    PartyPresence p = fresh();
    before.forEach(s -> s.event().apply(p));
    assertThat(event.event().apply(p)).containsExactlyElementsOf(effects);
    assertThat(p.where(USER)).as("user").isEqualTo(user);
    assertThat(p.where(EXPERT)).as("expert").isEqualTo(expert);
  }

  @Test
  void aRoomRetiresOnlyWithNobodyHereAndNoGraceRunning() {
    PartyPresence p = fresh();
    p.attached(USER, Map.of(), NOW);
    assertThat(p.retireIfEmpty()).isFalse();
    p.detached(USER);
    assertThat(p.retireIfEmpty()).as("the user's grace runs").isFalse();
    assertThat(p.graceOver(USER)).containsExactly(new CheckGrace(USER));
    assertThat(p.retireIfEmpty()).isTrue();
    assertThat(p.closed()).isTrue();
    assertThat(p.attached(USER, Map.of(), NOW)).as("a closed room takes nobody").isEmpty();
  }

  @Test
  void remoteNodesAreTheNodesOfRemoteParties() {
    PartyPresence p = fresh();
    p.attached(USER, Map.of(EXPERT, "n2"), NOW);
    assertThat(p.remoteNodes()).isEqualTo(Map.of(EXPERT, "n2"));
    p.remoteLeft(EXPERT);
    assertThat(p.remoteNodes()).isEmpty();
  }
}
