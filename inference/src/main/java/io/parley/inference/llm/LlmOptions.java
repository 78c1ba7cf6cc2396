package io.parley.inference.llm;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.core.config.ConfigSource;
import io.parley.inference.DefaultModel;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The chat model: the {@code PARLEY_LLM_*} and {@code PARLEY_LLAMA_MODEL} keys of
 * {@link io.parley.core.config.ConfigKey} (all but the context length, a session setting), read and
 * validated by {@link #from}. {@link LlamaChatModel.Settings} and {@link OpenAiChatModel.Settings}
 * are made from it.
 *
 * @param baseUrl an OpenAI-compatible server ({@code PARLEY_LLM_BASE_URL})
 * @param apiKey its bearer key; never logged
 * @param model the model name sent and reported ({@code PARLEY_LLM_MODEL})
 * @param llamaModel the GGUF file for llama.cpp in-process: {@code PARLEY_LLAMA_MODEL}, else (unless a
 *     server is configured for AUTO to pick) the default model's file under {@code PARLEY_MODELS}
 *     when it is there ({@link DefaultModel#CHAT})
 * @param workers concurrent in-process completions
 * @param maxTokens longest answer
 */
public record LlmOptions(LlmEngine engine, Optional<URI> baseUrl, Optional<String> apiKey, String model,
                         Optional<Path> llamaModel, int workers, int maxTokens) {
  public LlmOptions {
    if (engine == LlmEngine.LLAMA && llamaModel.isEmpty()) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_LLAMA_MODEL: required with PARLEY_LLM_ENGINE=llama");
    }
    if (engine == LlmEngine.OPENAI && baseUrl.isEmpty()) {
      throw new ParleyException(Reason.CONFIG, "PARLEY_LLM_BASE_URL: required with PARLEY_LLM_ENGINE=openai");
    }
  }

  /** Chat engine choice. */
  public enum LlmEngine { AUTO, OPENAI, LLAMA, NONE }

  /** The chat engine in effect once AUTO is resolved. */
  public LlmEngine effectiveEngine() {
    if (engine != LlmEngine.AUTO) {
      return engine;
    }
    return llamaModel.isPresent() ? LlmEngine.LLAMA : baseUrl.isPresent() ? LlmEngine.OPENAI : LlmEngine.NONE;
  }

  @Override
  public String toString() {
    return "LlmOptions[engine=" + engine + ", baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isPresent() ? "(set)" : "(none)")
        + ", model=" + model + ", llamaModel=" + llamaModel + ", workers=" + workers + ", maxTokens=" + maxTokens + "]";
  }

  /** The chat model settings of {@code c}; fails naming the key of the first bad value. */
  public static LlmOptions from(ConfigSource c) {
    LlmEngine engine = c.choice(PARLEY_LLM_ENGINE, LlmEngine.class);
    Optional<URI> baseUrl = c.url(PARLEY_LLM_BASE_URL);
    Optional<Path> llamaModel = Optional.ofNullable(c.string(PARLEY_LLAMA_MODEL)).map(Path::of);
    // The default file must not outvote a server the operator named: AUTO picks llama when a file is set.
    if (llamaModel.isEmpty() && (engine == LlmEngine.LLAMA || engine == LlmEngine.AUTO && baseUrl.isEmpty())) {
      llamaModel = DefaultModel.CHAT.find(Path.of(c.string(PARLEY_MODELS)));
    }
    return new LlmOptions(
        engine,
        baseUrl,
        Optional.ofNullable(c.string(PARLEY_LLM_API_KEY)),
        c.string(PARLEY_LLM_MODEL),
        llamaModel,
        c.integer(PARLEY_LLM_WORKERS, 1, 64),
        c.integer(PARLEY_LLM_MAX_TOKENS, 1, 32_768));
  }
}
