package io.parley.media.turn;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * coturn's test clients (Debian package {@code coturn}) as external processes: found on the PATH
 * or in /usr/bin, or the test fails saying how to get them; every run bounded by a timeout and
 * killed, with its children, when it ends or overruns.
 */
final class CoturnTools {

  static final String INSTALL_HINT =
      "is missing: coturn's tools come from the Debian package `coturn`, which `./parley test` installs "
          + "(or: apt-get install coturn)";

  private CoturnTools() {}

  /** The tool's path; fails the test (never skips) when it is not installed. */
  static Path require(String tool) {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(":")) {
        if (!d.isEmpty()) {
          dirs.add(Path.of(d));
        }
      }
    }
    dirs.add(Path.of("/usr/bin"));
    for (Path d : dirs) {
      Path p = d.resolve(tool);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return fail(tool + " " + INSTALL_HINT);
  }

  /** What a finished run printed (stdout and stderr merged) and how it ended. */
  record Run(List<String> command, int exitCode, String output) {
    @Override
    public String toString() {
      return String.join(" ", command) + " -> exit " + exitCode + "\n" + output;
    }
  }

  /** Runs a tool to completion; fails the test if it overruns {@code timeout} (it is killed). */
  static Run run(Duration timeout, String tool, String... args) {
    List<String> command = command(tool, args);
    Path log = tempLog(tool);
    Process p = null;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        return fail(String.join(" ", command) + " did not finish within " + timeout + "; output:\n" + read(log));
      }
      return new Run(command, p.exitValue(), read(log));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (p != null) {
        kill(p);
      }
      deleteQuietly(log);
    }
  }

  /** A long-running tool (e.g. turnutils_peer); {@link #close()} kills it. */
  static final class Background implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final Path log;

    private Background(List<String> command, Process process, Path log) {
      this.command = command;
      this.process = process;
      this.log = log;
    }

    boolean alive() {
      return process.isAlive();
    }

    String output() {
      return read(log);
    }

    @Override
    public String toString() {
      return String.join(" ", command) + (process.isAlive() ? " (running)" : " (exited " + process.exitValue() + ")");
    }

    @Override
    public void close() {
      kill(process);
      deleteQuietly(log);
    }
  }

  static Background start(String tool, String... args) {
    List<String> command = command(tool, args);
    Path log = tempLog(tool);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      return new Background(command, p, log);
    } catch (IOException e) {
      deleteQuietly(log);
      throw new UncheckedIOException(e);
    }
  }

  /**
   * turnutils_peer (a UDP echo server) on a free loopback port, started and answering an echo
   * probe; a few attempts in case another process takes the free port first.
   */
  static Peer startPeer() {
    StringBuilder failures = new StringBuilder();
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freeUdpPort();
      Background peer = start("turnutils_peer", "-L", "127.0.0.1", "-p", Integer.toString(port));
      boolean ok = false;
      try {
        ok = echoes(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), Duration.ofSeconds(3));
        if (ok) {
          return new Peer(peer, port);
        }
        failures.append("port ").append(port).append(": alive=").append(peer.alive()).append(", output: ")
            .append(peer.output()).append('\n');
      } finally {
        if (!ok) {
          peer.close();
        }
      }
    }
    return fail("turnutils_peer did not echo on loopback:\n" + failures);
  }

  /** turnutils_peer and the loopback port it echoes on. */
  record Peer(Background process, int port) implements AutoCloseable {
    @Override
    public void close() {
      process.close();
    }
  }

  static int freeUdpPort() {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether a UDP echo server answers at {@code target} within {@code within}. */
  static boolean echoes(InetSocketAddress target, Duration within) {
    byte[] probe = "parley-echo-probe".getBytes(StandardCharsets.US_ASCII);
    long deadline = System.nanoTime() + within.toNanos();
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      s.setSoTimeout(200);
      while (System.nanoTime() < deadline) {
        s.send(new DatagramPacket(probe, probe.length, target));
        DatagramPacket in = new DatagramPacket(new byte[256], 256);
        try {
          s.receive(in);
          if (Arrays.equals(Arrays.copyOfRange(in.getData(), 0, in.getLength()), probe)) {
            return true;
          }
        } catch (SocketTimeoutException e) {
          // not up yet: send again
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> command(String tool, String... args) {
    List<String> command = new ArrayList<>();
    command.add(require(tool).toString());
    command.addAll(Arrays.asList(args));
    return command;
  }

  private static Path tempLog(String tool) {
    try {
      return Files.createTempFile("parley-" + tool + "-", ".log");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "(output unreadable: " + e + ")";
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // a temp file; harmless
    }
  }

  /** Kills a process and its descendants, waiting a bounded time for them to go. */
  static void kill(Process p) {
    List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
    all.add(p.toHandle());
    for (ProcessHandle h : all) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        // best effort: a process that will not die within 5 s is reported by the OS, not here
      }
    }
  }
}
