package io.parley.api.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.support.TestNode;
import io.parley.inference.llm.TinyGguf;
import io.parley.inference.stt.TinyWhisperModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator sees when the server starts on a CPU-only machine: Parley's banner and log,
 * none of the native libraries' noise around it (DJL's CUDA probe warnings, DJL's engine chatter,
 * which Parley's own vision line sums up; libtorch's "Could not initialize NNPACK" lines appear only
 * on CPUs without AVX2, where this check would see them: NNPACK is left on, see GraphDetector), nor
 * whisper.cpp's and llama.cpp's model-loading chatter ({@code whisper_init_from_file},
 * {@code llama_model_loader: - kv ...}, {@code ggml_...} lines by the hundred). The real main class
 * in a child JVM with the photo detector on, so that libtorch loads and compiles it as in production,
 * and the voice assistant on with the tiny Whisper and chat models, so that both native libraries
 * load their models in the engine workers whose output the node relays into its own log.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QuietStartTest {

  private static final EmbeddedProcesses PROCESSES = new EmbeddedProcesses();
  private static final List<String> NOISE = List.of("NNPACK", "CUDA", "GPU count", "Found matching platform",
      "graph executor optimizer", "inter-op threads",
      // whisper.cpp and llama.cpp (ggml) while they load a model and create a context
      "whisper_", "llama_", "llm_load", "load_tensors", "ggml_", "system_info");

  @TempDir
  static Path models;

  @AfterAll
  static void nothingLeftBehind() {
    PROCESSES.assertNoneLeft();
  }

  @Test
  void theBannerComesWithoutNativeNoise() throws Exception {
    Path home = PROCESSES.track(TestNode.tempHome());
    int port = ChildJvm.freePort();
    Map<String, String> env = new java.util.HashMap<>(ChildJvm.parleyEnv(home, port));
    env.put("PARLEY_VISION_ENABLED", "true");
    env.put("PARLEY_LOG_FORMAT", "text");
    env.put("PARLEY_VOICE_ENABLED", "true");
    // Multilingual, as the default Whisper: its language detection is set up at load too.
    env.put("PARLEY_WHISPER_MODEL", TinyWhisperModel.builder().nVocab(TinyWhisperModel.N_VOCAB_MULTILINGUAL)
        .write(models.resolve("tiny-whisper.bin")).toString());
    Path llama = TinyGguf.write(models.resolve("tiny-llama.gguf"));
    env.put("PARLEY_LLAMA_MODEL", llama.toString());
    // The jar's logging configuration, not a test one that the test classpath may carry.
    try (ChildJvm parley = ChildJvm.start("io.parley.api.Main", env, List.of("-Dlogback.configurationFile=logback.xml"))) {
      parley.awaitStdout(l -> l.startsWith("Parley is up"), Duration.ofSeconds(120), "\"Parley is up\"");
      // The banner names the engines the node has, none off: the workers loaded their models before it.
      String voice = parley.awaitStdout(l -> l.contains("/v1/realtime"), Duration.ofSeconds(10), "the realtime line");
      assertThat(voice).contains("speech-to-text whisper-tiny-whisper", "chat ").doesNotContain("off");
      parley.sigterm();
      parley.awaitExit(Duration.ofSeconds(30));
      List<String> all = new ArrayList<>(parley.stdout());
      all.addAll(parley.stderr());
      // The detector did load on libtorch: the check below saw the engine start, not a node without it.
      assertThat(all).as(parley.describe()).anyMatch(l -> l.contains("vision:") && l.contains("on cpu()"));
      // So did both models, in the engine workers (their log lines relayed): their loaders ran.
      assertThat(all).as(parley.describe()).anyMatch(l -> l.contains("whisper model whisper-tiny-whisper loaded from"))
          .anyMatch(l -> l.contains("llama.cpp model") && l.contains("loaded from " + llama));
      assertThat(all).as(parley.describe()).noneMatch(l -> NOISE.stream().anyMatch(l::contains));
      // SIGTERM stops the node in order: no client sees its embedded Redis or PostgreSQL go first.
      assertThat(all).as(parley.describe()).noneMatch(l -> l.contains("Unhandled") || l.contains("Connection reset")
          || l.contains(" ERROR "));
    }
  }
}
