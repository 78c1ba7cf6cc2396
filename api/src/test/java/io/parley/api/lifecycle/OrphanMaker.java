package io.parley.api.lifecycle;

import io.parley.api.infra.EmbeddedPostgresService;
import io.parley.api.infra.EmbeddedRedisService;
import io.parley.api.infra.HomeLock;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Fixture main for a child JVM: takes PARLEY_HOME (args[0]) the way a Parley node does (home lock,
 * embedded PostgreSQL, embedded Redis), says "orphan-maker ready" and waits to be SIGKILLed, which
 * leaves both database processes behind exactly as a killed Parley does.
 *
 * <p>This has to be another process: inside the test JVM a "forgotten" EmbeddedPostgresService
 * would keep zonky's in-process lock on the data directory, which no killed process ever does.
 */
public final class OrphanMaker {

  private OrphanMaker() {}

  public static void main(String[] args) throws InterruptedException {
    Path home = Path.of(args[0]);
    HomeLock.acquire(home);
    EmbeddedPostgresService pg = EmbeddedPostgresService.start(home, 0);
    EmbeddedRedisService redis = EmbeddedRedisService.start(home, 0);
    System.out.println("orphan-maker ready pg=" + pg.port() + " redis=" + redis.port());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
