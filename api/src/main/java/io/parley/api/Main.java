package io.parley.api;

import io.parley.core.ParleyException;
import io.parley.core.config.ParleyConfig;
import java.util.concurrent.CountDownLatch;

/** {@code java -jar parley.jar}: configuration from the environment, then one node until SIGTERM. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    ParleyConfig config;
    Roles roles;
    try {
      config = ParleyConfig.fromEnvironment();
      roles = Roles.from(config.source());
      // An edge TURN node reads only its own settings: it never parses (nor loads) the engines'.
      if (roles.turnOnly()) {
        TurnNode.Options.of(config.source());
      } else {
        ParleyServer.FeatureOptions.of(config);
      }
    } catch (ParleyException e) {
      System.err.println("parley: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    LogSetup.configure(config.logFormat());
    if (roles.turnOnly()) {
      runTurnNode(config);
      return;
    }
    ParleyServer server;
    try {
      server = ParleyServer.start(config);
    } catch (RuntimeException e) {
      cannotStart(e);
      return;
    }
    CountDownLatch stopped = stopOnShutdown(server);
    String base = server.baseUrl();
    System.out.println("Parley is up:");
    System.out.println("  API         " + base + "/api/v1  (contract: " + base + "/api/v1/openapi.json)");
    System.out.println("  health      " + base + "/health/live  " + base + "/health/ready");
    System.out.println("  metrics     " + base + "/metrics");
    System.out.println("  OpenAI      " + base + "/v1  (chat/completions, audio/transcriptions, audio/speech)");
    System.out.println("  realtime    " + base.replaceFirst("^http", "ws") + "/v1/realtime  (voice: "
        + server.voice().summary() + ")");
    server.turn().ifPresent(t -> System.out.println("  TURN/STUN   turn:" + t.advertisedAddress().getHostAddress() + ":"
        + t.udpPort() + " (UDP and TCP)"));
    System.out.flush();
    awaitQuietly(stopped);
  }

  /** {@code PARLEY_ROLES=turn}: an edge TURN node, until SIGTERM. */
  private static void runTurnNode(ParleyConfig config) {
    TurnNode node;
    try {
      node = TurnNode.start(config);
    } catch (RuntimeException e) {
      cannotStart(e);
      return;
    }
    CountDownLatch stopped = stopOnShutdown(node);
    System.out.println("Parley TURN node is up:");
    System.out.println("  TURN/STUN   turn:" + node.turn().advertisedAddress().getHostAddress() + ":"
        + node.turn().udpPort() + " (UDP and TCP)");
    System.out.println("  health      http://" + config.http().host() + ":" + node.httpPort() + "/health/ready");
    System.out.flush();
    awaitQuietly(stopped);
  }

  private static void cannotStart(RuntimeException e) {
    System.err.println("parley: cannot start: " + e.getMessage());
    if (!(e instanceof ParleyException)) {
      e.printStackTrace();
    }
    LogSetup.flush();
    System.exit(1);
  }

  private static CountDownLatch stopOnShutdown(AutoCloseable node) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception e) {
        System.err.println("parley: while stopping: " + e);
      }
      LogSetup.flush();
      stopped.countDown();
    }, "parley-shutdown"));
    return stopped;
  }

  private static void awaitQuietly(CountDownLatch stopped) {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
