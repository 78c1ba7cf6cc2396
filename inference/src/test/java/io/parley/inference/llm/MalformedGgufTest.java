package io.parley.inference.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken model files are refused in Java with a message naming PARLEY_LLAMA_MODEL, before llama.cpp
 * sees them (some of them abort the JVM in native code), and the JVM keeps running a good model.
 */
class MalformedGgufTest {

  @TempDir
  static Path dir;

  static ExecutorService workers;

  @BeforeAll
  static void start() {
    workers = Executors.newFixedThreadPool(1, Thread.ofPlatform().name("llm-bad-", 0).daemon(true).factory());
  }

  @AfterAll
  static void stop() {
    workers.shutdown();
  }

  static ParleyException refused(Path file) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> LlamaChatModel.open(new LlamaChatModel.Settings(file, "bad", 1, 1, 256), workers).close());
    assertThat(t).isInstanceOf(ParleyException.class);
    ParleyException e = (ParleyException) t;
    assertThat(e.reason()).isEqualTo(Reason.CONFIG);
    assertThat(e.getMessage()).startsWith("PARLEY_LLAMA_MODEL: " + file);
    return e;
  }

  static Path write(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  @Test
  void truncatedInTheTensorData() throws IOException {
    byte[] good = TinyGguf.bytes(TinyGguf.Spec.valid());
    Path file = write("cut-data.gguf", Arrays.copyOf(good, good.length - 1000));
    assertThat(refused(file)).hasMessageContaining("truncated");
  }

  @Test
  void truncatedInTheHeader() throws IOException {
    byte[] good = TinyGguf.bytes(TinyGguf.Spec.valid());
    for (int cut : List.of(0, 10, 100, 5000)) {
      Path file = write("cut-" + cut + ".gguf", Arrays.copyOf(good, cut));
      assertThat(refused(file)).hasMessageContaining("truncated");
    }
  }

  @Test
  void badMagic() throws IOException {
    byte[] bytes = TinyGguf.bytes(TinyGguf.Spec.valid());
    bytes[0] = 'g';
    assertThat(refused(write("magic.gguf", bytes))).hasMessageContaining("bad magic");
  }

  @Test
  void unsupportedVersion() throws IOException {
    byte[] bytes = TinyGguf.bytes(TinyGguf.Spec.valid());
    bytes[4] = 9;
    assertThat(refused(write("version.gguf", bytes))).hasMessageContaining("version 9");
  }

  @Test
  void missingRmsEpsilon() throws IOException {
    Path file = TinyGguf.write(dir.resolve("no-eps.gguf"), TinyGguf.Spec.valid().withoutRmsEpsilon());
    assertThat(refused(file)).hasMessageContaining("llama.attention.layer_norm_rms_epsilon missing");
  }

  @Test
  void headsNotAMultipleOfKvHeads() throws IOException {
    // llama.cpp loads this file and then aborts the whole JVM at the first decode.
    Path file = TinyGguf.write(dir.resolve("heads.gguf"), TinyGguf.Spec.valid().withHeads(4, 3));
    assertThat(refused(file)).hasMessageContaining("head_count (4) is not a multiple of llama.attention.head_count_kv (3)");
  }

  @Test
  void absurdStringLength() throws IOException {
    byte[] bytes = TinyGguf.bytes(TinyGguf.Spec.valid());
    // the first metadata key's length (u64 at offset 24)
    Arrays.fill(bytes, 24, 32, (byte) 0x7f);
    assertThat(refused(write("string.gguf", bytes))).hasMessageContaining("a string claims");
  }

  @Test
  void notAFile() {
    assertThat(refused(dir.resolve("missing.gguf"))).hasMessageContaining("no such file");
  }

  @Test
  void theJvmStillRunsAGoodModelAfterwards() throws Exception {
    Path file = TinyGguf.write(dir.resolve("good.gguf"));
    try (LlamaChatModel model = LlamaChatModel.open(new LlamaChatModel.Settings(file, "good", 1, 1, 256), workers)) {
      RecordingSink sink = new RecordingSink();
      model.stream(Personality.MINIMALIST.request(List.of(), 10, "Hi", 8, 0.5), sink);
      sink.await();
      assertThat(sink.terminal).containsExactly("done:length");
    }
    Path bad = TinyGguf.write(dir.resolve("heads-again.gguf"), TinyGguf.Spec.valid().withHeads(4, 3));
    assertThatThrownBy(() -> GgufFile.validateLanguageModel(bad, "X"))
        .isInstanceOf(ParleyException.class);
  }
}
