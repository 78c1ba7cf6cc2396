package io.parley.api.support;

import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs the repository's Node.js test scripts (with the npm packages {@code ./parley test} installs
 * into {@code .tools/node}, TEST_NPM_PACKAGES in the launcher) and the Debian programs they drive
 * (TEST_APT_PACKAGES). Anything missing fails the test naming {@code ./parley test}: tests never skip.
 * Unlike a plain run, a script here talks to its test while it runs: the test reads its stdout line
 * by line and may write to its stdin.
 */
public final class NodeScript implements AutoCloseable {

  private static final String END = "\u0000end";

  private final Process process;
  private final Path stderr;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> stdout = new ArrayList<>();
  private final OutputStream stdin;

  private NodeScript(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    this.stdin = process.getOutputStream();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (stdout) {
            stdout.add(line);
          }
          lines.add(line);
        }
      } catch (IOException ignored) {
        // The process went away; END follows.
      } finally {
        lines.add(END);
      }
    }, "node-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** The repository root: the directory with the {@code parley} launcher above the module directory. */
  public static Path repositoryRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("parley")) && Files.isRegularFile(d.resolve("pom.xml"))) {
        return d;
      }
    }
    throw new AssertionError("no repository root (a directory with 'parley' and pom.xml) above "
        + Path.of("").toAbsolutePath());
  }

  /** The node_modules folder of the npm test tools. */
  public static Path nodeModules() {
    String exported = System.getenv("PARLEY_NODE_TOOLS");
    Path tools = exported != null && !exported.isBlank() ? Path.of(exported) : repositoryRoot().resolve(".tools/node");
    return tools.resolve("node_modules");
  }

  /** Fails the test unless node and these npm packages are installed. */
  public static void requirePackages(String... packages) {
    requireCommand("node", "npm");
    for (String p : packages) {
      if (!Files.isRegularFile(nodeModules().resolve(p).resolve("package.json"))) {
        fail("npm package '" + p + "' is not installed in " + nodeModules()
            + ": run ./parley test (it installs TEST_NPM_PACKAGES from the launcher into .tools/node)");
      }
    }
  }

  /** The path of command {@code name} on PATH; fails naming the Debian package that provides it. */
  public static Path requireCommand(String name, String debianPackage) {
    Path found = onPath(name);
    if (found == null) {
      fail("'" + name + "' is not on PATH: run ./parley test, which installs the Debian package '" + debianPackage
          + "' (TEST_APT_PACKAGES in the launcher)");
    }
    return found;
  }

  /** The installed version of an npm package, for messages. */
  public static String version(String pkg) {
    try {
      String json = Files.readString(nodeModules().resolve(pkg).resolve("package.json"));
      var m = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
      return m.find() ? m.group(1) : "?";
    } catch (IOException e) {
      return "?";
    }
  }

  /** Starts {@code node script args} from the repository root with NODE_PATH set and {@code env} added. */
  public static NodeScript start(Path script, List<String> args, Map<String, String> env) throws IOException {
    Path root = repositoryRoot();
    List<String> command = new ArrayList<>();
    command.add(requireCommand("node", "npm").toString());
    command.add(root.resolve(script).toString());
    command.addAll(args);
    Path err = Files.createTempFile("node-", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectError(err.toFile());
    pb.environment().put("NODE_PATH", nodeModules().toString());
    pb.environment().putAll(env);
    return new NodeScript(pb.start(), err);
  }

  /** The next stdout line, or null when the script ended or {@code limit} passed first. */
  public String nextLine(Duration limit) throws InterruptedException {
    String line = lines.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
    if (line == END) {
      lines.add(END);
      return null;
    }
    return line;
  }

  /** Writes one line to the script's stdin. */
  public void writeLine(String line) throws IOException {
    stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  /** Closes the script's stdin (it reads to the end). */
  public void closeInput() throws IOException {
    stdin.close();
  }

  /** Waits for the exit; kills the script and fails the test after {@code limit}. Returns the exit code. */
  public int await(Duration limit) throws InterruptedException {
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      stop();
      fail("the node script did not finish within " + limit + "; " + output());
    }
    // Let the reader take the last lines.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!lines.contains(END) && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    return process.exitValue();
  }

  /** The last non-blank stdout line: the scripts' JSON result. */
  public String lastLine() {
    synchronized (stdout) {
      for (int i = stdout.size() - 1; i >= 0; i--) {
        if (!stdout.get(i).isBlank()) {
          return stdout.get(i).strip();
        }
      }
    }
    return "";
  }

  public String stderr() {
    try {
      return Files.readString(stderr, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(stderr unreadable: " + e + ")";
    }
  }

  /** Both streams, for failure messages. */
  public String output() {
    synchronized (stdout) {
      return "stdout:\n" + String.join("\n", stdout) + "\nstderr:\n" + stderr();
    }
  }

  /** SIGTERM first (playwright then closes its browsers), SIGKILL when that is not enough. */
  private void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      Files.deleteIfExists(stderr);
    } catch (IOException ignored) {
      // A temp file.
    }
  }

  private static Path onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir).resolve(name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
