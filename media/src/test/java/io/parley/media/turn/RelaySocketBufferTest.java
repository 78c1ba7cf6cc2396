package io.parley.media.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelOption;
import io.parley.media.turn.codec.StunClass;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A relay socket asks for a receive buffer of {@link TurnServer#RELAY_RCVBUF}: the kernel default
 * (about 200 small datagrams) overflowed under ./parley bench turn and the kernel dropped relayed
 * packets.
 */
class RelaySocketBufferTest {

  @Test
  void relaySocketGetsTheLargerReceiveBuffer() throws Exception {
    try (TurnTestServer turn = TurnTestServer.start();
         TurnUdpClient client = new TurnUdpClient(turn.port(), TurnTestServer.USER, TurnTestServer.PASSWORD)) {
      assertThat(client.allocate().cls()).isEqualTo(StunClass.SUCCESS_RESPONSE);
      FiveTuple tuple = new FiveTuple(client.localAddress(),
          new InetSocketAddress(InetAddress.getLoopbackAddress(), turn.port()), FiveTuple.Transport.UDP);
      Allocation a = turn.server.allocation(tuple);
      assertThat(a).as("allocation of %s", tuple).isNotNull();
      int granted = a.relay.config().getOption(ChannelOption.SO_RCVBUF);
      // Linux caps the request at net.core.rmem_max, then reports twice what it granted.
      // (readAllLines: Files.readString returned only a prefix of this procfs file here)
      long rmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max")).get(0).strip());
      assertThat((long) granted).isGreaterThanOrEqualTo(Math.min(TurnServer.RELAY_RCVBUF, rmemMax));
    }
  }
}
