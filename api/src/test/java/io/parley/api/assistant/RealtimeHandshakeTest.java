package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** What a {@code /v1/realtime} handshake carries: its access token and its query's parameters. */
class RealtimeHandshakeTest {

  private static String token(String... headers) {
    MultiMap map = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < headers.length; i += 2) {
      map.add(headers[i], headers[i + 1]);
    }
    return RealtimeHandshake.accessToken(map);
  }

  @Test
  void theAccessTokenIsTheBearerHeaderElseTheBrowsersSubprotocol() {
    String protocols = "realtime, openai-insecure-api-key.from-protocol, openai-agents-sdk.0.20.0";
    assertThat(token("Authorization", "Bearer  abc ")).isEqualTo("abc");
    assertThat(token("authorization", "bearer abc")).isEqualTo("abc");
    assertThat(token("Authorization", "Bearer abc", "Sec-WebSocket-Protocol", protocols)).isEqualTo("abc");
    assertThat(token("Sec-WebSocket-Protocol", protocols)).isEqualTo("from-protocol");
    assertThat(token("Authorization", "Basic abc", "Sec-WebSocket-Protocol", protocols)).isEqualTo("from-protocol");
    assertThat(token("Sec-WebSocket-Protocol", "realtime")).isNull();
    assertThat(token("Authorization", "Basic abc")).isNull();
    assertThat(token()).isNull();
  }

  @Test
  void queryParametersAreMatchedByWholeNameAndDecoded() {
    String query = "model=gpt-realtime&xresume=no&resume=a%2Bb%3D&conversation=c1&intent=transcription";
    assertThat(RealtimeHandshake.resumeToken(query)).isEqualTo("a+b=");
    assertThat(RealtimeHandshake.queryParam(query, "conversation")).isEqualTo("c1");
    assertThat(RealtimeHandshake.queryParam(query, "intent")).isEqualTo("transcription");
    assertThat(RealtimeHandshake.queryParam("resume_x=1", "resume")).isNull();
    assertThat(RealtimeHandshake.resumeToken("model=gpt-realtime")).isNull();
    assertThat(RealtimeHandshake.resumeToken(null)).isNull();
  }
}
