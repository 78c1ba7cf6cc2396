package io.parley.api.lifecycle;

import io.parley.api.support.Poll;
import io.parley.api.support.TestNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A main class run in a child JVM on this test's classpath, its stdout and stderr collected line
 * by line. Closing it kills the process if it still runs (a failed test must not leak it).
 */
final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final List<String> out = new CopyOnWriteArrayList<>();
  private final List<String> err = new CopyOnWriteArrayList<>();
  /** Counts down when both streams reached their end (all output read). */
  private final CountDownLatch drained = new CountDownLatch(2);

  private ChildJvm(Process process) {
    this.process = process;
    drain(process.getInputStream(), out, "stdout");
    drain(process.getErrorStream(), err, "stderr");
  }

  /**
   * Starts {@code mainClass} with exactly the PARLEY_* settings given (inherited ones removed, so
   * an external PARLEY_PG_URL in the environment cannot turn embedded mode off).
   */
  static ChildJvm start(String mainClass, Map<String, String> parleyEnv, String... args) {
    return start(mainClass, parleyEnv, List.of(), args);
  }

  /** As {@link #start(String, Map, String...)}, with extra JVM options before the main class. */
  static ChildJvm start(String mainClass, Map<String, String> parleyEnv, List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>(List.of(javaBin(), "--enable-native-access=ALL-UNNAMED",
        // Keep the child light on this shared 2-core machine: C1 only, a modest heap.
        "-Xmx512m", "-XX:TieredStopAtLevel=1"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("PARLEY_"));
    pb.environment().putAll(parleyEnv);
    try {
      return new ChildJvm(pb.start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String javaBin() {
    return ProcessHandle.current().info().command().orElseThrow(() -> new AssertionError("no java command"));
  }

  /** The settings of a real node in a child JVM: embedded services under {@code home}, HTTP on {@code port}. */
  static Map<String, String> parleyEnv(Path home, int port) {
    Map<String, String> env = new HashMap<>();
    env.put("PARLEY_HOME", home.toString());
    env.put("PARLEY_HTTP_PORT", Integer.toString(port));
    env.put("PARLEY_HTTP_HOST", "127.0.0.1");
    env.put("PARLEY_LOG_FORMAT", "json");
    env.put("PARLEY_ARGON2_MEMORY_KIB", "1024");
    env.put("PARLEY_ARGON2_ITERATIONS", "1");
    env.put("PARLEY_MODELS", TestNode.nodeModelsDir().toString());
    // Process lifecycle is what these children test; the engines are tested in-process (and in
    // both start orders, with a long command line, by inference's OrtStartupTest).
    env.put("PARLEY_VOICE_ENABLED", "false");
    env.put("PARLEY_VISION_ENABLED", "false");
    env.put("PARLEY_TURN_HOST", "127.0.0.1");
    env.put("PARLEY_TURN_PORT", "0");
    env.put("PARLEY_TURN_TLS_PORT", "0");
    env.put("PARLEY_TURN_RELAY_HOST", "127.0.0.1");
    return env;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void drain(InputStream in, List<String> sink, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          sink.add(line);
        }
      } catch (IOException ignored) {
        // the process went away
      } finally {
        drained.countDown();
      }
    }, "child-" + name);
    t.setDaemon(true);
    t.start();
  }

  Process process() {
    return process;
  }

  /**
   * Sends SIGTERM. Through the process handle, not {@link Process#destroy()}: that one also closes
   * our ends of the child's pipes, so everything the child logs while shutting down would be lost
   * (its writes fail with EPIPE).
   */
  void sigterm() {
    process.toHandle().destroy();
  }

  /** Sends SIGKILL: no shutdown hook runs, child processes of the child are left behind. */
  void sigkill() {
    process.toHandle().destroyForcibly();
  }

  long pid() {
    return process.pid();
  }

  List<String> stdout() {
    return List.copyOf(out);
  }

  List<String> stderr() {
    return List.copyOf(err);
  }

  /** Waits for a stdout line matching {@code match}; fails early, with the output, if the process dies. */
  String awaitStdout(Predicate<String> match, Duration timeout, String what) {
    return Poll.until(timeout, what + " on the child's stdout", () -> {
      for (String line : out) {
        if (match.test(line)) {
          return line;
        }
      }
      if (!process.isAlive() && drained()) {
        for (String line : out) {
          if (match.test(line)) {
            return line;
          }
        }
        throw new AssertionError("child exited with " + process.exitValue() + " before " + what + "\nstdout:\n"
            + String.join("\n", out) + "\nstderr:\n" + String.join("\n", err));
      }
      return null;
    }, line -> line != null);
  }

  /** Whether all output has been read (the process closed both streams); waits briefly for it. */
  private boolean drained() {
    try {
      return drained.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Waits for the process to end and its output to be read; returns its exit code, fails if it is
   * still running at the deadline.
   */
  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("child still running after " + timeout.toMillis() + " ms\nstdout tail:\n"
            + tail(out) + "\nstderr tail:\n" + tail(err));
      }
      drained();
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  String describe() {
    return "stdout tail:\n" + tail(out) + "\nstderr tail:\n" + tail(err);
  }

  private static String tail(List<String> lines) {
    List<String> copy = List.copyOf(lines);
    return String.join("\n", copy.subList(Math.max(0, copy.size() - 40), copy.size()));
  }

  /** Stops the child if it still runs (a test failed): SIGTERM first, so it can stop its databases. */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        sigterm();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          sigkill();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sigkill();
    }
  }
}
