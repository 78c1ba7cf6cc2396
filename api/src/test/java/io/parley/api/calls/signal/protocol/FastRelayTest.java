package io.parley.api.calls.signal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

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
    java.util.Random random = new java.util.Random(20261122);
    com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper()
        .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    int accepted = 0;
    for (int round = 0; round < 40_000; round++) {
      StringBuilder m = new StringBuilder(seeds[random.nextInt(seeds.length)]);
      int edits = round == 0 ? 0 : 1 + random.nextInt(3);
      for (int e = 0; e < edits && m.length() > 0; e++) {
        int at = random.nextInt(m.length());
        switch (random.nextInt(3)) {
          case 0 -> m.deleteCharAt(at);
          case 1 -> m.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
          default -> m.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
        }
      }
      String text = m.toString();
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

  private static String wire(ClientMessage.Type type) {
    return type == null ? null : type.wire();
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
