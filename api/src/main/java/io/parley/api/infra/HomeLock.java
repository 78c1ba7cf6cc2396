package io.parley.api.infra;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive OS lock on {@code PARLEY_HOME/parley.lock}: a second Parley on the same home fails
 * with a clear error instead of starting a second PostgreSQL on the same data directory. The OS
 * drops the lock when the process dies, however it dies, so a crash never leaves a stale lock.
 */
public final class HomeLock implements AutoCloseable {

  /**
   * Homes locked by this JVM. The OS lock belongs to the process, and on Linux closing any channel
   * of the lock file (a refused second attempt from the same JVM, or just reading the holder's pid)
   * silently drops it: another process could then take the home and stop our PostgreSQL as an
   * "orphan". So a second attempt from this JVM is refused here, before it opens the file. Static
   * because what it mirrors, the process's lock, is process-wide.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final FileChannel channel;
  private final FileLock lock;
  private final Path key;

  private HomeLock(FileChannel channel, FileLock lock, Path key) {
    this.channel = channel;
    this.lock = lock;
    this.key = key;
  }

  public static HomeLock acquire(Path home) {
    Path file = home.resolve("parley.lock");
    Path key;
    try {
      Files.createDirectories(home);
      key = home.toRealPath();
    } catch (IOException e) {
      throw new ParleyException(Reason.UNAVAILABLE, "PARLEY_HOME: cannot create " + home + ": " + e.getMessage(), e);
    }
    if (!HELD.add(key)) {
      throw new ParleyException(Reason.CONFLICT, "another Parley is already running with PARLEY_HOME=" + home
          + " (in this process, pid " + ProcessHandle.current().pid() + "); stop it or choose another PARLEY_HOME");
    }
    boolean acquired = false;
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
        channel.close();
        throw new ParleyException(Reason.CONFLICT, "another Parley is already running with PARLEY_HOME="
            + home + (holder.isEmpty() ? "" : " (pid " + holder + ")")
            + "; stop it or choose another PARLEY_HOME");
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(true);
      acquired = true;
      return new HomeLock(channel, lock, key);
    } catch (IOException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // the original error is the one worth reporting
        }
      }
      throw new ParleyException(Reason.UNAVAILABLE, "PARLEY_HOME: cannot lock " + file + ": " + e.getMessage(), e);
    } finally {
      if (!acquired) {
        HELD.remove(key);
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
      channel.close();
    } finally {
      HELD.remove(key);
    }
  }
}
