package io.parley.api.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the benchmarks read about a server process from outside: its heap after a forced GC and its
 * native memory (jcmd), and from /proc its resident memory, descendants, open files and threads.
 */
final class ProcessProbe {

  private ProcessProbe() {}

  /** Heap in use (KB) after a full GC (two, so that finalizable objects go too), read with jcmd. */
  static long heapKbAfterGc(String jcmd, long pid) throws Exception {
    exec(jcmd, Long.toString(pid), "GC.run");
    exec(jcmd, Long.toString(pid), "GC.run");
    String info = exec(jcmd, Long.toString(pid), "GC.heap_info");
    long kb = 0;
    boolean any = false;
    Matcher m = Pattern.compile("(?m)^(?!.*(?:Metaspace|class space)).*?\\bused (\\d+)K").matcher(info);
    while (m.find()) {
      kb += Long.parseLong(m.group(1));
      any = true;
    }
    if (!any) {
      throw new IllegalStateException("cannot read the heap from jcmd GC.heap_info:\n" + info);
    }
    return kb;
  }

  /**
   * Native memory the JVM committed (KB), all categories, from Native Memory Tracking (the JVM
   * must run with {@code -XX:NativeMemoryTracking=summary}). Memory that native libraries allocate
   * with their own allocators (not through the JVM) is not in it: the RSS is.
   */
  static long nmtCommittedKb(String jcmd, long pid) throws Exception {
    String summary = exec(jcmd, Long.toString(pid), "VM.native_memory", "summary");
    Matcher m = Pattern.compile("(?m)^Total: reserved=\\d+KB, committed=(\\d+)KB").matcher(summary);
    if (!m.find()) {
      throw new IllegalStateException("no NMT total in jcmd VM.native_memory summary (started without "
          + "-XX:NativeMemoryTracking=summary?):\n" + summary);
    }
    return Long.parseLong(m.group(1));
  }

  /** Resident memory (KB) of a process: heap, native, code, stacks. */
  static long rssKb(long pid) throws IOException {
    return statusField(pid, "VmRSS");
  }

  /**
   * Proportional resident memory (KB): each page shared with other processes counted as its share
   * (PostgreSQL's shared buffers are in every backend's RSS; summed PSS counts them once).
   */
  static long pssKb(long pid) throws IOException {
    String rollup = Files.readString(Path.of("/proc/" + pid + "/smaps_rollup"));
    Matcher m = Pattern.compile("(?m)^Pss:\\s+(\\d+) kB").matcher(rollup);
    if (!m.find()) {
      throw new IllegalStateException("no Pss in /proc/" + pid + "/smaps_rollup");
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * Unique resident memory (KB): the pages only this process maps (Private_Clean + Private_Dirty),
   * none of what it shares with others (PostgreSQL's shared buffers).
   */
  static long ussKb(long pid) throws IOException {
    String rollup = Files.readString(Path.of("/proc/" + pid + "/smaps_rollup"));
    long kb = 0;
    Matcher m = Pattern.compile("(?m)^Private_(?:Clean|Dirty):\\s+(\\d+) kB").matcher(rollup);
    int found = 0;
    while (m.find()) {
      kb += Long.parseLong(m.group(1));
      found++;
    }
    if (found != 2) {
      throw new IllegalStateException("no Private_Clean/Private_Dirty in /proc/" + pid + "/smaps_rollup");
    }
    return kb;
  }

  /** Threads of a process. */
  static long threads(long pid) throws IOException {
    return statusField(pid, "Threads");
  }

  private static long statusField(long pid, String field) throws IOException {
    String status = Files.readString(Path.of("/proc/" + pid + "/status"));
    Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+)").matcher(status);
    if (!m.find()) {
      throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
    }
    return Long.parseLong(m.group(1));
  }

  /** Open file descriptors of a process (sockets, files, pipes, epoll). */
  static long fds(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return fds.count();
    }
  }

  /**
   * {@code pid}, every process whose command line contains {@code mentioning} (null: none; e.g.
   * the node's home, for the embedded PostgreSQL that pg_ctl detached from it), and all their
   * descendants, by pid, each with its command line (arguments by spaces).
   */
  static Map<Long, String> tree(long pid, String mentioning) throws IOException {
    List<Long> roots = new ArrayList<>(List.of(pid));
    // This process and its ancestors may name the same directory in their arguments: never the node's.
    java.util.Set<Long> us = new java.util.HashSet<>();
    for (var h = java.util.Optional.of(ProcessHandle.current()); h.isPresent(); h = h.get().parent()) {
      us.add(h.get().pid());
    }
    Map<Long, List<Long>> children = new TreeMap<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String stat = Files.readString(p.resolve("stat"));
          long ppid = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
          long child = Long.parseLong(p.getFileName().toString());
          children.computeIfAbsent(ppid, k -> new ArrayList<>()).add(child);
          if (mentioning != null && child != pid && !us.contains(child)
              && new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).contains(mentioning)) {
            roots.add(child);
          }
        } catch (IOException | RuntimeException gone) {
          // The process ended while listed.
        }
      }
    }
    Map<Long, String> tree = new TreeMap<>();
    List<Long> todo = new ArrayList<>(roots);
    while (!todo.isEmpty()) {
      long p = todo.removeLast();
      if (tree.containsKey(p)) {
        continue;
      }
      try {
        byte[] cmd = Files.readAllBytes(Path.of("/proc/" + p + "/cmdline"));
        tree.put(p, new String(cmd, StandardCharsets.UTF_8).replace('\0', ' ').strip());
      } catch (IOException gone) {
        continue;
      }
      todo.addAll(children.getOrDefault(p, List.of()));
    }
    return tree;
  }

  static String exec(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
