package io.parley.core.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's {@code models/fetch} run by bash on local files: a copy of the script beside
 * manifests of its own, whose urls are {@code file://} paths of files this test writes, and
 * {@code PARLEY_MODELS} in a temporary directory. No network: curl reads the files.
 */
class FetchScriptTest {

  private static final int WHISPER_BYTES = 200_000;
  private static final int LLM_BYTES = 120_000;
  private static final int TURN_BYTES = 50_000;
  private static final String HEADER = "name\turl\tsha256\tsha1\tbytes\tdest_file\tdefault\n";

  @TempDir
  Path dir;
  private Path script;
  private Path models;
  private byte[] whisper;
  private byte[] llm;
  private byte[] turn;

  @BeforeEach
  void setUp() throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    script = bin.resolve("fetch");
    Files.copy(repoModels().resolve("fetch"), script);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    // No npm-packaged files: only the download path runs.
    Files.writeString(bin.resolve("manifest.tsv"), "name\tnpm_package@version\tpath_in_tarball\tsha256\tdest_file\n");
    Random random = new Random(19);
    whisper = new byte[WHISPER_BYTES];
    llm = new byte[LLM_BYTES];
    random.nextBytes(whisper);
    random.nextBytes(llm);
    turn = new byte[TURN_BYTES];
    random.nextBytes(turn);
    Files.write(dir.resolve("ggml-base.bin"), whisper);
    Files.write(dir.resolve("chat.gguf"), llm);
    Files.write(dir.resolve("turn.onnx"), turn);
    Files.writeString(script.resolveSibling("turn.tsv"), HEADER + "smart-turn\t" + dir.resolve("turn.onnx").toUri()
        + "\t" + sha256(turn) + "\t-\t" + TURN_BYTES + "\tturn/smart-turn.onnx\tdefault\n");
    whisperManifest(sha256(whisper), dir.resolve("ggml-base.bin").toUri().toString());
    llmManifest(sha256(llm));
    models = dir.resolve("models");
  }

  @Test
  void aGoodFetchLandsTheFileAndASecondRunDownloadsNothing() throws Exception {
    Run first = run("--whisper", "base");
    assertThat(first.exit).as(first.output).isZero();
    assertThat(first.output).contains("downloading whisper base (200000 bytes)", "fetched whisper base");
    assertThat(Files.readAllBytes(whisperTarget())).isEqualTo(whisper);
    assertThat(whisperTarget().resolveSibling("ggml-base.bin.part")).doesNotExist();

    Files.delete(dir.resolve("ggml-base.bin")); // a download now would fail: the file is checked, not fetched
    Run second = run("--whisper", "base");
    assertThat(second.exit).as(second.output).isZero();
    assertThat(second.output).contains("ok whisper base").doesNotContain("downloading");
  }

  @Test
  void withoutArgumentsTheDefaultRowsOfBothManifestsAreFetched() throws Exception {
    Run r = run();
    assertThat(r.exit).as(r.output).isZero();
    assertThat(Files.readAllBytes(whisperTarget())).isEqualTo(whisper);
    assertThat(Files.readAllBytes(models.resolve("llm/chat.gguf"))).isEqualTo(llm);
    assertThat(Files.readAllBytes(models.resolve("turn/smart-turn.onnx"))).isEqualTo(turn);

    Run again = run();
    assertThat(again.output).contains("ok whisper base", "ok llm chat", "ok turn smart-turn")
        .doesNotContain("downloading");
  }

  @Test
  void theEndOfTurnModelIsFetchedByItsOwnFlag() throws Exception {
    Run r = run("--turn", "smart-turn");
    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("fetched turn smart-turn");
    assertThat(Files.readAllBytes(models.resolve("turn/smart-turn.onnx"))).isEqualTo(turn);
    assertThat(filesUnder(models)).hasSize(1);
    Run unknown = run("--turn", "v9");
    assertThat(unknown.exit).isEqualTo(1);
    assertThat(unknown.output).contains("unknown turn model 'v9' (known: smart-turn)");
  }

  @Test
  void aChecksumMismatchIsRefusedWithExpectedAndActualAndNothingUnderTheFinalName() throws Exception {
    String wrong = "0".repeat(64);
    whisperManifest(wrong, dir.resolve("ggml-base.bin").toUri().toString());
    Run r = run("--whisper", "base");
    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("checksum mismatch for whisper base", "expected sha256 " + wrong,
        "got " + sha256(whisper), "nothing was written to");
    assertThat(whisperTarget()).doesNotExist();
    assertThat(whisperTarget().resolveSibling("ggml-base.bin.part")).doesNotExist();
  }

  @Test
  void aPartialDownloadIsResumedFromWhereItStopped() throws Exception {
    Path part = Files.createDirectories(models.resolve("whisper")).resolve("ggml-base.bin.part");
    Files.write(part, java.util.Arrays.copyOf(whisper, 70_000));
    Run r = run("--whisper", "base");
    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("resuming whisper base at byte 70000 of 200000");
    assertThat(Files.readAllBytes(whisperTarget())).isEqualTo(whisper);
    assertThat(part).doesNotExist();
  }

  @Test
  void aResumedPartIsAppendedToNotRestartedSoACorruptOneIsRefusedAndRemoved() throws Exception {
    Path part = Files.createDirectories(models.resolve("whisper")).resolve("ggml-base.bin.part");
    byte[] corrupt = java.util.Arrays.copyOf(whisper, 70_000);
    corrupt[10] ^= 1;
    Files.write(part, corrupt);
    Run r = run("--whisper", "base");
    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("checksum mismatch for whisper base");
    assertThat(part).doesNotExist(); // the next run starts over
    assertThat(whisperTarget()).doesNotExist();
    assertThat(run("--whisper", "base").exit).isZero();
    assertThat(Files.readAllBytes(whisperTarget())).isEqualTo(whisper);
  }

  @Test
  void offlineFetchesNothingAndSaysSo() throws Exception {
    Run all = run("--offline");
    assertThat(all.exit).as(all.output).isZero();
    assertThat(all.output).contains("offline: not downloading the default models (whisper base, llm chat,"
        + " turn smart-turn)", "./parley models --whisper base", "./parley models --llm chat",
        "./parley models --turn smart-turn");
    Run one = run("--offline", "--llm", "chat");
    assertThat(one.exit).as(one.output).isZero();
    assertThat(one.output).contains("offline: not downloading llm chat");
    assertThat(filesUnder(models)).isEmpty();
  }

  @Test
  void anUnreachableSourceIsOneLineAndTheRunCarriesOn() throws Exception {
    whisperManifest(sha256(whisper), "file:///nonexistent/ggml-base.bin");
    Run r = run();
    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output.lines().filter(l -> l.contains("not reachable")).toList()).singleElement().asString()
        .contains("./parley models --whisper base", "./parley models --llm chat");
    assertThat(filesUnder(models)).isEmpty();
  }

  @Test
  void manifestsAreParsedStrictly() throws Exception {
    Run unknown = run("--whisper", "large");
    assertThat(unknown.exit).isEqualTo(1);
    assertThat(unknown.output).contains("unknown whisper model 'large' (known: base small)");

    Files.writeString(script.resolveSibling("whisper.tsv"), HEADER
        + "base\tftp://example.invalid/x\t" + sha256(whisper) + "\t-\t1\twhisper/x.bin\tdefault\n");
    Run scheme = run("--whisper", "base");
    assertThat(scheme.exit).isEqualTo(1);
    assertThat(scheme.output).contains("whisper.tsv line 2 (base) is malformed");

    Files.writeString(script.resolveSibling("whisper.tsv"), HEADER
        + "base\tfile:///x\t" + sha256(whisper) + "\t-\t1\t../outside.bin\tdefault\n");
    assertThat(run("--whisper", "base").output).contains("whisper.tsv line 2 (base) is malformed");

    Files.writeString(script.resolveSibling("llm.tsv"), HEADER + "chat\tfile:///x\tnot-a-sha\t-\t1\tllm/c.gguf\tdefault\n");
    assertThat(run("--llm", "chat").output).contains("llm.tsv line 2 (chat) is malformed");
  }

  @Test
  void theRepositoryManifestsPinEveryRowAndMarkOneDefault() throws Exception {
    for (String manifest : List.of("whisper.tsv", "llm.tsv", "turn.tsv")) {
      List<String> rows = Files.readAllLines(repoModels().resolve(manifest)).stream().skip(1)
          .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
      assertThat(rows).as(manifest).isNotEmpty().allSatisfy(row -> {
        String[] f = row.split("\t", -1);
        assertThat(f).as(row).hasSize(7);
        assertThat(f[1]).as(row).startsWith("https://huggingface.co/");
        assertThat(f[2]).as(row).matches("[0-9a-f]{64}");
        assertThat(f[4]).as(row).matches("[1-9][0-9]*");
      });
      assertThat(rows.stream().filter(r -> r.endsWith("\tdefault"))).as(manifest).hasSize(1);
    }
  }

  private record Run(int exit, String output) {}

  private Run run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PARLEY_MODELS", models.toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("models/fetch finished").isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private void whisperManifest(String sha256, String url) throws IOException {
    Files.writeString(script.resolveSibling("whisper.tsv"), HEADER
        + "base\t" + url + "\t" + sha256 + "\t" + sha1(whisper) + "\t" + WHISPER_BYTES + "\twhisper/ggml-base.bin\tdefault\n"
        + "small\tfile:///nonexistent/small.bin\t" + "1".repeat(64) + "\t-\t5\twhisper/small.bin\t-\n");
  }

  private void llmManifest(String sha256) throws IOException {
    Files.writeString(script.resolveSibling("llm.tsv"), HEADER
        + "chat\t" + dir.resolve("chat.gguf").toUri() + "\t" + sha256 + "\t-\t" + LLM_BYTES + "\tllm/chat.gguf\tdefault\n");
  }

  private Path whisperTarget() {
    return models.resolve("whisper/ggml-base.bin");
  }

  private static List<Path> filesUnder(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (var files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  /** The repository's models/ (tests run from the module directory). */
  static Path repoModels() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("models")) ? here.resolve("models") : here.getParent().resolve("models");
  }

  private static String sha256(byte[] data) {
    return digest("SHA-256", data);
  }

  private static String sha1(byte[] data) {
    return digest("SHA-1", data);
  }

  private static String digest(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
