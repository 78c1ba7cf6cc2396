package io.parley.media.turn;

import static io.parley.media.turn.codec.StunAttributeType.XOR_RELAYED_ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.media.turn.codec.Attributes;
import io.parley.media.turn.codec.StunClass;
import io.parley.media.turn.codec.StunMessage;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Allocate picks a random relay port and tries another when that one is taken: with half of a
 * two-port range occupied, every Allocate still gets the free port (before the fix, the first
 * failed bind made every retry fail too, and Allocate answered 508).
 */
class RelayPortRetryTest {

  private static final int ROUNDS = 16;

  @Test
  void allocateFindsTheFreeRelayPortWhenTheFirstPickIsTaken() throws Exception {
    int low = freeUdpPortPair();
    try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), low));
         TurnTestServer turn = TurnTestServer.start(Map.of("PARLEY_TURN_RELAY_PORTS", low + "-" + (low + 1)));
         TurnUdpClient client = new TurnUdpClient(turn.port(), TurnTestServer.USER, TurnTestServer.PASSWORD)) {
      // Each round picks port low (taken) or low + 1 first: 16 rounds miss the retry path with
      // probability 2^-16.
      for (int round = 0; round < ROUNDS; round++) {
        StunMessage allocated = client.allocate();
        assertThat(allocated.cls()).as("round %d: Allocate answered %s", round, describe(allocated))
            .isEqualTo(StunClass.SUCCESS_RESPONSE);
        InetSocketAddress relay = Attributes.xorAddress(allocated.attribute(XOR_RELAYED_ADDRESS),
            allocated.transactionId());
        assertThat(relay.getPort()).isEqualTo(low + 1);
        assertThat(client.refresh(0).cls()).isEqualTo(StunClass.SUCCESS_RESPONSE);
      }
    }
  }

  private static String describe(StunMessage m) {
    var code = m.attribute(io.parley.media.turn.codec.StunAttributeType.ERROR_CODE);
    return code == null ? m.cls().name() : String.valueOf(Attributes.errorCode(code));
  }

  /** An even port p with p and p + 1 both free on loopback (UDP), in the server's test range. */
  private static int freeUdpPortPair() throws Exception {
    for (int p = 49000; p < 49990; p += 2) {
      try (DatagramSocket a = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
           DatagramSocket b = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p + 1))) {
        return p;
      } catch (java.net.BindException e) {
        // taken: try the next pair
      }
    }
    throw new IllegalStateException("no free UDP port pair in 49000-49999");
  }
}
