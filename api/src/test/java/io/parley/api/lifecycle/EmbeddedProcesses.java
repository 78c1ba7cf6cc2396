package io.parley.api.lifecycle;

import io.parley.api.support.Poll;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The PostgreSQL and redis-server processes that Parley starts under a PARLEY_HOME, seen from the
 * outside (pid files and {@code /proc}), and a per-class register of homes, ports and pids whose
 * processes must all be gone when the class ends.
 */
final class EmbeddedProcesses {

  private final Set<Path> homes = ConcurrentHashMap.newKeySet();
  private final Set<Integer> redisPorts = ConcurrentHashMap.newKeySet();
  private final Set<Long> pids = ConcurrentHashMap.newKeySet();

  /** Remembers a home: any process whose command line names it must be gone at the end. */
  Path track(Path home) {
    homes.add(home.toAbsolutePath());
    return home;
  }

  void trackRedisPort(int port) {
    redisPorts.add(port);
  }

  long trackPid(long pid) {
    pids.add(pid);
    return pid;
  }

  /** Records and returns the pid in {@code home/postgres/postmaster.pid} (the file must exist). */
  long postmaster(Path home) {
    return trackPid(pidIn(home.resolve("postgres/postmaster.pid")).orElseThrow(
        () -> new AssertionError("no postmaster.pid under " + home)));
  }

  /** Records and returns the pid in {@code home/redis/redis.pid} (the file must exist). */
  long redis(Path home) {
    return trackPid(pidIn(home.resolve("redis/redis.pid")).orElseThrow(
        () -> new AssertionError("no redis.pid under " + home)));
  }

  /**
   * Records whatever pids the home's pid files name (before the home is deleted): a node that was
   * killed by a failing test may have left them running, and the end-of-class check must see them.
   */
  void adopt(Path home) {
    pidIn(home.resolve("postgres/postmaster.pid")).ifPresent(this::trackPid);
    pidIn(home.resolve("redis/redis.pid")).ifPresent(this::trackPid);
  }

  static OptionalLong pidIn(Path pidFile) {
    try {
      if (!Files.exists(pidFile)) {
        return OptionalLong.empty();
      }
      String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
      return first.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(first));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  static void awaitDead(long pid, Duration timeout, String what) {
    Poll.until(timeout, what + " (pid " + pid + ") to be gone", () -> !alive(pid));
  }

  /** The command line of a process as the kernel shows it (redis rewrites its own). */
  static String commandLine(ProcessHandle p) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
      String s = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
      if (!s.isEmpty()) {
        return s;
      }
    } catch (IOException | RuntimeException e) {
      // gone meanwhile, or not readable: fall back to what the JDK knows
    }
    return p.info().commandLine().orElse(p.info().command().orElse(""));
  }

  /** Live postgres/redis-server processes that belong to the tracked homes, ports or pids. */
  List<String> survivors() {
    List<String> out = new ArrayList<>();
    List<Pattern> ports = redisPorts.stream().map(p -> Pattern.compile(":" + p + "(\\s|$)")).toList();
    ProcessHandle.allProcesses().filter(ProcessHandle::isAlive).forEach(p -> {
      if (p.pid() == ProcessHandle.current().pid()) {
        return;
      }
      String cmd = commandLine(p);
      // A tracked pid counts only while it is still a database process (pids get reused).
      boolean ours = (pids.contains(p.pid()) && (cmd.contains("postgres") || cmd.contains("redis-server")))
          || (cmd.contains("postgres") && homes.stream().anyMatch(h -> (cmd + " ").contains(dataDir(h))))
          || (cmd.contains("redis-server") && ports.stream().anyMatch(r -> r.matcher(cmd).find()));
      if (ours) {
        out.add(p.pid() + " " + cmd);
      }
    });
    return out;
  }

  /** The data directory as it appears, followed by a space, in a postmaster's command line. */
  private static String dataDir(Path home) {
    return home.resolve("postgres") + " ";
  }

  /**
   * Fails if a tracked process is still alive after a short grace (shutdowns finish in the
   * background); kills whatever is left first, so that a failure does not leak processes.
   */
  void assertNoneLeft() {
    try {
      Poll.until(Duration.ofSeconds(15), "no postgres/redis-server left behind", this::survivors, List::isEmpty);
    } catch (AssertionError e) {
      killAll();
      throw e;
    }
  }

  /** Cleanup after a failure: SIGKILL every tracked survivor. */
  private void killAll() {
    List<Long> victims = new ArrayList<>();
    for (String s : survivors()) {
      victims.add(Long.parseLong(s.substring(0, s.indexOf(' '))));
    }
    for (long pid : victims) {
      Optional<ProcessHandle> h = ProcessHandle.of(pid);
      h.ifPresent(ProcessHandle::destroyForcibly);
    }
  }
}
