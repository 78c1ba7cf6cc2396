package io.parley.api.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a database process left behind by a Parley that was killed (SIGKILL skips shutdown
 * hooks). Only called while holding the {@link HomeLock}, so a live pid in our pid file cannot
 * belong to a running Parley: it is an orphan still holding our data directory or port.
 */
final class Orphans {

  private static final Logger LOG = LoggerFactory.getLogger(Orphans.class);

  private Orphans() {}

  /** Reads the pid on the first line of {@code pidFile}, stops that process if it still runs. */
  static void stop(Path pidFile, String expectedCommand, Duration grace) throws IOException {
    if (!Files.exists(pidFile)) {
      return;
    }
    String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
    long pid;
    try {
      pid = Long.parseLong(first);
    } catch (NumberFormatException e) {
      Files.deleteIfExists(pidFile);
      return;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      Files.deleteIfExists(pidFile);
      return;
    }
    String command = handle.get().info().command().orElse("");
    if (!command.contains(expectedCommand)) {
      // The pid was reused by an unrelated process: leave it alone, drop the stale file.
      Files.deleteIfExists(pidFile);
      return;
    }
    LOG.warn("stopping orphaned {} (pid {}) left by an earlier Parley", expectedCommand, pid);
    ProcessHandle p = handle.get();
    p.destroy();
    try {
      p.onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
      try {
        p.onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (Exception again) {
        throw new IOException("orphaned " + expectedCommand + " (pid " + pid + ") does not stop", again);
      }
    }
    Files.deleteIfExists(pidFile);
  }
}
