package io.parley.api.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.api.assistant.VoiceOptions;
import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.api.meals.VisionOptions;
import io.parley.core.config.ConfigSource;
import io.parley.core.config.ParleyConfig;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An {@code ECHO} frame comes back from a real engine worker process as it went, to its own call. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EngineEchoTest {

  @Test
  void anEchoComesBackFromTheWorkerWithItsHeaderAndPayloadToItsOwnCall() throws Exception {
    // A speech worker with FreeTTS only (no Whisper file): quick to start, and nothing else on this node.
    ConfigSource config = ConfigSource.of(Map.of("PARLEY_ENGINE_ISOLATION", "process",
        "PARLEY_WHISPER_MODEL", "/nonexistent/whisper.bin", "PARLEY_TTS_ENGINE", "freetts",
        "PARLEY_LLM_ENGINE", "none", "PARLEY_VISION_ENABLED", "false"));
    try (var engines = (EngineWorkers) EngineWorkers.start(EngineOptions.from(config), config,
        VoiceOptions.from(config), VisionOptions.from(config), ParleyConfig.from(config).models(),
        new SimpleMeterRegistry())) {
      byte[] frame = new byte[2048];
      byte[] big = new byte[192_000];
      new Random(7).nextBytes(frame);
      new Random(8).nextBytes(big);
      CompletableFuture<Frame> first = WorkerEcho.echo(engines, EngineGroup.SPEECH, new JsonObject().put("n", 1), frame);
      CompletableFuture<Frame> second = WorkerEcho.echo(engines, EngineGroup.SPEECH, new JsonObject().put("n", 2), big);

      Frame a = first.get(60, TimeUnit.SECONDS);
      Frame b = second.get(60, TimeUnit.SECONDS);
      assertThat(a.type()).isEqualTo(Type.ECHO);
      assertThat(a.header().getInteger("n")).isEqualTo(1);
      assertThat(a.payload()).isEqualTo(frame);
      assertThat(b.header().getInteger("n")).isEqualTo(2);
      assertThat(b.payload()).isEqualTo(big);
      assertThat(a.call()).isNotEqualTo(b.call());
      assertThat(java.util.Arrays.stream(WorkerEcho.roundTrips(engines, EngineGroup.SPEECH, 2048, 3)).boxed())
          .hasSize(3).allMatch(ns -> ns > 0);
      // The reader forgets a call just after handing over its last frame.
      io.parley.api.support.Poll.until(java.time.Duration.ofSeconds(5), "every echo answered",
          () -> engines.inFlight(EngineGroup.SPEECH) == 0);
    }
  }
}
