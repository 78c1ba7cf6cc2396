package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.parley.api.support.TestNode;
import io.parley.core.config.ConfigSource;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The voice engines of a node whose models directory lacks the default speech and chat models. */
class VoiceSetupTest {

  @Test
  void eachMissingDefaultModelIsOneWarningNamingItAndTheCommandThatFetchesIt() {
    Path models = TestNode.nodeModelsDir(); // the VAD model, without the default Whisper and chat models
    VoiceOptions options = VoiceOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", models.toString())));
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    // The engines' own warnings come from where they are opened (this JVM's, or a worker's).
    Logger logger = (Logger) LoggerFactory.getLogger(VoiceSetup.class);
    Logger engines = (Logger) LoggerFactory.getLogger(io.parley.api.engines.LocalEngines.class);
    logger.addAppender(log);
    engines.addAppender(log);
    Vertx vertx = Vertx.vertx();
    try (VoiceServices voice = VoiceSetup.start(vertx, options, models, new SimpleMeterRegistry())) {
      List<String> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN)
          .map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(warnings).hasSize(2);
      assertThat(warnings.get(0)).contains("speech to text unavailable: no speech model: whisper/ggml-base-q5_1.bin",
          "./parley models --whisper base-q5_1 fetches it");
      assertThat(warnings.get(1)).contains("chat model unavailable: no chat model:",
          "llm/qwen2.5-0.5b-instruct-q4_k_m.gguf", "./parley models --llm qwen2.5-0.5b-instruct fetches it",
          "PARLEY_LLM_BASE_URL");
      // What clients are told (the assistant page shows it) is the same sentence.
      assertThat(voice.speechToText()).isEmpty();
      assertThat(warnings.get(0)).endsWith(voice.speechToTextMissing());
      assertThat(voice.chatModel()).isEmpty();
      assertThat(warnings.get(1)).endsWith(voice.chatModelMissing());
    } finally {
      logger.detachAppender(log);
      engines.detachAppender(log);
      vertx.close().await();
    }
  }

  @Test
  void semanticVadIsAvailableExactlyWhenAnEndOfTurnModelIsThere(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path models = TestNode.nodeModelsDir();
    Vertx vertx = Vertx.vertx();
    try (VoiceServices without = VoiceSetup.start(vertx,
        VoiceOptions.from(ConfigSource.of(Map.of("PARLEY_MODELS", models.toString()))), models,
        new SimpleMeterRegistry())) {
      assertThat(without.semanticTurns()).isEmpty();
      assertThat(without.semanticTurnsMissing()).contains("no end-of-turn model: turn/smart-turn-v3.onnx",
          "./parley models --turn smart-turn-v3 fetches it", "PARLEY_SEMANTIC_VAD_MODEL");
    }
    Path model = io.parley.inference.vad.TinySmartTurn.write(dir.resolve("turn.onnx"), 1f, 0f);
    try (VoiceServices with = VoiceSetup.start(vertx, VoiceOptions.from(ConfigSource.of(Map.of(
        "PARLEY_MODELS", models.toString(), "PARLEY_SEMANTIC_VAD_MODEL", model.toString()))), models,
        new SimpleMeterRegistry())) {
      assertThat(with.semanticTurns()).isPresent();
    } finally {
      vertx.close().await();
    }
  }
}
