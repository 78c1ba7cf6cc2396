package io.parley.media.turn;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the repository's Node.js test scripts against the npm packages {@code ./parley test}
 * installs into {@code .tools/node} (TEST_NPM_PACKAGES in the launcher). A missing node or package
 * fails the test, naming {@code ./parley test}: DESIGN.md, tests never skip silently.
 */
final class NodeTools {

  /** What a finished script left behind. */
  record Run(int exitCode, String stdout, String stderr) {
    /** The last non-blank stdout line: the scripts' JSON summary. */
    String lastLine() {
      String[] lines = stdout.strip().split("\n");
      return lines[lines.length - 1].strip();
    }
  }

  final Path root;
  final Path nodeModules;
  final Path node;

  private NodeTools(Path root, Path nodeModules, Path node) {
    this.root = root;
    this.nodeModules = nodeModules;
    this.node = node;
  }

  /**
   * Finds the repository root (the directory with the {@code parley} launcher, above the module
   * Maven runs the tests in), node on PATH, and the installed npm packages; fails when one is missing.
   */
  static NodeTools require(String... packages) {
    Path root = repositoryRoot();
    String exported = System.getenv("PARLEY_NODE_TOOLS");
    Path tools = exported != null && !exported.isBlank() ? Path.of(exported) : root.resolve(".tools/node");
    Path nodeModules = tools.resolve("node_modules");
    Path node = onPath("node");
    if (node == null) {
      fail("node is not on PATH: run ./parley test, which installs it (Debian npm) with the npm test tools");
    }
    for (String p : packages) {
      if (!Files.isRegularFile(nodeModules.resolve(p).resolve("package.json"))) {
        fail("npm package '" + p + "' is not installed in " + nodeModules
            + ": run ./parley test (it installs TEST_NPM_PACKAGES from the launcher into .tools/node)");
      }
    }
    return new NodeTools(root, nodeModules, node);
  }

  /** The installed version of an npm package, for messages. */
  String version(String pkg) {
    try {
      String json = Files.readString(nodeModules.resolve(pkg).resolve("package.json"));
      var m = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
      return m.find() ? m.group(1) : "?";
    } catch (IOException e) {
      return "?";
    }
  }

  /**
   * Runs {@code node script args} from the repository root with NODE_PATH set and {@code env}
   * added; kills it after {@code limit}, which fails the test.
   */
  Run run(Path script, List<String> args, Map<String, String> env, Duration limit)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(node.toString());
    command.add(root.resolve(script).toString());
    command.addAll(args);
    Path out = Files.createTempFile("node-", ".out");
    Path err = Files.createTempFile("node-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().put("NODE_PATH", nodeModules.toString());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        fail(script + " did not finish within " + limit + "; stdout: " + Files.readString(out)
            + "\nstderr: " + Files.readString(err));
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static Path repositoryRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("parley")) && Files.isRegularFile(d.resolve("pom.xml"))) {
        return d;
      }
    }
    throw new AssertionError("no repository root (a directory with 'parley' and pom.xml) above "
        + Path.of("").toAbsolutePath());
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
