package io.parley.api.infra;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks a free loopback TCP port. */
public final class FreePort {
  private FreePort() {}

  public static int pick() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
