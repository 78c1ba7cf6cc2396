package io.parley.inference.vision;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime and libtorch start in one JVM in either order, also with a long command line (a
 * benchmark's {@code java -cp <every jar>}). The crash this guards against: ONNX Runtime's telemetry
 * client matches {@code /proc/self/cmdline} against a {@code std::regex} as its environment is created,
 * recursing once per character, so ~3,900 bytes of command line overflowed a 1 MiB thread stack
 * ({@code Segmentation fault}, no error file). It looked like a classpath-order crash; it was the
 * command line's length. {@link io.parley.inference.vad.OrtEnvironments} creates the environment on
 * a stack sized to the command line. Each case runs {@link OrtStartupProbe} in a child JVM.
 *
 * <p>ONNX Runtime's own call on a default stack is not asserted to crash: it did here, with this
 * padding, but not on a CI machine with the same library, so whether the telemetry regex runs (and how
 * deep it recurses) depends on more than the command line. The cure does not depend on it.
 */
class OrtStartupTest {

  /** Command-line bytes added to each child: twice what overflowed the default stack. */
  private static final int PADDING = 8_000;

  private static final long TIMEOUT_S = 120;

  private record Run(int exit, String output) {}

  private static Run probe(String... engines) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.add("-Dparley.test.padding=" + "x".repeat(PADDING));
    command.add(OrtStartupProbe.class.getName());
    command.addAll(List.of(engines));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    // The classpath through the environment: it does not count in the command line the regex reads.
    pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command.subList(2, command.size()) + " did not finish in " + TIMEOUT_S + " s");
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @Test
  void onnxRuntimeThenLibtorchWithALongCommandLine() throws Exception {
    Run run = probe("onnx", "torch");
    assertThat(run.output()).as("exit %d", run.exit()).contains("STARTED onnx torch");
    assertThat(run.exit()).isZero();
  }

  @Test
  void libtorchThenOnnxRuntimeWithALongCommandLine() throws Exception {
    Run run = probe("torch", "onnx");
    assertThat(run.output()).as("exit %d", run.exit()).contains("STARTED torch onnx");
    assertThat(run.exit()).isZero();
  }
}
