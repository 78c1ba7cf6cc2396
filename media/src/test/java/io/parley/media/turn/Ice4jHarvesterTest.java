package io.parley.media.turn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.ice4j.StackProperties;
import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.Agent;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.Component;
import org.ice4j.ice.HostCandidate;
import org.ice4j.ice.IceMediaStream;
import org.ice4j.ice.KeepAliveStrategy;
import org.ice4j.ice.LocalCandidate;
import org.ice4j.ice.RelayedCandidate;
import org.ice4j.ice.harvest.AbstractCandidateHarvester;
import org.ice4j.ice.harvest.CandidateHarvester;
import org.ice4j.ice.harvest.HarvestConfig;
import org.ice4j.ice.harvest.StunCandidateHarvester;
import org.ice4j.ice.harvest.TurnCandidateHarvester;
import org.ice4j.ice.ComponentSocket;
import org.ice4j.security.LongTermCredential;
import org.ice4j.socket.IceSocketWrapper;
import org.ice4j.socket.IceUdpSocketWrapper;
import org.ice4j.socket.MultiplexingDatagramSocket;
import org.jitsi.config.JitsiConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ice4j's own ICE {@link Agent}, an independent TURN/STUN client, gathering candidates from
 * Parley: a relayed candidate through {@link TurnCandidateHarvester} (long-term and REST
 * credentials), data both ways through that relay, the allocation ended by ice4j's Refresh with
 * LIFETIME 0, and a server-reflexive candidate through {@link StunCandidateHarvester}.
 *
 * <p>Kept on loopback: ice4j's host harvester never uses loopback interfaces, so the agent's
 * dynamic host harvesting is off and {@link LoopbackHostHarvester} gives it one host candidate
 * on 127.0.0.1; its AWS mapping harvester (an HTTP probe of 169.254.169.254 at the first Agent) is
 * disabled through the typesafe config's system-property overrides. A server-reflexive address
 * equal to the host address is dropped by ice4j as redundant (RFC 8445 §5.1.3), so the STUN
 * harvest goes through a {@link UdpNat}, as it would in the field. {@code new Agent()} sets the
 * JVM-wide {@code org.ice4j.ALWAYS_SIGN} property; it is restored after each agent so that codec
 * tests in the same JVM see ice4j's defaults.
 */
@Timeout(120)
class Ice4jHarvesterTest {

  static TurnTestServer server;
  static TransportAddress turnServer;

  enum Credentials { LONG_TERM, REST }

  @BeforeAll
  static void start() {
    System.setProperty("ice4j.harvest.mapping.aws.enabled", "false");
    JitsiConfig.Companion.reloadNewConfig();
    assertThat(HarvestConfig.config.enableAwsHarvester()).as("ice4j AWS harvester disabled").isFalse();
    assertThat(HarvestConfig.config.stunMappingCandidateHarvesterAddresses()).isEmpty();
    Logger.getLogger("org.ice4j").setLevel(Level.WARNING);
    server = TurnTestServer.start(Map.of("PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "100"));
    turnServer = new TransportAddress("127.0.0.1", server.port(), Transport.UDP);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** One host candidate on 127.0.0.1, registered as ice4j's HostCandidateHarvester would. */
  static final class LoopbackHostHarvester extends AbstractCandidateHarvester {
    @Override
    public boolean isHostHarvester() {
      return true;
    }

    @Override
    public Collection<LocalCandidate> harvest(Component component) {
      try {
        IceSocketWrapper socket =
            new IceUdpSocketWrapper(new MultiplexingDatagramSocket(0, InetAddress.getLoopbackAddress()));
        HostCandidate host = new HostCandidate(socket, component, Transport.UDP);
        component.addLocalCandidate(host);
        host.getStunStack().addSocket(host.getStunSocket(null));
        ComponentSocket componentSocket = component.getComponentSocket();
        if (componentSocket != null) {
          componentSocket.add(socket);
        }
        return List.of(host);
      } catch (SocketException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** An agent with one stream and one component whose candidates have been gathered. */
  record Gathered(Agent agent, Component component, String alwaysSign) implements AutoCloseable {

    List<LocalCandidate> candidates(CandidateType type) {
      return component.getLocalCandidates().stream().filter(c -> c.getType() == type).toList();
    }

    LocalCandidate only(CandidateType type) {
      List<LocalCandidate> found = candidates(type);
      assertThat(found).as(type + " among " + component.getLocalCandidates()).hasSize(1);
      return found.get(0);
    }

    @Override
    public void close() {
      try {
        agent.free();
      } finally {
        restore(alwaysSign);
      }
    }
  }

  private static void restore(String alwaysSign) {
    if (alwaysSign == null) {
      System.clearProperty(StackProperties.ALWAYS_SIGN);
    } else {
      System.setProperty(StackProperties.ALWAYS_SIGN, alwaysSign);
    }
  }

  static Gathered gather(CandidateHarvester harvester) throws IOException {
    String alwaysSign = System.getProperty(StackProperties.ALWAYS_SIGN);
    Agent agent = new Agent();
    try {
      agent.setUseDynamicPorts(false);
      agent.addCandidateHarvester(new LoopbackHostHarvester());
      agent.addCandidateHarvester(harvester);
      IceMediaStream stream = agent.createMediaStream("audio");
      Component component = agent.createComponent(stream, KeepAliveStrategy.SELECTED_ONLY, false);
      return new Gathered(agent, component, alwaysSign);
    } catch (IOException | RuntimeException e) {
      try {
        agent.free();
      } finally {
        restore(alwaysSign);
      }
      throw e;
    }
  }

  static LongTermCredential credential(Credentials kind) {
    if (kind == Credentials.LONG_TERM) {
      return new LongTermCredential(TurnTestServer.USER, TurnTestServer.PASSWORD);
    }
    String[] rest = TurnCredentials.mint(TurnTestServer.SECRET, Instant.now().plusSeconds(3600), "bob", null);
    return new LongTermCredential(rest[0], rest[1]);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Credentials.class)
  void turnHarvesterGathersARelayedCandidate(Credentials kind) throws Exception {
    try (Gathered g = gather(new TurnCandidateHarvester(turnServer, credential(kind)))) {
      LocalCandidate host = g.only(CandidateType.HOST_CANDIDATE);
      LocalCandidate relayed = g.only(CandidateType.RELAYED_CANDIDATE);

      TransportAddress address = relayed.getTransportAddress();
      assertThat(address.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
      assertThat(address.getPort()).isBetween(server.settings.relayPortLow(), server.settings.relayPortHigh());
      assertThat(address.getTransport()).isEqualTo(Transport.UDP);
      assertThat(relayed.getRelayServerAddress()).isEqualTo(turnServer);
      // XOR-MAPPED-ADDRESS of the Allocate response: the host candidate, as Parley saw it.
      assertThat(relayed.getMappedAddress()).isEqualTo(host.getTransportAddress());
      // Parley holds that one allocation for the host candidate. Not a count of all allocations:
      // agent.free() ends the earlier tests' allocations only sometimes (ice4j's Refresh with
      // LIFETIME 0 races its own stack shutting down), so the server's total moves under a test.
      assertThat(server.server.relayedAddressesOf(socketAddress(host))).containsExactly(socketAddress(relayed));
    }
  }

  @Test
  void wrongPasswordGathersNoRelayedCandidate() throws Exception {
    double badIntegrity = server.counter("parley.turn.auth.failures", "reason", "bad_integrity");
    try (Gathered g = gather(new TurnCandidateHarvester(turnServer,
        new LongTermCredential(TurnTestServer.USER, "wrong-password")))) {
      assertThat(g.candidates(CandidateType.RELAYED_CANDIDATE)).isEmpty();
      assertThat(server.counter("parley.turn.auth.failures", "reason", "bad_integrity") - badIntegrity)
          .isGreaterThanOrEqualTo(1);
      assertThat(server.server.relayedAddressesOf(socketAddress(g.only(CandidateType.HOST_CANDIDATE)))).isEmpty();
    }
  }

  /**
   * ice4j's relayed socket sends to a peer (CreatePermission, then Send indications or ChannelData
   * as ice4j chooses) and receives the peer's answers (Data indications or ChannelData).
   */
  @Test
  void relayCarriesDataBothWays() throws Exception {
    int messages = 20;
    double toPeer = server.counter("parley.turn.packets", "direction", "client_to_peer");
    double toClient = server.counter("parley.turn.packets", "direction", "peer_to_client");
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try (Gathered g = gather(new TurnCandidateHarvester(turnServer, credential(Credentials.LONG_TERM)));
         DatagramSocket peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      peer.setSoTimeout(5_000);
      RelayedCandidate relayed = (RelayedCandidate) g.only(CandidateType.RELAYED_CANDIDATE);
      IceSocketWrapper socket = relayed.getCandidateIceSocketWrapper();
      InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalSocketAddress();

      for (int i = 0; i < messages; i++) {
        byte[] out = ("ice4j->peer " + i).getBytes(StandardCharsets.US_ASCII);
        socket.send(new DatagramPacket(out, out.length, peerAddress));

        DatagramPacket atPeer = new DatagramPacket(new byte[1500], 1500);
        peer.receive(atPeer);
        assertThat(text(atPeer)).isEqualTo("ice4j->peer " + i);
        // The peer sees the relayed address, not the client's.
        assertThat(atPeer.getSocketAddress()).isEqualTo(
            new InetSocketAddress(relayed.getTransportAddress().getAddress(), relayed.getTransportAddress().getPort()));

        byte[] back = ("peer->ice4j " + i).getBytes(StandardCharsets.US_ASCII);
        peer.send(new DatagramPacket(back, back.length, atPeer.getSocketAddress()));
        Future<DatagramPacket> received = reader.submit(() -> {
          DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
          socket.receive(p);
          return p;
        });
        DatagramPacket atClient = received.get(5, TimeUnit.SECONDS);
        assertThat(text(atClient)).isEqualTo("peer->ice4j " + i);
        assertThat(atClient.getSocketAddress()).isEqualTo(peerAddress);
      }
      assertThat(server.counter("parley.turn.packets", "direction", "client_to_peer") - toPeer).isEqualTo(messages);
      assertThat(server.counter("parley.turn.packets", "direction", "peer_to_client") - toClient)
          .isEqualTo(messages);
    } finally {
      reader.shutdownNow();
      reader.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Closing ice4j's relayed socket sends Refresh with LIFETIME 0: the allocation ends at once. */
  @Test
  void closingTheRelayedSocketDeletesTheAllocation() throws Exception {
    try (Gathered g = gather(new TurnCandidateHarvester(turnServer, credential(Credentials.REST)))) {
      RelayedCandidate relayed = (RelayedCandidate) g.only(CandidateType.RELAYED_CANDIDATE);
      InetSocketAddress client = socketAddress(g.only(CandidateType.HOST_CANDIDATE));
      assertThat(server.server.relayedAddressesOf(client)).containsExactly(socketAddress(relayed));

      relayed.getCandidateIceSocketWrapper().close();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!server.server.relayedAddressesOf(client).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(server.server.relayedAddressesOf(client)).isEmpty();
    }
  }

  @Test
  void stunHarvesterBehindNatGathersAServerReflexiveCandidate() throws Exception {
    try (UdpNat nat = new UdpNat(new InetSocketAddress("127.0.0.1", server.port()))) {
      TransportAddress stunServer = new TransportAddress(nat.address().getAddress(), nat.address().getPort(),
          Transport.UDP);
      try (Gathered g = gather(new StunCandidateHarvester(stunServer))) {
        LocalCandidate host = g.only(CandidateType.HOST_CANDIDATE);
        LocalCandidate reflexive = g.only(CandidateType.SERVER_REFLEXIVE_CANDIDATE);

        InetSocketAddress hostAddress = new InetSocketAddress(host.getTransportAddress().getAddress(),
            host.getTransportAddress().getPort());
        InetSocketAddress mapped = nat.mapping(hostAddress);
        assertThat(mapped).as("the NAT saw the host candidate " + hostAddress + ": " + nat.mappings()).isNotNull();
        assertThat(reflexive.getTransportAddress().getAddress()).isEqualTo(mapped.getAddress());
        assertThat(reflexive.getTransportAddress().getPort()).isEqualTo(mapped.getPort());
        assertThat(reflexive.getBase()).isEqualTo(host);
        assertThat(reflexive.getStunServerAddress()).isEqualTo(stunServer);
      }
    }
  }

  private static InetSocketAddress socketAddress(LocalCandidate candidate) {
    TransportAddress address = candidate.getTransportAddress();
    return new InetSocketAddress(address.getAddress(), address.getPort());
  }

  private static String text(DatagramPacket p) {
    return new String(p.getData(), p.getOffset(), p.getLength(), StandardCharsets.US_ASCII);
  }
}
