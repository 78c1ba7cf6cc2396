package io.parley.api.support;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference Argon2 implementation's command-line tool (Debian package {@code argon2}), an
 * independent peer for the password hasher. Missing tool: the calling test fails, naming the fix.
 */
public final class Argon2Cli {

  private final Path binary;

  private Argon2Cli(Path binary) {
    this.binary = binary;
  }

  /** The {@code argon2} binary on PATH; fails the test when there is none. */
  public static Argon2Cli require() {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "argon2");
      if (Files.isExecutable(candidate)) {
        return new Argon2Cli(candidate);
      }
    }
    return fail("the argon2 command-line tool (Debian package argon2) is not on PATH (" + path
        + "); `./parley test` installs it, or run: apt-get install -y argon2");
  }

  /**
   * Runs {@code argon2 <salt> -id -t <t> -m <log2 KiB> -p <p> <mode>} with the password on stdin
   * (no trailing newline: the tool hashes stdin byte for byte) and returns its trimmed stdout.
   */
  public String run(String salt, byte[] password, int iterations, int log2MemoryKib, int parallelism, String mode) {
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), salt, "-id", "-t", Integer.toString(iterations),
        "-m", Integer.toString(log2MemoryKib), "-p", Integer.toString(parallelism), mode));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(password);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return fail("argon2 did not finish within 30 s: " + cmd);
      }
      if (p.exitValue() != 0) {
        return fail("argon2 exited with " + p.exitValue() + ": " + out + " (" + cmd + ")");
      }
      return out;
    } catch (IOException e) {
      return fail("cannot run " + cmd + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted while running argon2");
    }
  }
}
