package io.parley.media.turn;

import java.net.InetSocketAddress;

/**
 * The 5-tuple that identifies an allocation (RFC 8656 §2): the client's transport address, the
 * server's transport address it reached, and the transport protocol between them.
 */
public record FiveTuple(InetSocketAddress client, InetSocketAddress server, Transport transport) {

  /** Transport between client and server. */
  public enum Transport { UDP, TCP, TLS }
}
