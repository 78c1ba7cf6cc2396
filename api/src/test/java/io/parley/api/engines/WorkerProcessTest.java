package io.parley.api.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.assistant.VoiceOptions;
import io.parley.api.meals.VisionOptions;
import io.parley.core.ParleyException;
import io.parley.core.config.ConfigSource;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker that cannot start, the groups a node runs, and the settings that choose them. */
class WorkerProcessTest {

  @Test
  void aWorkerThatExitsBeforeConnectingFailsItsStartNamingTheExit(@TempDir Path dir) {
    // java -version prints and exits 0 without ever connecting: a worker that dies while loading.
    WorkerProcess.Launch launch = new WorkerProcess.Launch(
        List.of(ProcessHandle.current().info().command().orElseThrow(), "-version"), Map.of(), Duration.ofSeconds(30));
    try (WorkerProcess w = new WorkerProcess(EngineGroup.VISION, launch, dir)) {
      assertThatThrownBy(w::start).isInstanceOf(ParleyException.class)
          .hasMessageContaining("the vision engine worker could not start (exit 0)")
          .hasMessageContaining("exited while loading");
      assertThat(w.up()).isFalse();
      ParleyException e = w.restarting("is starting again");
      assertThat(e.code()).contains("engine_restarted");
      assertThat(e.retryAfter()).isPresent();
      assertThatThrownBy(() -> w.send(EngineWire.Type.DETECT, new JsonObject(), new byte[0], null))
          .isInstanceOf(ParleyException.class).hasMessageContaining("retry in");
    }
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void aWorkerThatNeverConnectsIsStoppedAtTheStartTimeout(@TempDir Path dir) throws Exception {
    Path script = Files.writeString(dir.resolve("hang.sh"), "#!/bin/sh\nexec sleep 60\n");
    script.toFile().setExecutable(true);
    Path sockets = Files.createDirectory(dir.resolve("sockets"));
    WorkerProcess.Launch launch = new WorkerProcess.Launch(List.of(script.toString()), Map.of(), Duration.ofSeconds(1));
    try (WorkerProcess w = new WorkerProcess(EngineGroup.SPEECH, launch, sockets)) {
      assertThatThrownBy(w::start).isInstanceOf(ParleyException.class)
          .hasMessageContaining("PARLEY_ENGINE_START_TIMEOUT");
    }
  }

  @Test
  void aNodeRunsTheGroupsItsFeaturesNeed() {
    VoiceOptions voice = VoiceOptions.from(ConfigSource.of(Map.of("PARLEY_LLM_BASE_URL", "http://127.0.0.1:9/v1")));
    VisionOptions vision = VisionOptions.from(ConfigSource.of(Map.of()));
    assertThat(EngineWorkers.groups(voice, vision)).containsExactly(EngineGroup.SPEECH, EngineGroup.VISION);
    assertThat(EngineWorkers.groups(voice.withoutEngines(), vision.withoutDetector())).isEmpty();
    VoiceOptions llama = VoiceOptions.from(ConfigSource.of(Map.of("PARLEY_LLAMA_MODEL", "/models/tiny.gguf")));
    assertThat(EngineWorkers.groups(llama, vision.withoutDetector())).containsExactly(EngineGroup.SPEECH,
        EngineGroup.CHAT);
  }

  @Test
  void workersGetTheNodesSettingsTheClasspathAndACappedOpenMpSpin() {
    ConfigSource config = ConfigSource.of(Map.of("PARLEY_STT_WORKERS", "2", "PARLEY_ENGINE_JAVA_OPTS", "-Xmx300m"));
    WorkerProcess.Launch launch = EngineWorkers.launch(EngineOptions.from(config), config);
    assertThat(launch.environment()).containsEntry("PARLEY_STT_WORKERS", "2")
        .containsEntry("CLASSPATH", System.getProperty("java.class.path"));
    if (System.getenv("GOMP_SPINCOUNT") == null && System.getenv("OMP_WAIT_POLICY") == null) {
      assertThat(launch.environment()).containsEntry("GOMP_SPINCOUNT", "100");
      assertThat(WorkerProcess.environment(launch, EngineGroup.SPEECH)).containsEntry("GOMP_SPINCOUNT", "100");
      assertThat(WorkerProcess.environment(launch, EngineGroup.VISION)).as("libtorch's barriers spin a little longer")
          .containsEntry("GOMP_SPINCOUNT", "10000");
    }
    WorkerProcess.Launch operators = new WorkerProcess.Launch(List.of("java"), Map.of("PARLEY_X", "1"), Duration.ofSeconds(10));
    assertThat(WorkerProcess.environment(operators, EngineGroup.VISION)).as("an operator's own spin is inherited")
        .doesNotContainKey("GOMP_SPINCOUNT");
    assertThat(launch.command()).contains("-Xmx300m", "-XX:+ExitOnOutOfMemoryError").last()
        .isEqualTo(EngineWorkers.MAIN);
    assertThat(String.join(" ", launch.command())).as("the classpath goes through the environment")
        .doesNotContain(System.getProperty("java.class.path"));
  }

  @Test
  void isolationIsProcessOrInline() {
    assertThat(EngineOptions.from(ConfigSource.of(Map.of())).isolated()).isTrue();
    EngineOptions inline = EngineOptions.from(ConfigSource.of(Map.of("PARLEY_ENGINE_ISOLATION", "inline",
        "PARLEY_ENGINE_JAVA_OPTS", " -Xmx1g  -XX:+UseSerialGC ")));
    assertThat(inline.isolated()).isFalse();
    assertThat(inline.javaOpts()).containsExactly("-Xmx1g", "-XX:+UseSerialGC");
    assertThatThrownBy(() -> EngineOptions.from(ConfigSource.of(Map.of("PARLEY_ENGINE_ISOLATION", "thread"))))
        .isInstanceOf(ParleyException.class).hasMessageContaining("PARLEY_ENGINE_ISOLATION");
    assertThatThrownBy(() -> EngineOptions.from(ConfigSource.of(Map.of("PARLEY_ENGINE_START_TIMEOUT", "5"))))
        .isInstanceOf(ParleyException.class).hasMessageContaining("PARLEY_ENGINE_START_TIMEOUT");
  }
}
