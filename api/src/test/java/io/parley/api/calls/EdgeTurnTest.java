package io.parley.api.calls;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.TurnNode;
import io.parley.api.support.CallFixture;
import io.parley.api.support.Poll;
import io.parley.api.support.SignalClient;
import io.parley.api.support.TestNode;
import io.parley.api.support.TurnAllocate;
import io.parley.core.config.ParleyConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deployment scaled out by role: an API and signalling node without TURN hands out the edge TURN
 * node's URL ({@code PARLEY_CALL_TURN_URLS}) with credentials minted with the shared secret; the
 * edge node ({@code PARLEY_ROLES=turn}, no PostgreSQL) relays with them and cuts the call's relay
 * when the API node ends the call. A node with the api role alone serves neither signalling nor
 * TURN nor the engines.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EdgeTurnTest {

  private static final String SECRET = "scaled-out-shared-secret-0123456789";

  @Test
  void anApiNodeHandsOutTheEdgeNodeAndTheEdgeNodeHearsTheCallEnd(@TempDir Path dir) throws Exception {
    int edgePort = freePort();
    String edgeUrl = "turn:127.0.0.1:" + edgePort + "?transport=udp";
    try (TestNode api = TestNode.start(Map.of("PARLEY_ROLES", "api,signal", "PARLEY_TURN_SECRET", SECRET,
        "PARLEY_CALL_TURN_URLS", edgeUrl))) {
      assertThat(api.server().turn()).as("no TURN server on an API node").isEmpty();
      try (TurnNode edge = TurnNode.start(ParleyConfig.of(Map.of("PARLEY_ROLES", "turn",
          "PARLEY_HOME", dir.resolve("edge").toString(), "PARLEY_HTTP_HOST", "127.0.0.1", "PARLEY_HTTP_PORT", "0",
          "PARLEY_TURN_SECRET", SECRET, "PARLEY_TURN_HOST", "127.0.0.1", "PARLEY_TURN_PORT",
          Integer.toString(edgePort), "PARLEY_TURN_TLS_PORT", "0", "PARLEY_TURN_RELAY_HOST", "127.0.0.1",
          "PARLEY_REDIS_URL", api.server().embeddedRedis().orElseThrow().url().toString())))) {
        CallFixture f = CallFixture.start(api);
        JsonObject ice = api.server().calls().iceServers(f.callId(), f.userId()).await();
        JsonArray servers = ice.getJsonArray("iceServers");
        assertThat(servers).hasSize(1);
        assertThat(servers.getJsonObject(0).getJsonArray("urls").getList()).containsExactly(edgeUrl);

        assertThat(TurnAllocate.allocateUdp(ice).errorCode()).isZero();
        assertThat(edge.turn().activeTags()).contains(f.callId().toString());
        api.server().calls().hangUp(f.callId(), f.userId()).await();
        Poll.until(Duration.ofSeconds(5), "the edge node cut the call's relay", () -> edge.turn().allocations() == 0);
        assertThat(TurnAllocate.allocateUdp(ice).errorCode()).as("the ended call's credentials").isEqualTo(403);
      }
    }
  }

  @Test
  void anApiOnlyNodeRunsNoSignallingNoTurnAndNoEngines() {
    try (TestNode api = TestNode.start(Map.of("PARLEY_ROLES", "api"))) {
      assertThat(api.server().turn()).isEmpty();
      assertThat(api.server().voice().summary()).isEqualTo("vad off, speech-to-text off, chat off, speech off");
      assertThat(api.server().vision().detector()).isEmpty();
      CallFixture f = CallFixture.start(api);
      assertThat(SignalClient.upgradeStatus(api.baseUrl(), "", f.userToken())).as("no signalling WebSocket")
          .isEqualTo(404);
      assertThat(api.server().calls().iceServers(f.callId(), f.userId()).await().getJsonArray("iceServers"))
          .as("no TURN to hand out").isEmpty();
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
