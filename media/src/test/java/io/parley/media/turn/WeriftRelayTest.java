package io.parley.media.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two werift WebRTC peers (npm, an implementation nobody here wrote) connect relay-only through
 * Parley's TURN server with REST credentials and exchange data-channel messages both ways
 * ({@code media/src/test/js/werift-relay.mjs}). ICE, DTLS and SCTP all cross the relay: the server's
 * own meters must show the allocations and the relayed packets.
 */
class WeriftRelayTest {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WeriftRelayTest.class);
  private static final Path SCRIPT = Path.of("media/src/test/js/werift-relay.mjs");
  private static final int MESSAGES = 100;
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);

  @Test
  void twoWeriftPeersExchangeDataChannelMessagesRelayOnlyThroughParley() throws Exception {
    NodeTools node = NodeTools.require("werift");
    try (TurnTestServer turn = TurnTestServer.start();
         ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor()) {
      // The peers keep their allocations until the server closes, but sample the peak anyway:
      // what matters is that they were made, not what the client does on close.
      AtomicInteger peakAllocations = new AtomicInteger();
      sampler.scheduleAtFixedRate(() -> peakAllocations.accumulateAndGet(turn.server.allocations(), Math::max),
          0, 10, TimeUnit.MILLISECONDS);
      String[] credentials = TurnCredentials.mint(TurnTestServer.SECRET, Instant.now().plusSeconds(600),
          "werift-user", "werift-call");

      NodeTools.Run run = node.run(SCRIPT,
          List.of("--url", "turn:127.0.0.1:" + turn.port() + "?transport=udp",
              "--messages", String.valueOf(MESSAGES),
              "--timeout-ms", String.valueOf(SCRIPT_TIMEOUT.toMillis())),
          Map.of("TURN_USERNAME", credentials[0], "TURN_CREDENTIAL", credentials[1]),
          SCRIPT_TIMEOUT.plusSeconds(15));
      sampler.shutdown();
      sampler.awaitTermination(1, TimeUnit.SECONDS);

      String why = "werift " + node.version("werift") + " exited " + run.exitCode() + "\nstdout: " + run.stdout()
          + "\nstderr: " + run.stderr();
      assertThat(run.exitCode()).as(why).isZero();
      JsonObject summary = new JsonObject(run.lastLine());
      assertThat(summary.getBoolean("ok")).as(why).isTrue();
      assertThat(summary.getInteger("aReceived")).as(why).isEqualTo(MESSAGES);
      assertThat(summary.getInteger("bReceived")).as(why).isEqualTo(MESSAGES);
      // Relay-only: each peer gathered relay candidates only and nominated a relay-relay pair, over UDP.
      JsonObject candidates = summary.getJsonObject("candidates");
      for (String side : List.of("a", "b")) {
        assertThat(candidates.getJsonArray(side).stream().map(String::valueOf).toList()).as(why).isNotEmpty().containsOnly("relay");
        assertThat(summary.getJsonObject("selected").getJsonObject(side).getMap())
            .as(why).containsEntry("local", "relay").containsEntry("remote", "relay");
        assertThat(summary.getJsonObject("turnTransport").getString(side)).as(why).isEqualTo("udp");
      }

      // Parley's own meters: one allocation per peer, and traffic relayed both ways.
      double toPeer = turn.counter("parley.turn.packets", "direction", "client_to_peer");
      double toClient = turn.counter("parley.turn.packets", "direction", "peer_to_client");
      String metrics = "allocations peak " + peakAllocations.get() + ", packets client_to_peer " + toPeer
          + ", peer_to_client " + toClient + "; " + why;
      LOG.info("werift {}: {}; {}", node.version("werift"), run.lastLine(), metrics.substring(0, metrics.indexOf(';')));
      assertThat(peakAllocations.get()).as(metrics).isGreaterThanOrEqualTo(2);
      assertThat(toPeer).as(metrics).isPositive();
      assertThat(toClient).as(metrics).isPositive();
      // Both peers' messages (2 x MESSAGES of >= 6 bytes before SCTP and DTLS framing) left through
      // a relay socket: at least that many bytes went client_to_peer.
      assertThat(turn.counter("parley.turn.bytes", "direction", "client_to_peer"))
          .as(metrics).isGreaterThan(2.0 * MESSAGES * "a2b:00".length());
    }
  }
}
