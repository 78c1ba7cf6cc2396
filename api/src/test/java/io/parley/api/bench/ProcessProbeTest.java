package io.parley.api.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.Poll;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the benchmarks read from /proc: a process's descendants and those named by a marker. */
class ProcessProbeTest {

  /**
   * A shell running {@code cat} (blocked on its input) under this JVM: both are this JVM's
   * descendants; from the unrelated {@code cat} alone, the shell comes in through the marker in its
   * command line (as the node's detached PostgreSQL does through its home), and this JVM does not.
   */
  @Test
  void descendantsAndProcessesNamingTheMarkerAreTheTree() throws Exception {
    String marker = "soak-probe-" + UUID.randomUUID();
    Process shell = new ProcessBuilder("sh", "-c", "cat; : " + marker).start();
    try {
      long self = ProcessHandle.current().pid();
      Map<Long, String> mine = Poll.until(Duration.ofSeconds(10), "the shell's cat",
          () -> ProcessProbe.tree(self, null), t -> t.containsKey(shell.pid()) && t.containsValue("cat"));
      assertThat(mine).containsKey(shell.pid());
      assertThat(mine.get(shell.pid())).isEqualTo("sh -c cat; : " + marker);
      long cat = mine.entrySet().stream().filter(e -> e.getValue().equals("cat")).findFirst().orElseThrow().getKey();

      Map<Long, String> byMarker = ProcessProbe.tree(cat, marker);
      assertThat(byMarker).containsOnlyKeys(cat, shell.pid());
      assertThat(ProcessProbe.rssKb(self)).isPositive();
      assertThat(ProcessProbe.pssKb(self)).isPositive();
      assertThat(ProcessProbe.threads(self)).isGreaterThan(1);
      assertThat(ProcessProbe.fds(self)).isGreaterThan(2);
    } finally {
      shell.getOutputStream().close();
      shell.waitFor(10, TimeUnit.SECONDS);
      shell.destroyForcibly();
    }
  }
}
