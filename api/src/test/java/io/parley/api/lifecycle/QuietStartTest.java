package io.parley.api.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an operator sees when the server starts on a CPU-only machine: Parley's banner and log,
 * none of the native libraries' noise around it (DJL's CUDA probe warnings, DJL's engine chatter,
 * which Parley's own vision line sums up; libtorch's "Could not initialize NNPACK" lines appear only
 * on CPUs without AVX2, where this check would see them: NNPACK is left on, see GraphDetector). The real main class in a child JVM with the photo detector on, so that libtorch
 * loads and compiles it as in production.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QuietStartTest {

  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();
  private static final List<String> NOISE = List.of("NNPACK", "CUDA", "GPU count", "Found matching platform",
      "graph executor optimizer", "inter-op threads");

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  @Test
  void theBannerComesWithoutNativeNoise() {
    Path home = PROCESSES.track(TestNode.tempHome());
    int port = ChildJvm.freePort();
    Map<String, String> env = new java.util.HashMap<>(ChildJvm.parleyEnv(home, port));
    env.put("PARLEY_VISION_ENABLED", "true");
    env.put("PARLEY_LOG_FORMAT", "text");
    // The jar's logging configuration, not a test one that the test classpath may carry.
    try (ChildJvm parley = ChildJvm.start("io.parley.api.Main", env, List.of("-Dlogback.configurationFile=logback.xml"))) {
      parley.awaitStdout(l -> l.startsWith("Parley is up"), Duration.ofSeconds(120), "\"Parley is up\"");
      parley.sigterm();
      parley.awaitExit(Duration.ofSeconds(30));
      List<String> all = new ArrayList<>(parley.stdout());
      all.addAll(parley.stderr());
      // The detector did load on libtorch: the check below saw the engine start, not a node without it.
      assertThat(all).as(parley.describe()).anyMatch(l -> l.contains("vision:") && l.contains("on cpu()"));
      assertThat(all).as(parley.describe()).noneMatch(l -> NOISE.stream().anyMatch(l::contains));
    }
  }
}
