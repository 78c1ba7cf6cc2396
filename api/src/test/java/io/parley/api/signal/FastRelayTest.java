package io.parley.api.signal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which messages the relay may forward exactly as written; everything else takes the full path. */
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
    assertThat(FastRelay.scan(text)).isEqualTo(expected);
  }
}
