package io.parley.api.store;

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

/**
 * An exclusive OS lock on {@code PARLEY_HOME/parley.lock}: a second Parley on the same home fails
 * with a clear error instead of starting a second PostgreSQL on the same data directory. The OS
 * drops the lock when the process dies, however it dies, so a crash never leaves a stale lock.
 */
public final class HomeLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private HomeLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  public static HomeLock acquire(Path home) {
    Path file = home.resolve("parley.lock");
    FileChannel channel = null;
    try {
      Files.createDirectories(home);
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
      return new HomeLock(channel, lock);
    } catch (IOException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // the original error is the one worth reporting
        }
      }
      throw new ParleyException(Reason.UNAVAILABLE, "PARLEY_HOME: cannot lock " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    lock.release();
    channel.close();
  }
}
