package io.parley.api;

import io.parley.core.ParleyException;
import io.parley.core.config.ParleyConfig;
import java.util.concurrent.CountDownLatch;

/** {@code java -jar parley.jar}: configuration from the environment, then one node until SIGTERM. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    ParleyConfig config;
    try {
      config = ParleyConfig.fromEnvironment();
      ParleyServer.FeatureOptions.of(config);
    } catch (ParleyException e) {
      System.err.println("parley: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    LogSetup.configure(config.logFormat());
    ParleyServer server;
    try {
      server = ParleyServer.start(config);
    } catch (RuntimeException e) {
      System.err.println("parley: cannot start: " + e.getMessage());
      if (!(e instanceof ParleyException)) {
        e.printStackTrace();
      }
      LogSetup.flush();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      LogSetup.flush();
      stopped.countDown();
    }, "parley-shutdown"));
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
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
