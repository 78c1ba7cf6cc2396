package io.parley.api.calls.signal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.api.calls.Call.Role;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which messages the codec's verbatim path forwards exactly as written; everything else takes the full decode. */
class FastRelayTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      {"type":"offer","sdp":"v=0"}                                  | offer
      {"sdp":"v=0\\r\\n","type":"answer"}                          | answer
      {"type":"candidate","candidate":{"candidate":"c","sdpMid":"0","sdpMLineIndex":0}} | candidate
      {"type":"candidate","candidate":null}                         | candidate
      {"type":"renegotiate"}                                        | renegotiate
      {"type":"renegotiate","reason":"camera on"}                   | renegotiate
        {"type":"offer","sdp":"v=0"}                                | offer
      {"type":"offer","sdp":""}                                     | -
      {"type":"offer", "sdp" :  ""}                                 | -
      {"type":"offer","sdp":"v=0\\q"}                              | -
      {"type":"offer","sdp":"\\"}                                  | -
      {"type":"offer"}                                              | -
      {"type":"offer","sdp":"v=0","id":1}                           | -
      {"type":"offer","sdp":"v=0","from":"expert"}                  | -
      {"type":"offer","sdp":"v=0","seq":9}                          | -
      {"type":"offer","sdp":"v=0","sdp":"v=1"}                      | -
      {"type":"offer","type":"answer","sdp":"v=0"}                  | -
      {"type":"offer","sdp":5}                                      | -
      {"type":"candidate","candidate":"c"}                          | -
      {"type":"candidate"}                                          | -
      {"type":"media","audio":true}                                 | -
      {"type":"join","call_id":"x"}                                 | -
      {"type":"renegotiate","reason":1}                             | -
      {"type":"offer","sdp":"v=0"} {"type":"offer","sdp":"v=0"}    | -
      {"type":"offer","sdp":"v=0"}x                                 | -
      [{"type":"offer","sdp":"v=0"}]                                | -
      {"type":"offer","sdp":"v=0"                                   | -
      null                                                          | -
      """)
  void recognisesOnlyExactlyDocumentedMessages(String text, String expected) {
    assertThat(wire(SignalCodec.verbatim(text))).isEqualTo(expected);
  }

  /**
   * Differential check against Jackson on mutated messages: whatever the fast path accepts is valid
   * JSON that a full parser reads as exactly the documented shape, and every valid documented
   * message is accepted. Deterministic (fixed seed), so a failure reproduces.
   */
  @org.junit.jupiter.api.Test
  void agreesWithAFullParserOnMutatedMessages() {
    String[] seeds = {
        "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 46117 2 IN IP4 127.0.0.1\\r\\n\"}",
        "{\"type\":\"answer\",\"sdp\":\"v=0\\u00e9\\\"x\\\\y\"}",
        "{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host\","
            + "\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":null,\"x\":[1.5e-3,-0,true,false,{}]}}",
        "{\"type\":\"candidate\",\"candidate\":null}",
        " {\"type\" : \"renegotiate\" , \"reason\" : \"camera on\" } ",
    };
    String alphabet = "{}[]\":,\\/ubfnrtx0123456789-+.eE \t\n\r\u0001\u00e9a";
    Random random = new Random(20261122);
    com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper()
        .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    int accepted = 0;
    for (int round = 0; round < 40_000; round++) {
      String text = mutated(random, seeds, alphabet, round == 0);
      String fast = wire(SignalCodec.verbatim(text));
      String expected = documentedType(mapper, text);
      if (fast != null) {
        accepted++;
        assertThat(expected).as("accepted by the fast path, so a full parser must agree: " + text).isEqualTo(fast);
      } else if (expected != null && !text.contains("\\u0022") && plainNames(text)) {
        org.assertj.core.api.Assertions.fail("a documented message the fast path refused: " + text);
      }
    }
    assertThat(accepted).as("mutations that stayed valid were accepted").isGreaterThan(100);
  }

  @ParameterizedTest(name = "{0} seq {1} from {2}")
  @CsvSource(delimiter = '|', textBlock = """
      {"type":"offer","sdp":"v=0"}                         | 1                   | user   | {"seq":1,"from":"user","type":"offer","sdp":"v=0"}
      {"sdp":"v=0\\r\\n","type":"answer"}              | 42                  | expert | {"seq":42,"from":"expert","sdp":"v=0\\r\\n","type":"answer"}
        { "type" : "renegotiate" }                         | 10                  | user   | {"seq":10,"from":"user", "type" : "renegotiate" }
      {"type":"offer","sdp":"s=caf\u00e9 \ud83d\ude00"} | 9223372036854775807 | expert | {"seq":9223372036854775807,"from":"expert","type":"offer","sdp":"s=caf\u00e9 \ud83d\ude00"}
      {"type":"candidate","candidate":null}                | 100                 | user   | {"seq":100,"from":"user","type":"candidate","candidate":null}
      """)
  void forwardsTheSendersTextWithSeqAndFromInFront(String text, long seq, String from, String expected) {
    byte[] forwarded = SignalCodec.verbatim(text).forward(seq, Role.of(from));
    assertThat(new String(forwarded, StandardCharsets.UTF_8)).isEqualTo(expected);
  }

  @Test
  void forwardsCharactersBeyondAsciiAsTheirUtf8() {
    String text = "{\"type\":\"offer\",\"sdp\":\"s=caf\u00e9 \ud83d\ude00 \u4e2d\"}";
    byte[] forwarded = SignalCodec.verbatim(text).forward(3, Role.USER);
    assertThat(forwarded).isEqualTo(("{\"seq\":3,\"from\":\"user\"," + text.substring(1)).getBytes(StandardCharsets.UTF_8));
    assertThat(SignalCodec.verbatim(text).json().getString("sdp")).isEqualTo("s=caf\u00e9 \ud83d\ude00 \u4e2d");
  }

  /**
   * Malformed relay messages are not forwarded by the fast path: the full decode reads them and
   * gives its error, the same as for any other malformed message.
   */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      {"type":"offer","sdp":"v=0\u0001"}                   | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0\tx"}                      | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0\\x"}                     | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0\\u00g1"}                 | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0\\u00"}                   | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0\\"}                      | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0"                           | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0}                           | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0"}}                         | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0",}                         | bad_json | not a JSON object
      {"type":"offer",,"sdp":"v=0"}                         | bad_json | not a JSON object
      {"type":"offer" "sdp":"v=0"}                          | bad_json | not a JSON object
      {"type":"offer","sdp":"v=0"}\u00e9                   | bad_json | not a JSON object
      {'type':'offer','sdp':'v=0'}                          | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":01}}             | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":1.}}             | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":.5}}             | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":-}}              | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":1e}}             | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":+1}}             | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":NaN}}            | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":tru}}            | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":nulll}}          | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":[1,]}}           | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":[1 2]}}          | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":1,}}             | bad_json | not a JSON object
      {"type":"candidate","candidate":{a:1}}                | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":[}}              | bad_json | not a JSON object
      {"type":"candidate","candidate":{"a":"x\u0001"}}     | bad_json | not a JSON object
      {"type":"offer","sdp":""}                             | invalid  | sdp is required and must be a non-empty string
      {"type":"offer","sdp":null}                           | invalid  | sdp is required and must be a non-empty string
      {"type":"candidate","candidate":[]}                   | invalid  | candidate must be an RTCIceCandidateInit object or null
      {"type":"candidate","candidate":true}                 | invalid  | candidate must be an RTCIceCandidateInit object or null
      {"type":"renegotiate","reason":{}}                    | invalid  | reason must be a string
      """)
  void malformedMessagesTakeTheFullDecodeAndGetItsError(String text, String code, String message) {
    assertThat(SignalCodec.verbatim(text)).as("not forwarded as written").isNull();
    SignalProtocolException e = catchThrowableOfType(SignalProtocolException.class,
        () -> SignalCodec.decode(SignalCodec.envelope(text)));
    assertThat(e).as("refused by the full decode").isNotNull();
    assertThat(e.code().wire()).isEqualTo(code);
    assertThat(e.getMessage()).isEqualTo(message);
  }

  /** Valid messages the fast path leaves to the full decode (which relays them): its limits, and escaped names. */
  @Test
  void leavesWhatItDoesNotReadToTheFullDecode() throws Exception {
    String deep = "[".repeat(FastRelay.MAX_DEPTH) + "]".repeat(FastRelay.MAX_DEPTH);
    String longNumber = "1".repeat(FastRelay.MAX_NUMBER_CHARS + 1);
    for (String text : new String[] {
        "{\"type\":\"candidate\",\"candidate\":{\"a\":" + deep + "}}",
        "{\"type\":\"offer\",\"s\\u0064p\":\"v=0\"}",
        "{\"type\":\"\\u006fffer\",\"sdp\":\"v=0\"}",
        "{\"type\":\"renegotiate\",\"reason\":null}"}) {
      assertThat(SignalCodec.verbatim(text)).as(text).isNull();
      SignalCodec.Envelope e = SignalCodec.envelope(text);
      assertThat(SignalCodec.decode(e)).as(text).isInstanceOf(ClientMessage.Relayed.class);
    }
    String number = "{\"type\":\"candidate\",\"candidate\":{\"a\":" + longNumber + "}}";
    assertThat(SignalCodec.verbatim(number)).isNull();
    assertThat(catchThrowableOfType(SignalProtocolException.class, () -> SignalCodec.envelope(number)).code())
        .as("beyond the full parser's own limit").isEqualTo(SignalError.BAD_JSON);
  }

  /**
   * Bytes are forwarded as they came only when they are well-formed UTF-8 (RFC 3629); any other
   * byte sequence in a string leaves the message to the full decode, which reads it as the socket's
   * text always was (each bad sequence a U+FFFD).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      c3a9            | true
      e282ac          | true
      f09f9880        | true
      f48fbfbf        | true
      efbfbd          | true
      c2              | false
      c3              | false
      c0af            | false
      c1bf            | false
      e080af          | false
      eda080          | false
      e282            | false
      f08f8080        | false
      f4908080        | false
      f5808080        | false
      ff              | false
      80              | false
      bf              | false
      c328            | false
      e228a1          | false
      """)
  void forwardsOnlyWellFormedUtf8(String hex, boolean wellFormed) {
    byte[] character = java.util.HexFormat.of().parseHex(hex);
    for (int pad = 0; pad < 10; pad++) {
      byte[] message = concat(("{\"type\":\"offer\",\"sdp\":\"" + "v".repeat(pad)).getBytes(StandardCharsets.US_ASCII),
          character, "x\"}".getBytes(StandardCharsets.US_ASCII));
      SignalCodec.Verbatim fast = SignalCodec.verbatim(message, 0, message.length);
      assertThat(fast != null).as("%s after %d characters", hex, pad).isEqualTo(wellFormed);
      if (wellFormed) {
        byte[] forwarded = fast.forward(1, Role.USER);
        assertThat(java.util.Arrays.copyOfRange(forwarded, forwarded.length - message.length + 1, forwarded.length))
            .isEqualTo(java.util.Arrays.copyOfRange(message, 1, message.length));
      }
    }
  }

  @Test
  void readsTheMessageWhereItLiesInALargerArray() {
    byte[] message = "{\"type\":\"offer\",\"sdp\":\"v=0\"}".getBytes(StandardCharsets.US_ASCII);
    byte[] around = concat("garbage{".getBytes(StandardCharsets.US_ASCII), message, "}\"x".getBytes(StandardCharsets.US_ASCII));
    SignalCodec.Verbatim fast = SignalCodec.verbatim(around, 8, message.length);
    assertThat(fast.type()).isEqualTo(ClientMessage.Type.OFFER);
    assertThat(new String(fast.forward(7, Role.EXPERT), StandardCharsets.UTF_8))
        .isEqualTo("{\"seq\":7,\"from\":\"expert\",\"type\":\"offer\",\"sdp\":\"v=0\"}");
    assertThat(fast.json()).isEqualTo(new io.vertx.core.json.JsonObject().put("type", "offer").put("sdp", "v=0"));
    assertThat(SignalCodec.verbatim(around, 8, message.length - 1)).as("cut short").isNull();
    assertThat(SignalCodec.verbatim(io.vertx.core.buffer.Buffer.buffer(around).slice(8, 8 + message.length)).type())
        .isEqualTo(ClientMessage.Type.OFFER);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * Strings are read eight bytes at a time: a quote, backslash or control character is found at
   * every offset of a word, also right after characters beyond ASCII.
   */
  @Test
  void findsEveryStopCharacterAtEveryOffset() {
    for (String before : new String[] {"", "\u00e9", "\ud83d\ude00", "~\u007f"}) {
      for (int n = 0; n < 24; n++) {
        String plain = before + "a".repeat(n);
        assertThat(wire(SignalCodec.verbatim("{\"type\":\"offer\",\"sdp\":\"" + plain + "x\"}")))
            .as("plain %d", n).isEqualTo("offer");
        assertThat(wire(SignalCodec.verbatim("{\"type\":\"offer\",\"sdp\":\"" + plain + "\\r\\nx\"}")))
            .as("escaped %d", n).isEqualTo("offer");
        assertThat(SignalCodec.verbatim("{\"type\":\"offer\",\"sdp\":\"" + plain + "\u001fx\"}"))
            .as("control %d", n).isNull();
        assertThat(SignalCodec.verbatim("{\"type\":\"offer\",\"sdp\":\"" + plain + "\\qx\"}"))
            .as("bad escape %d", n).isNull();
        assertThat(SignalCodec.verbatim("{\"type\":\"offer\",\"sdp\":\"" + plain + "\"x\"}"))
            .as("early quote %d", n).isNull();
        assertThat(SignalCodec.verbatim("{\"type\":\"offer\",\"sdp\":\"" + plain))
            .as("unterminated %d", n).isNull();
      }
    }
  }

  /**
   * As {@link #agreesWithAFullParserOnMutatedMessages} with every kind of JSON value and string
   * content in the seeds; what is accepted is forwarded as the same object with seq and from.
   */
  @Test
  void agreesWithAFullParserOnMutatedMessagesOfEveryKind() throws Exception {
    String[] seeds = {
        "{\"type\":\"candidate\",\"candidate\":{\"a\":[0,-1,2.50,3e7,4E-2,-0.5e+3,[],{},[[{}]]],\"b\":true,"
            + "\"c\":false,\"d\":null,\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\"}}",
        "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\ns=caf\u00e9 \ud83d\ude00\\r\\na=x:1234567890abcdef\\r\\n\"}",
        "\t{\r\n\"type\"\t:\n\"answer\" ,\"sdp\" : \"0123456789abcdef0123456789abcdef\" }\n",
        "{\"reason\":\"\\ud83d\\ude00\",\"type\":\"renegotiate\"}",
    };
    String alphabet = "{}[]\":,\\/ubfnrtx0123456789-+.eE \t\n\r\u0001\u00e9a";
    Random random = new Random(20261204);
    ObjectMapper mapper = new ObjectMapper()
        .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    ObjectMapper lenient = new ObjectMapper()
        .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    int accepted = 0;
    for (int round = 0; round < 40_000; round++) {
      // As the server reads it: UTF-8 from the socket (a surrogate cut in half becomes U+FFFD).
      String text = new String(mutated(random, seeds, alphabet, round < seeds.length).getBytes(StandardCharsets.UTF_8),
          StandardCharsets.UTF_8);
      SignalCodec.Verbatim fast = SignalCodec.verbatim(text);
      String expected = documentedType(mapper, text);
      if (fast == null) {
        if (expected != null && !text.contains("\\u0022") && plainNames(text) && !escapedType(text)) {
          org.assertj.core.api.Assertions.fail("a documented message the fast path refused: " + text);
        }
        continue;
      }
      accepted++;
      // Inside a candidate a repeated name is left to the peer, as the full decode does (the last wins).
      assertThat(documentedType(lenient, text)).as("accepted by the fast path, so a full parser must agree: " + text)
          .isEqualTo(fast.type().wire());
      JsonNode forwarded = lenient.readTree(fast.forward(round, Role.EXPERT));
      JsonNode sent = lenient.readTree(text);
      assertThat(forwarded.get("seq").asLong()).isEqualTo(round);
      assertThat(forwarded.get("from").asText()).isEqualTo("expert");
      ((com.fasterxml.jackson.databind.node.ObjectNode) forwarded).remove(java.util.List.of("seq", "from"));
      assertThat(forwarded).as("forwarded as sent: " + text).isEqualTo(sent);
    }
    assertThat(accepted).as("mutations that stayed valid were accepted").isGreaterThan(100);
  }

  /** Whether the type's value is written with an escape (the fast path compares it as written). */
  private static boolean escapedType(String text) {
    return text.matches("(?s).*\"type\"\\s*:\\s*\"[^\"]*\\\\.*");
  }

  /** One of {@code seeds} with one to three random edits from {@code alphabet} (none when {@code unchanged}). */
  private static String mutated(Random random, String[] seeds, String alphabet, boolean unchanged) {
    StringBuilder m = new StringBuilder(seeds[random.nextInt(seeds.length)]);
    int edits = unchanged ? 0 : 1 + random.nextInt(3);
    for (int e = 0; e < edits && m.length() > 0; e++) {
      int at = random.nextInt(m.length());
      switch (random.nextInt(3)) {
        case 0 -> m.deleteCharAt(at);
        case 1 -> m.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
        default -> m.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    return m.toString();
  }

  private static String wire(SignalCodec.Verbatim message) {
    return message == null ? null : message.type().wire();
  }

  /** Whether every top-level field name is written without escapes (the fast path compares names as written). */
  private static boolean plainNames(String text) {
    return !text.matches("(?s).*\"[^\"]*\\\\[^\"]*\"\\s*:.*");
  }

  /** The type when {@code text} is, for a full parser, a documented fast-path message; else null. */
  private static String documentedType(com.fasterxml.jackson.databind.ObjectMapper mapper, String text) {
    com.fasterxml.jackson.databind.JsonNode node;
    try {
      node = mapper.readTree(text);
    } catch (Exception e) {
      return null;
    }
    if (node == null || !node.isObject() || !node.path("type").isTextual()) {
      return null;
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    node.fieldNames().forEachRemaining(names::add);
    String type = node.get("type").asText();
    return switch (type) {
      case "offer", "answer" -> names.equals(java.util.Set.of("type", "sdp")) && node.get("sdp").isTextual()
          && !node.get("sdp").asText().isEmpty() ? type : null;
      case "candidate" -> names.equals(java.util.Set.of("type", "candidate"))
          && (node.get("candidate").isObject() || node.get("candidate").isNull()) ? type : null;
      case "renegotiate" -> (names.equals(java.util.Set.of("type"))
          || names.equals(java.util.Set.of("type", "reason")) && node.get("reason").isTextual()) ? type : null;
      default -> null;
    };
  }
}
