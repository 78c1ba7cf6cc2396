package io.parley.inference.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.core.config.ConfigSource;
import io.parley.core.testing.ConfigErrors;
import io.parley.inference.llm.LlmOptions.LlmEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The chat model keys: defaults, the engine AUTO picks, the rules that join two keys, and bad values named by key. */
class LlmOptionsTest {

  @Test
  void defaultsMatchTheReference() {
    LlmOptions o = LlmOptions.from(ConfigSource.of(Map.of()));
    assertThat(o.engine()).isEqualTo(LlmEngine.AUTO);
    assertThat(o.effectiveEngine()).isEqualTo(LlmEngine.NONE);
    assertThat(o.model()).isEqualTo("default");
    assertThat(o.maxTokens()).isEqualTo(256);
  }

  @Test
  void autoPicksLlamaWhenAFileIsSetElseTheServer() {
    LlmOptions both = LlmOptions.from(ConfigSource.of(Map.of("PARLEY_LLAMA_MODEL", "/srv/m.gguf",
        "PARLEY_LLM_BASE_URL", "http://localhost:8000/v1")));
    assertThat(both.effectiveEngine()).isEqualTo(LlmEngine.LLAMA);
    assertThat(both.llamaModel()).contains(Path.of("/srv/m.gguf"));
    LlmOptions remote = LlmOptions.from(ConfigSource.of(Map.of("PARLEY_LLM_BASE_URL", "http://localhost:8000/v1")));
    assertThat(remote.effectiveEngine()).isEqualTo(LlmEngine.OPENAI);
    assertThat(OpenAiChatModel.Settings.of(remote).baseUrl().getPort()).isEqualTo(8000);
  }

  @Test
  void withoutAFileOrServerTheDefaultModelIsUsedButNeverOverANamedServer(@TempDir Path models) throws IOException {
    Path gguf = Files.createDirectories(models.resolve("llm")).resolve("qwen2.5-0.5b-instruct-q4_k_m.gguf");
    Files.write(gguf, new byte[] {1});
    String dir = models.toString();
    LlmOptions auto = LlmOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", dir)));
    assertThat(auto.effectiveEngine()).isEqualTo(LlmEngine.LLAMA);
    assertThat(auto.llamaModel()).contains(gguf);
    LlmOptions llama = LlmOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", dir, "PARLEY_LLM_ENGINE", "llama")));
    assertThat(llama.llamaModel()).contains(gguf);
    LlmOptions server = LlmOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", dir,
        "PARLEY_LLM_BASE_URL", "http://localhost:8000/v1")));
    assertThat(server.effectiveEngine()).isEqualTo(LlmEngine.OPENAI);
    assertThat(server.llamaModel()).isEmpty();
    LlmOptions named = LlmOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", dir, "PARLEY_LLAMA_MODEL", "/srv/m.gguf")));
    assertThat(named.llamaModel()).contains(Path.of("/srv/m.gguf"));
    Files.delete(gguf);
    assertThat(LlmOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", dir))).effectiveEngine()).isEqualTo(LlmEngine.NONE);
  }

  @Test
  void anEngineNeedsWhatItRunsOn() {
    assertThatThrownBy(() -> LlmOptions.from(ConfigSource.of(Map.of("PARLEY_LLM_ENGINE", "llama"))))
        .hasMessage("PARLEY_LLAMA_MODEL: required with PARLEY_LLM_ENGINE=llama");
    assertThatThrownBy(() -> LlmOptions.from(ConfigSource.of(Map.of("PARLEY_LLM_ENGINE", "openai"))))
        .hasMessage("PARLEY_LLM_BASE_URL: required with PARLEY_LLM_ENGINE=openai");
  }

  @Test
  void theKeyIsNeverPrinted() {
    LlmOptions o = LlmOptions.from(ConfigSource.of(Map.of("PARLEY_LLM_API_KEY", "sk-hunter2")));
    assertThat(o.toString()).doesNotContain("hunter2").contains("apiKey=(set)");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "PARLEY_LLM_ENGINE|gpt",
      "PARLEY_LLM_BASE_URL|not a url",
      "PARLEY_LLM_BASE_URL|/v1",
      "PARLEY_LLM_WORKERS|0",
      "PARLEY_LLM_MAX_TOKENS|40000",
  })
  void invalidValuesNameTheirKey(String key, String value) {
    ConfigErrors.assertRefusedNaming(key, () -> LlmOptions.from(ConfigSource.of(Map.of(key, value))));
  }
}
