package io.parley.api.calls.signal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.parley.api.calls.Call.Role;
import io.parley.api.calls.EndReason;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The signalling codec as a table: valid client messages, every refusal with its code, and encoded server messages. */
class SignalCodecTest {

  private static final UUID CALL = UUID.fromString("01a24237-386f-75ca-9408-3b702d9dfb98");

  static Stream<Arguments> valid() {
    return Stream.of(
        Arguments.of("{\"type\":\"auth\",\"token\":\"t.k.n\"}", new ClientMessage.Auth("t.k.n"), null, false),
        Arguments.of("{\"type\":\"join\",\"call_id\":\"" + CALL + "\",\"id\":\"j1\"}", new ClientMessage.Join(CALL),
            "j1", false),
        Arguments.of("{\"type\":\"offer\",\"sdp\":\"v=0\"}", new ClientMessage.Offer("v=0"), null, true),
        Arguments.of("{\"type\":\"offer\",\"sdp\":\"v=0\",\"id\":7}", new ClientMessage.Offer("v=0"), 7, false),
        Arguments.of("{\"type\":\"answer\",\"sdp\":\"v=0\",\"x-extra\":1}", new ClientMessage.Answer("v=0"), null,
            false),
        Arguments.of("{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"c\",\"sdpMid\":\"0\"}}",
            new ClientMessage.Candidate(new JsonObject().put("candidate", "c").put("sdpMid", "0")), null, true),
        Arguments.of("{\"type\":\"candidate\",\"candidate\":null}", new ClientMessage.Candidate(null), null, true),
        Arguments.of("{\"type\":\"renegotiate\"}", new ClientMessage.Renegotiate(null), null, true),
        Arguments.of("{\"type\":\"renegotiate\",\"reason\":\"camera on\"}", new ClientMessage.Renegotiate("camera on"),
            null, true),
        Arguments.of("{\"type\":\"renegotiate\",\"reason\":null}", new ClientMessage.Renegotiate(null), null, true),
        Arguments.of("{\"type\":\"media\",\"audio\":false}", new ClientMessage.Media(false, null), null, false),
        Arguments.of("{\"type\":\"media\",\"audio\":true,\"video\":false}", new ClientMessage.Media(true, false), null,
            false),
        Arguments.of("{\"type\":\"hangup\"}", new ClientMessage.Hangup(), null, false),
        Arguments.of("{\"type\":\"leave\",\"id\":\"l\"}", new ClientMessage.Leave(), "l", false),
        Arguments.of("{\"type\":\"ping\",\"id\":99}", new ClientMessage.Ping(), 99, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void decodesValidMessages(String text, ClientMessage expected, Object id, boolean asSent) throws Exception {
    SignalCodec.Envelope e = SignalCodec.envelope(text);
    assertThat(SignalCodec.decode(e)).isEqualTo(expected);
    assertThat(e.id()).isEqualTo(id);
    assertThat(e.asSent()).as("forwarded as written").isEqualTo(asSent);
    assertThat(e.kind()).isEqualTo(expected.type());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      {not json                                   | bad_json     | not a JSON object                                             | -
      [1,2]                                       | bad_json     | not a JSON object                                             | -
      null                                        | bad_json     | not a JSON object                                             | -
      {"type":"ping"} {"type":"ping"}             | bad_json     | not a JSON object                                             | -
      {"id":1}                                    | invalid      | type is required and must be a string                        | 1
      {"type":5,"id":"a"}                         | invalid      | type is required and must be a string                        | a
      {"type":"ping","id":true}                   | invalid      | id must be a string of at most 64 characters or a number     | -
      {"type":"ping","id":{}}                     | invalid      | id must be a string of at most 64 characters or a number     | -
      {"type":"teleport","id":"t"}                | unknown_type | unknown message type 'teleport'                               | t
      {"type":"auth"}                             | invalid      | token is required                                             | -
      {"type":"auth","token":" "}                 | invalid      | token is required                                             | -
      {"type":"join","call_id":"x","id":2}        | invalid      | call_id must be a call id                                     | 2
      {"type":"join"}                             | invalid      | call_id must be a call id                                     | -
      {"type":"offer"}                            | invalid      | sdp is required and must be a non-empty string                | -
      {"type":"answer","sdp":""}                  | invalid      | sdp is required and must be a non-empty string                | -
      {"type":"offer","sdp":5}                    | invalid      | sdp is required and must be a non-empty string                | -
      {"type":"candidate"}                        | invalid      | candidate is required (an object, or null for the end of candidates) | -
      {"type":"candidate","candidate":5}          | invalid      | candidate must be an RTCIceCandidateInit object or null       | -
      {"type":"candidate","candidate":"c"}        | invalid      | candidate must be an RTCIceCandidateInit object or null       | -
      {"type":"renegotiate","reason":1}           | invalid      | reason must be a string                                       | -
      {"type":"media"}                            | invalid      | media needs audio and/or video as booleans                    | -
      {"type":"media","audio":"yes"}              | invalid      | media needs audio and/or video as booleans                    | -
      {"type":"media","audio":true,"video":1}     | invalid      | media needs audio and/or video as booleans                    | -
      """)
  void refusesInvalidMessagesWithTheirError(String text, String code, String message, String ref) {
    SignalProtocolException e = catchThrowableOfType(SignalProtocolException.class,
        () -> SignalCodec.decode(SignalCodec.envelope(text)));
    assertThat(e).as("refused").isNotNull();
    assertThat(e.code().wire()).isEqualTo(code);
    assertThat(e.getMessage()).isEqualTo(message);
    assertThat(e.ref() == null ? null : e.ref().toString()).isEqualTo(ref);
  }

  @Test
  void refusesAnIdLongerThanTheLimit() {
    String id = "x".repeat(SignalCodec.MAX_ID_CHARS + 1);
    SignalProtocolException e = catchThrowableOfType(SignalProtocolException.class,
        () -> SignalCodec.envelope("{\"type\":\"ping\",\"id\":\"" + id + "\"}"));
    assertThat(e.code()).isEqualTo(SignalError.INVALID);
  }

  @Test
  void abbreviatesLongUnknownTypes() {
    SignalProtocolException e = catchThrowableOfType(SignalProtocolException.class,
        () -> SignalCodec.decode(SignalCodec.envelope("{\"type\":\"" + "t".repeat(40) + "\"}")));
    assertThat(e.getMessage()).isEqualTo("unknown message type '" + "t".repeat(32) + "...'");
  }

  static Stream<Arguments> encoded() {
    Instant at = Instant.parse("2026-12-04T18:20:44.911588Z");
    Instant now = Instant.parse("2026-12-04T18:00:45Z");
    return Stream.of(
        Arguments.of(new ServerMessage.Ready("u", "expert"), "{\"type\":\"ready\",\"user_id\":\"u\",\"role\":\"expert\"}"),
        Arguments.of(new ServerMessage.Joined(CALL, Role.USER, true, false, at, now, 1199),
            "{\"type\":\"joined\",\"call_id\":\"" + CALL + "\",\"role\":\"user\",\"peer_present\":true,\"resumed\":false,"
                + "\"ends_at\":\"2026-12-04T18:20:44.911588Z\",\"server_time\":\"2026-12-04T18:00:45Z\","
                + "\"remaining_seconds\":1199}"),
        Arguments.of(new ServerMessage.PeerJoined(Role.EXPERT, true), "{\"type\":\"peer-joined\",\"role\":\"expert\",\"resumed\":true}"),
        Arguments.of(new ServerMessage.PeerLeft(Role.USER, 30), "{\"type\":\"peer-left\",\"role\":\"user\",\"grace_seconds\":30}"),
        Arguments.of(new ServerMessage.PeerMessage(new ClientMessage.Offer("v=0\r\n")), "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}"),
        Arguments.of(new ServerMessage.PeerMessage(new ClientMessage.Candidate(null)), "{\"type\":\"candidate\",\"candidate\":null}"),
        Arguments.of(new ServerMessage.PeerMessage(new ClientMessage.Renegotiate(null)), "{\"type\":\"renegotiate\",\"reason\":null}"),
        Arguments.of(new ServerMessage.PeerMedia(Role.EXPERT, false, null),
            "{\"type\":\"peer-media\",\"role\":\"expert\",\"audio\":false,\"video\":null}"),
        Arguments.of(new ServerMessage.CallWarning(120, at),
            "{\"type\":\"call-warning\",\"remaining_seconds\":120,\"ends_at\":\"2026-12-04T18:20:44.911588Z\"}"),
        Arguments.of(new ServerMessage.CallEnded(CALL, EndReason.HANGUP, now, 754L),
            "{\"type\":\"call-ended\",\"call_id\":\"" + CALL + "\",\"reason\":\"hangup\",\"ended_at\":\"2026-12-04T18:00:45Z\","
                + "\"duration_seconds\":754}"),
        Arguments.of(new ServerMessage.Pong(now, null), "{\"type\":\"pong\",\"server_time\":\"2026-12-04T18:00:45Z\",\"ref\":null}"),
        Arguments.of(new ServerMessage.Left(CALL, "l"), "{\"type\":\"left\",\"call_id\":\"" + CALL + "\",\"ref\":\"l\"}"),
        Arguments.of(new ServerMessage.Error(SignalError.NOT_JOINED, "join a call first", null),
            "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"join a call first\"}"),
        Arguments.of(new ServerMessage.Error(SignalError.INVALID, "x", 3),
            "{\"type\":\"error\",\"code\":\"invalid\",\"message\":\"x\",\"ref\":3}"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("encoded")
  void encodesServerMessagesAsDocumented(ServerMessage message, String expected) {
    assertThat(SignalCodec.encode(message).encode()).isEqualTo(expected);
  }

  @Test
  void whatTheVerbatimPathTakesDecodesToTheSameMessageForwardedAsWritten() throws Exception {
    for (String text : new String[] {"{\"type\":\"offer\",\"sdp\":\"v=0\"}", "{\"type\":\"candidate\",\"candidate\":null}",
        "{\"type\":\"renegotiate\",\"reason\":\"r\"}", "{\"type\":\"answer\",\"sdp\":\"v=0\\u00e9\"}"}) {
      ClientMessage.Type fast = SignalCodec.verbatim(text).type();
      SignalCodec.Envelope e = SignalCodec.envelope(text);
      assertThat(fast).isEqualTo(SignalCodec.decode(e).type());
      assertThat(e.asSent()).isTrue();
      assertThat(SignalCodec.verbatim(text).json())
          .isEqualTo(SignalCodec.encode(new ServerMessage.PeerMessage((ClientMessage.Relayed) SignalCodec.decode(e))));
    }
  }
}
