package io.parley.api.engines;

import io.parley.core.config.ConfigKey;
import io.parley.core.config.ConfigSource;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Where the native engines run: {@code PARLEY_ENGINE_ISOLATION} ({@code process}: supervised worker
 * processes, the default; {@code inline}: this JVM), the workers' JVM options
 * ({@code PARLEY_ENGINE_JAVA_OPTS}), how long one may take to load its models
 * ({@code PARLEY_ENGINE_START_TIMEOUT}), how long it may stay silent before it is taken for hung
 * ({@code PARLEY_ENGINE_ANSWER_TIMEOUT}), and how many bytes of calls may wait for it
 * ({@code PARLEY_ENGINE_QUEUE_BYTES}).
 */
public record EngineOptions(boolean isolated, List<String> javaOpts, Duration startTimeout, Duration answerTimeout,
                            long queueBytes) {

  public EngineOptions {
    javaOpts = List.copyOf(javaOpts);
  }

  public static EngineOptions from(ConfigSource c) {
    String isolation = c.string(ConfigKey.PARLEY_ENGINE_ISOLATION).strip().toLowerCase(Locale.ROOT);
    if (!isolation.equals("process") && !isolation.equals("inline")) {
      throw ConfigSource.bad(ConfigKey.PARLEY_ENGINE_ISOLATION, "process or inline", isolation);
    }
    String opts = c.string(ConfigKey.PARLEY_ENGINE_JAVA_OPTS);
    return new EngineOptions(isolation.equals("process"),
        opts == null || opts.isBlank() ? List.of() : List.of(opts.strip().split("\\s+")),
        c.seconds(ConfigKey.PARLEY_ENGINE_START_TIMEOUT, 10, 3600),
        c.seconds(ConfigKey.PARLEY_ENGINE_ANSWER_TIMEOUT, 1, 3600),
        c.integer(ConfigKey.PARLEY_ENGINE_QUEUE_BYTES, 64 << 20, Integer.MAX_VALUE));
  }
}
