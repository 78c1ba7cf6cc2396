package io.parley.inference.vad;

import static io.parley.core.config.ConfigKey.*;

import io.parley.core.config.ConfigSource;
import io.parley.inference.DefaultModel;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Semantic turn detection ({@code turn_detection.type: "semantic_vad"}): the
 * {@code PARLEY_SEMANTIC_VAD_*} keys, read and validated by {@link #from}.
 *
 * @param model the Smart Turn v3 ONNX file: {@code PARLEY_SEMANTIC_VAD_MODEL}, else the default
 *     model's file under {@code PARLEY_MODELS} when it is there ({@link DefaultModel#SMART_TURN});
 *     empty: semantic_vad is refused
 * @param threads ONNX Runtime threads inside one run ({@code PARLEY_SEMANTIC_VAD_THREADS})
 */
public record SemanticVadOptions(Optional<Path> model, int threads) {

  /** The settings of {@code c}; fails naming the key of the first bad value. */
  public static SemanticVadOptions from(ConfigSource c) {
    return new SemanticVadOptions(
        Optional.ofNullable(c.string(PARLEY_SEMANTIC_VAD_MODEL)).map(Path::of)
            .or(() -> DefaultModel.SMART_TURN.find(Path.of(c.string(PARLEY_MODELS)))),
        c.integer(PARLEY_SEMANTIC_VAD_THREADS, 1, 64));
  }
}
