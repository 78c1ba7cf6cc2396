package io.parley.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default models the server looks for: the same files as the manifests' default rows, and what is said when one is missing. */
class DefaultModelTest {

  @Test
  void eachDefaultIsTheDefaultRowOfItsManifest() throws IOException {
    assertDefaultRow("whisper.tsv", DefaultModel.WHISPER, "--whisper");
    assertDefaultRow("llm.tsv", DefaultModel.CHAT, "--llm");
    assertDefaultRow("turn.tsv", DefaultModel.SMART_TURN, "--turn");
  }

  @Test
  void theFileIsFoundUnderTheModelsDirectoryOnlyWhenItIsThere(@TempDir Path models) throws IOException {
    assertThat(DefaultModel.WHISPER.find(models)).isEmpty();
    Files.createDirectories(models.resolve(DefaultModel.WHISPER.file())); // a directory is not a model
    assertThat(DefaultModel.WHISPER.find(models)).isEmpty();
    Path gguf = Files.createDirectories(models.resolve("llm")).resolve("qwen2.5-0.5b-instruct-q4_k_m.gguf");
    Files.write(gguf, new byte[] {1});
    assertThat(DefaultModel.CHAT.find(models)).contains(gguf);
  }

  @Test
  void theMissingMessageNamesTheModelTheCommandAndTheSetting() {
    assertThat(DefaultModel.WHISPER.missing()).isEqualTo("no speech model: whisper/ggml-base-q5_1.bin (base-q5_1) is not under"
        + " PARLEY_MODELS; ./parley models --whisper base-q5_1 fetches it, or set PARLEY_WHISPER_MODEL to a whisper.cpp"
        + " ggml model file");
    assertThat(DefaultModel.CHAT.missing()).contains("no chat model", "./parley models --llm qwen2.5-0.5b-instruct",
        "PARLEY_LLAMA_MODEL");
  }

  private static void assertDefaultRow(String manifest, DefaultModel model, String flag) throws IOException {
    List<String[]> defaults = Files.readAllLines(repoModels().resolve(manifest)).stream().skip(1)
        .map(line -> line.split("\t", -1))
        .filter(f -> f.length == 7 && f[6].equals("default"))
        .toList();
    assertThat(defaults).as(manifest).hasSize(1);
    assertThat(defaults.getFirst()[0]).as(manifest).isEqualTo(model.name());
    assertThat(defaults.getFirst()[5]).as(manifest).isEqualTo(model.file());
    assertThat(model.fetchCommand()).isEqualTo("./parley models " + flag + " " + model.name());
  }

  private static Path repoModels() {
    Path here = Path.of("").toAbsolutePath();
    return Files.exists(here.resolve("models/fetch")) ? here.resolve("models") : here.getParent().resolve("models");
  }
}
