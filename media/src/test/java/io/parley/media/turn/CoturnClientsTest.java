package io.parley.media.turn;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import io.parley.core.testing.TestCertificate;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parley's TURN/STUN server against coturn's own test clients (Debian package {@code coturn}), a
 * client implementation nobody here wrote: {@code turnutils_stunclient} for Binding, and
 * {@code turnutils_uclient} for Allocate, CreatePermission, ChannelBind, Refresh and the data
 * plane, echoed by {@code turnutils_peer} or relayed client to client. All on loopback, at a bounded
 * load, every process bounded in time and killed afterwards.
 *
 * <p>uclient facts this relies on: without {@code -c} it allocates RTP/RTCP pairs (EVEN-PORT with
 * the R bit, then RESERVATION-TOKEN), with it one allocation per client (EVEN-PORT without R
 * anyway); {@code -S} speaks TLS to the TLS port (it checks no certificate); it uses channel
 * numbers above 0x4FFF (the RFC 5766 range, accepted), and leaves its UDP allocations to expire,
 * hence the high per-user quota here.
 */
@Timeout(300)
class CoturnClientsTest {

  /** uclient load: messages per client, clients, payload bytes, ms between a client's messages. */
  static final int MESSAGES = 200;
  static final int CLIENTS = 4;
  static final int LENGTH = 170;
  static final int INTERVAL_MS = 5;
  static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

  static TurnTestServer server;
  static CoturnTools.Peer peer;

  @TempDir
  static java.nio.file.Path certificates;

  @BeforeAll
  static void start() {
    for (String tool : List.of("turnutils_stunclient", "turnutils_uclient", "turnutils_peer")) {
      CoturnTools.require(tool);
    }
    TestCertificate tls = TestCertificate.create(certificates, "parley-turn");
    server = TurnTestServer.start(Map.of("PARLEY_TURN_MAX_ALLOCATIONS_PER_USER", "10000",
        "PARLEY_TURN_TLS_CERT", tls.cert().toString(), "PARLEY_TURN_TLS_KEY", tls.key().toString(),
        "PARLEY_TURN_TLS_PORT", "0"));
    peer = CoturnTools.startPeer();
  }

  @AfterAll
  static void stop() {
    try {
      if (peer != null) {
        peer.close();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  // --- STUN Binding ------------------------------------------------------------------------------

  private static final Pattern REFLEXIVE = Pattern.compile("UDP reflexive addr: ([0-9.]+):(\\d+)");

  /** The reflexive addresses a stunclient run printed (it prints its result more than once). */
  private static List<InetSocketAddress> reflexive(CoturnTools.Run run) {
    List<InetSocketAddress> out = new ArrayList<>();
    Matcher m = REFLEXIVE.matcher(run.output());
    while (m.find()) {
      out.add(new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
    }
    return out;
  }

  @ParameterizedTest(name = "stunclient from {0}")
  @ValueSource(strings = {"127.0.0.1", "127.0.0.2"})
  void stunclientGetsItsOwnAddressBack(String local) {
    CoturnTools.Run run = CoturnTools.run(Duration.ofSeconds(20), "turnutils_stunclient",
        "-L", local, "-p", Integer.toString(server.port()), "127.0.0.1");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    List<InetSocketAddress> seen = reflexive(run);
    assertThat(seen).as(run.toString()).isNotEmpty().allMatch(a -> a.equals(seen.get(0)));
    // The address it sent from: the loopback address it was told to use, and an ephemeral port of
    // its own (not the server's).
    assertThat(seen.get(0).getAddress().getHostAddress()).isEqualTo(local);
    assertThat(seen.get(0).getPort()).isBetween(1024, 65535).isNotEqualTo(server.port());
  }

  /**
   * Behind a NAT, the reflexive address is the NAT's mapping, a port the client never chose: this
   * pins the exact port Parley must report.
   */
  @Test
  void stunclientBehindNatGetsTheNatMapping() throws Exception {
    try (UdpNat nat = new UdpNat(new InetSocketAddress("127.0.0.1", server.port()))) {
      CoturnTools.Run run = CoturnTools.run(Duration.ofSeconds(20), "turnutils_stunclient",
          "-p", Integer.toString(nat.address().getPort()), "127.0.0.1");

      assertThat(run.exitCode()).as(run.toString()).isZero();
      Map<InetSocketAddress, InetSocketAddress> mappings = nat.mappings();
      assertThat(mappings).as("stunclient sends from one socket").hasSize(1);
      InetSocketAddress mapped = mappings.values().iterator().next();
      assertThat(reflexive(run)).as(run.toString()).isNotEmpty().containsOnly(mapped);
    }
  }

  // --- TURN relay --------------------------------------------------------------------------------

  enum Transport { UDP, TCP, TLS }

  /** uclient's modes: one allocation per client ({@code -c}), or RTP/RTCP pairs (its default). */
  enum Mode { SINGLE, RTP_RTCP }

  enum Credentials { LONG_TERM, REST }

  enum Path { PEER, CLIENT_TO_CLIENT }

  enum Data { CHANNEL_DATA, SEND_INDICATION }

  /**
   * Every pair of (transport, credentials, path, data method) values occurs in these 8 runs (a
   * 2^(4-1) fractional factorial: data = transport xor credentials xor path), half the wall time
   * of the full 16.
   */
  static Stream<Arguments> relayTable() {
    List<Arguments> rows = new ArrayList<>();
    for (Transport t : List.of(Transport.UDP, Transport.TCP)) {
      for (Credentials c : Credentials.values()) {
        for (Path p : Path.values()) {
          Data d = Data.values()[t.ordinal() ^ c.ordinal() ^ p.ordinal()];
          rows.add(Arguments.of(t, c, p, d));
        }
      }
    }
    return rows.stream();
  }

  /** uclient's final totals. */
  record Totals(long sentMessages, long receivedMessages, long sentBytes, long receivedBytes, long lost,
                long sendDropped) {

    private static final Pattern MESSAGES = Pattern.compile(
        "start_mclient: tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)");
    private static final Pattern BYTES = Pattern.compile(
        "start_mclient: tot_send_bytes ~ (\\d+), tot_recv_bytes ~ (\\d+)");
    private static final Pattern LOST = Pattern.compile(
        "Total lost packets (\\d+) \\([0-9.]+%\\), total send dropped (\\d+)");

    static Totals parse(CoturnTools.Run run) {
      MatchResult m = last(MESSAGES, run);
      MatchResult b = last(BYTES, run);
      MatchResult l = last(LOST, run);
      return new Totals(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(b.group(1)),
          Long.parseLong(b.group(2)), Long.parseLong(l.group(1)), Long.parseLong(l.group(2)));
    }

    private static MatchResult last(Pattern p, CoturnTools.Run run) {
      MatchResult found = null;
      for (Matcher m = p.matcher(run.output()); m.find(); ) {
        found = m.toMatchResult();
      }
      assertThat(found).as("uclient printed no line matching " + p + ":\n" + run).isNotNull();
      return found;
    }
  }

  private static List<String> uclientArgs(Transport t, Credentials c, Path p, Data d, String password) {
    return uclientArgs(Mode.SINGLE, t, c, p, d, password);
  }

  private static List<String> uclientArgs(Mode mode, Transport t, Credentials c, Path p, Data d, String password) {
    List<String> args = new ArrayList<>();
    if (mode == Mode.SINGLE) {
      args.add("-c");
    }
    if (t != Transport.UDP) {
      args.add("-t");
    }
    if (t == Transport.TLS) {
      args.add("-S");
    }
    if (d == Data.SEND_INDICATION) {
      args.add("-s");
    }
    if (p == Path.CLIENT_TO_CLIENT) {
      args.add("-y");
    } else {
      args.addAll(List.of("-e", "127.0.0.1", "-r", Integer.toString(peer.port())));
    }
    if (c == Credentials.LONG_TERM) {
      args.addAll(List.of("-u", TurnTestServer.USER, "-w", password));
    } else {
      args.addAll(List.of("-W", password, "-u", "bob"));
    }
    int port = t == Transport.TLS ? server.server.tlsPort() : server.port();
    args.addAll(List.of("-p", Integer.toString(port), "-n", Integer.toString(MESSAGES),
        "-m", Integer.toString(CLIENTS), "-l", Integer.toString(LENGTH), "-z", Integer.toString(INTERVAL_MS),
        "127.0.0.1"));
    return args;
  }

  private static double metric(String name, String direction) {
    return server.counter(name, "direction", direction);
  }

  @ParameterizedTest(name = "uclient {0} {1} via {2} with {3}")
  @MethodSource("relayTable")
  void uclientGetsEveryMessageBack(Transport t, Credentials c, Path p, Data d) {
    everyMessageBack(Mode.SINGLE, t, c, p, d);
  }

  /** uclient's default mode: an RTP/RTCP pair of allocations per client (EVEN-PORT R, RESERVATION-TOKEN). */
  @ParameterizedTest(name = "uclient default mode (RTP/RTCP pairs) over {0}")
  @ValueSource(strings = {"UDP", "TCP"})
  void uclientDefaultModeWithRtpRtcpPairsGetsEveryMessageBack(Transport t) {
    everyMessageBack(Mode.RTP_RTCP, t, Credentials.REST, Path.PEER, Data.CHANNEL_DATA);
  }

  /** TURN over TLS ({@code turns:}, RFC 8656 §3.1): uclient -S on the TLS port, both data methods. */
  @ParameterizedTest(name = "uclient over TLS via {0} with {1}")
  @CsvSource({"PEER,SEND_INDICATION", "CLIENT_TO_CLIENT,CHANNEL_DATA"})
  void uclientOverTlsGetsEveryMessageBack(Path p, Data d) {
    everyMessageBack(Mode.SINGLE, Transport.TLS, Credentials.LONG_TERM, p, d);
  }

  private void everyMessageBack(Mode mode, Transport t, Credentials c, Path p, Data d) {
    String password = c == Credentials.LONG_TERM ? TurnTestServer.PASSWORD : TurnTestServer.SECRET;
    double packetsToPeer = metric("parley.turn.packets", "client_to_peer");
    double packetsToClient = metric("parley.turn.packets", "peer_to_client");
    double bytesToPeer = metric("parley.turn.bytes", "client_to_peer");
    double bytesToClient = metric("parley.turn.bytes", "peer_to_client");

    CoturnTools.Run run = CoturnTools.run(RUN_TIMEOUT, "turnutils_uclient",
        uclientArgs(mode, t, c, p, d, password).toArray(String[]::new));

    assertThat(run.exitCode()).as(run.toString()).isZero();
    Totals totals = Totals.parse(run);
    long expected = (long) MESSAGES * CLIENTS;
    assertThat(totals.sentMessages()).as(run.toString()).isEqualTo(expected);
    assertThat(totals.receivedMessages()).as(run.toString()).isEqualTo(expected);
    assertThat(totals.sentBytes()).as(run.toString()).isEqualTo(expected * LENGTH);
    assertThat(totals.receivedBytes()).as(run.toString()).isEqualTo(expected * LENGTH);
    assertThat(totals.lost()).as(run.toString()).isZero();
    assertThat(totals.sendDropped()).as(run.toString()).isZero();

    // Every message crossed the relay once each way: client -> relay -> peer, then back from the
    // echoing peer (or into the other client's relay) -> client. Exact counts: nothing extra.
    assertThat(metric("parley.turn.packets", "client_to_peer") - packetsToPeer).isEqualTo(expected);
    assertThat(metric("parley.turn.packets", "peer_to_client") - packetsToClient).isEqualTo(expected);
    assertThat(metric("parley.turn.bytes", "client_to_peer") - bytesToPeer).isEqualTo(expected * LENGTH);
    assertThat(metric("parley.turn.bytes", "peer_to_client") - bytesToClient).isEqualTo(expected * LENGTH);
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of(Transport.UDP, Credentials.LONG_TERM, "wrong-password"),
        Arguments.of(Transport.TCP, Credentials.LONG_TERM, "wrong-password"),
        Arguments.of(Transport.UDP, Credentials.REST, "wrong-secret-0123456789"));
  }

  @ParameterizedTest(name = "uclient {0} {1} with a wrong password")
  @MethodSource("refusals")
  void wrongPasswordMakesUclientFail(Transport t, Credentials c, String password) {
    double badIntegrity = server.counter("parley.turn.auth.failures", "reason", "bad_integrity");
    double packetsToPeer = metric("parley.turn.packets", "client_to_peer");
    int allocations = server.server.allocations();

    CoturnTools.Run run = CoturnTools.run(RUN_TIMEOUT, "turnutils_uclient",
        uclientArgs(t, c, Path.PEER, Data.CHANNEL_DATA, password).toArray(String[]::new));

    assertThat(run.exitCode()).as(run.toString()).isNotZero();
    assertThat(run.output()).contains("Cannot complete Allocation");
    assertThat(server.counter("parley.turn.auth.failures", "reason", "bad_integrity") - badIntegrity)
        .as("bad_integrity auth failures").isGreaterThanOrEqualTo(1);
    assertThat(server.server.allocations()).as("no allocation made").isLessThanOrEqualTo(allocations);
    assertThat(metric("parley.turn.packets", "client_to_peer")).isEqualTo(packetsToPeer);
  }
}
