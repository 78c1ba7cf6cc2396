package io.parley.api.assistant;

import io.vertx.core.MultiMap;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * What a {@code /v1/realtime} handshake carries ({@link RealtimeEndpoint}): the access token, in the
 * {@code Authorization: Bearer} header the openai clients send or, for browsers, in the WebSocket
 * subprotocol {@code openai-insecure-api-key.<access token>}; and the query's parameters
 * ({@code resume}, {@code conversation}, {@code intent}).
 */
final class RealtimeHandshake {

  /** The prefix of the subprotocol that carries a browser's access token. */
  static final String SUBPROTOCOL_KEY = "openai-insecure-api-key.";

  private RealtimeHandshake() {}

  /** The access token of a handshake's {@code headers}: the bearer header, else the browsers' subprotocol; or null. */
  static String accessToken(MultiMap headers) {
    String header = headers.get("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    String token = null;
    String protocols = headers.get("Sec-WebSocket-Protocol");
    if (protocols != null) {
      for (String p : protocols.split(",")) {
        if (p.trim().startsWith(SUBPROTOCOL_KEY)) {
          token = p.trim().substring(SUBPROTOCOL_KEY.length());
        }
      }
    }
    return token;
  }

  /** The {@code resume} query parameter: a session's resume token (never an access token). */
  static String resumeToken(String query) {
    return queryParam(query, "resume");
  }

  /** A query parameter's decoded value, or null. */
  static String queryParam(String query, String name) {
    if (query == null) {
      return null;
    }
    for (String kv : query.split("&")) {
      if (kv.startsWith(name + "=")) {
        return URLDecoder.decode(kv.substring(name.length() + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
