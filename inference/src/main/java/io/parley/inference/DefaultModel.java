package io.parley.inference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model that {@code ./parley models} fetches by default: the row marked {@code default} in
 * {@code models/whisper.tsv}, {@code models/llm.tsv} or {@code models/turn.tsv} (a test keeps them in
 * step). The server
 * looks for its file under {@code PARLEY_MODELS} when the setting that names a file is unset, and
 * where it is missing says which model that is and the one command that fetches it.
 *
 * @param kind what the model is for, as the message names it ("speech model")
 * @param name the manifest row's name ({@code ./parley models --whisper NAME})
 * @param file where the fetcher writes it, relative to {@code PARLEY_MODELS}
 * @param setting the key that points the server at another file instead
 * @param format what that key takes
 * @param fetchCommand the command that fetches it
 */
public record DefaultModel(String kind, String name, String file, String setting, String format, String fetchCommand) {

  /**
   * Whisper base, multilingual, its weights 5-bit quantized (q5_1 ggml, 57 MiB; the f16 {@code base}
   * is 141 MiB). whisper.cpp 1.7.1, which whisper-jni binds, loads and runs q5_1 files.
   */
  public static final DefaultModel WHISPER = of("speech model", "whisper", "base-q5_1", "whisper/ggml-base-q5_1.bin",
      "PARLEY_WHISPER_MODEL", "a whisper.cpp ggml model file");

  /** Qwen2.5 0.5B Instruct, Q4_K_M (GGUF, 469 MiB). */
  public static final DefaultModel CHAT = of("chat model", "llm", "qwen2.5-0.5b-instruct",
      "llm/qwen2.5-0.5b-instruct-q4_k_m.gguf", "PARLEY_LLAMA_MODEL", "a GGUF file");

  /** Smart Turn v3.2, Pipecat's end-of-turn model for semantic_vad (int8 ONNX, 8.3 MiB). */
  public static final DefaultModel SMART_TURN = of("end-of-turn model", "turn", "smart-turn-v3",
      "turn/smart-turn-v3.onnx", "PARLEY_SEMANTIC_VAD_MODEL", "a Smart Turn v3 ONNX file");

  private static DefaultModel of(String kind, String manifest, String name, String file, String setting, String format) {
    return new DefaultModel(kind, name, file, setting, format, "./parley models --" + manifest + " " + name);
  }

  /** The file under {@code models}, when it is there. */
  public Optional<Path> find(Path models) {
    Path path = models.resolve(file);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  /** Which model is missing and the one command that fetches it (for the log and for clients). */
  public String missing() {
    return "no " + kind + ": " + file + " (" + name + ") is not under PARLEY_MODELS; " + fetchCommand
        + " fetches it, or set " + setting + " to " + format;
  }
}
