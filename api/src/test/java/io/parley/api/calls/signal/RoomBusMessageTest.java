package io.parley.api.calls.signal;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.calls.Call.Role;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The cluster bus messages of a call's rooms: their wire form (what nodes of every version read) and back. */
class RoomBusMessageTest {

  static Stream<Arguments> messages() {
    JsonObject offer = new JsonObject().put("type", "offer").put("sdp", "v=0").put("from", "user");
    return Stream.of(
        Arguments.of(new RoomBusMessage.Joined(Role.EXPERT, true, "n2"), "{\"t\":\"joined\",\"role\":\"expert\",\"resumed\":true}"),
        Arguments.of(new RoomBusMessage.Left(Role.USER, "n2"), "{\"t\":\"left\",\"role\":\"user\"}"),
        Arguments.of(new RoomBusMessage.Drain(Role.USER, "n2"), "{\"t\":\"drain\",\"to\":\"user\"}"),
        Arguments.of(new RoomBusMessage.Relay(Role.EXPERT, offer, "n2"),
            "{\"t\":\"relay\",\"to\":\"expert\",\"msg\":{\"type\":\"offer\",\"sdp\":\"v=0\",\"from\":\"user\"}}"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("messages")
  void encodesToTheWireFormAndBack(RoomBusMessage m, String wire) {
    assertThat(RoomBusMessage.encode(m).encode()).isEqualTo(wire);
    // The bus adds the publishing node.
    assertThat(RoomBusMessage.decode(new JsonObject(wire).put("node", "n2"))).isEqualTo(m);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"t\":\"joined\"}",
      "{\"t\":\"joined\",\"role\":\"admin\"}",
      "{\"t\":\"left\",\"role\":5}",
      "{\"t\":\"drain\",\"role\":\"user\"}",
      "{\"t\":\"relay\",\"to\":\"user\"}",
      "{\"t\":\"relay\",\"to\":\"user\",\"msg\":\"x\"}",
      "{\"t\":\"teleport\",\"role\":\"user\"}",
      "{\"role\":\"user\"}"})
  void anythingElseIsNotUnderstood(String wire) {
    assertThat(RoomBusMessage.decode(new JsonObject(wire))).isNull();
  }
}
