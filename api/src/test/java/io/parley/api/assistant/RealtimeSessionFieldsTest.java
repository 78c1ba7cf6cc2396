package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.ClientEventDecoder;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.core.config.ConfigSource;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The GA session fields of {@code session.update}: each one Parley honours changes the session and
 * shows in its {@code session} object; a malformed or out-of-range one is an {@code error} naming
 * the field and the whole update is refused; a GA value Parley cannot honour is refused alone,
 * naming the field, and the rest of the update applies.
 */
class RealtimeSessionFieldsTest {

  private static final VoiceOptions NODE = VoiceOptions.from(ConfigSource.of(Map.of()));
  private static final RealtimeSessionConfig START = RealtimeSessionConfig.initial(NODE, "assistant", null, true,
      24_000);

  private static RealtimeSessionConfig update(String session) throws RealtimeProtocolException {
    RealtimeSessionConfig.Applied applied = START.update(new JsonObject(session), "e1", name -> name, language -> { });
    assertThat(applied.refused()).as(session).isEmpty();
    return applied.config();
  }

  private static JsonObject shown(RealtimeSessionConfig c) {
    return c.toJson(NODE, UUID.randomUUID(), "token", false, "kevin16");
  }

  @Test
  void badFieldsRefuseTheWholeUpdateNamingTheField() {
    String[][] cases = {
        // session, code, param
        {"{\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"push_to_talk\"}}}}", "invalid_value",
            "session.audio.input.turn_detection.type"},
        {"{\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"idle_timeout_ms\":5}}}}",
            "invalid_value", "session.audio.input.turn_detection.idle_timeout_ms"},
        {"{\"audio\":{\"input\":{\"format\":{\"type\":\"audio/opus\"}}}}", "invalid_value",
            "session.audio.input.format.type"},
        {"{\"audio\":{\"output\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":4000}}}}", "invalid_value",
            "session.audio.output.format.rate"},
        {"{\"audio\":{\"input\":{\"noise_reduction\":{\"type\":\"underwater\"}}}}", "invalid_value",
            "session.audio.input.noise_reduction"},
        {"{\"audio\":{\"input\":{\"transcription\":{\"model\":42}}}}", "invalid_value",
            "session.audio.input.transcription.model"},
        {"{\"audio\":{\"input\":{\"transcription\":{\"prompt\":[]}}}}", "invalid_value",
            "session.audio.input.transcription.prompt"},
        {"{\"max_output_tokens\":0}", "invalid_value", "session.max_output_tokens"},
        {"{\"max_output_tokens\":\"lots\"}", "invalid_value", "session.max_output_tokens"},
        {"{\"output_modalities\":[\"video\"]}", "invalid_value", "session.output_modalities"},
        {"{\"output_modalities\":[]}", "invalid_value", "session.output_modalities"},
        {"{\"type\":\"translation\"}", "invalid_value", "session.type"},
        {"{\"temperature\":0.8}", "unknown_parameter", "session.temperature"},
        {"{\"parallel_tool_calls\":\"yes\"}", "invalid_value", "session.parallel_tool_calls"},
        // A field of the wrong JSON type is named, never dropped (turn_detection: 5 turned server VAD
        // off, create_response: "yes" read as true).
        {"{\"audio\":{\"input\":{\"turn_detection\":5}}}", "invalid_value", "session.audio.input.turn_detection"},
        {"{\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"create_response\":\"yes\"}}}}",
            "invalid_value", "session.audio.input.turn_detection.create_response"},
        {"{\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"interrupt_response\":1}}}}",
            "invalid_value", "session.audio.input.turn_detection.interrupt_response"},
        {"{\"audio\":[]}", "invalid_value", "session.audio"},
        {"{\"audio\":{\"input\":\"pcm\"}}", "invalid_value", "session.audio.input"},
        {"{\"audio\":{\"output\":true}}", "invalid_value", "session.audio.output"},
        {"{\"audio\":{\"input\":{\"transcription\":\"whisper\"}}}", "invalid_value",
            "session.audio.input.transcription"},
        {"{\"parley\":\"tools\"}", "invalid_value", "session.parley"},
        {"{\"parley\":{\"personality\":7}}", "invalid_value", "session.parley.personality"},
        {"{\"instructions\":[\"be brief\"]}", "invalid_value", "session.instructions"},
        {"{\"input_audio_transcription\":\"es\"}", "invalid_value", "session.input_audio_transcription"},
        // Text is bounded (15 MB of instructions was accepted and sent with every answer).
        {"{\"instructions\":\"" + "x".repeat(ClientEventDecoder.MAX_TEXT_CHARS + 1) + "\"}", "invalid_value",
            "session.instructions"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> update(c[0])).as(c[0]).isInstanceOfSatisfying(RealtimeProtocolException.class, e -> {
        assertThat(e.code()).isEqualTo(c[1]);
        assertThat(e.param()).isEqualTo(c[2]);
        assertThat(e.eventId()).isEqualTo("e1");
        assertThat(e.getMessage()).isNotBlank();
      });
    }
  }

  /**
   * What the OpenAI Agents SDK's first update carries on a node without an end-of-turn model
   * (semantic_vad), and each other GA value Parley cannot honour: refused alone, naming the field,
   * the field as it was; the instructions beside it apply.
   */
  @Test
  void valuesParleyCannotHonourAreRefusedOneByOneAndTheRestApplies() throws Exception {
    String[][] cases = {
        // the field refused (JSON), its param
        {"\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"semantic_vad\",\"eagerness\":\"low\","
            + "\"create_response\":false}}}", "session.audio.input.turn_detection.type"},
        {"\"audio\":{\"input\":{\"transcription\":null}}", "session.audio.input.transcription"},
        {"\"truncation\":\"disabled\"", "session.truncation"},
        {"\"truncation\":{\"type\":\"retention_ratio\",\"retention_ratio\":0.5}", "session.truncation"},
        {"\"prompt\":{\"id\":\"pmpt_1\"}", "session.prompt"},
        {"\"include\":[\"item.input_audio_transcription.logprobs\"]", "session.include"},
        {"\"reasoning\":{\"effort\":\"low\"}", "session.reasoning"},
    };
    for (String[] c : cases) {
      String session = "{\"instructions\":\"Speak like a sailor.\"," + c[0] + "}";
      RealtimeSessionConfig.Applied applied = START.update(new JsonObject(session), "e1", name -> name,
          language -> { });
      assertThat(applied.refused()).as(session).singleElement().satisfies(e -> {
        assertThat(e.code()).isEqualTo("unsupported_value");
        assertThat(e.param()).isEqualTo(c[1]);
        assertThat(e.eventId()).isEqualTo("e1");
        assertThat(e.getMessage()).isNotBlank();
      });
      assertThat(applied.config().instructions()).as(session).isEqualTo("Speak like a sailor.");
      JsonObject shown = shown(applied.config());
      assertThat(shown.getJsonObject("audio").getJsonObject("input").getJsonObject("turn_detection"))
          .as("what is in force: the node's server VAD, as before").isEqualTo(shown(START).getJsonObject("audio")
              .getJsonObject("input").getJsonObject("turn_detection"));
      assertThat(shown.getString("truncation")).isEqualTo("auto");
      assertThat(shown.getJsonObject("audio").getJsonObject("input").getJsonObject("transcription").getString("model"))
          .isEqualTo("whisper");
    }
    RealtimeSessionConfig.Applied semantic = START.update(new JsonObject("{\"audio\":{\"input\":{\"turn_detection\":"
        + "{\"type\":\"semantic_vad\"}}}}"), "e2", name -> name, language -> { });
    assertThat(semantic.refused().getFirst().getMessage()).contains("./parley models --turn smart-turn-v3");
  }

  @Test
  void semanticVadIsAcceptedWhenAnEndOfTurnModelServesIt() throws Exception {
    RealtimeSessionConfig c = START.update(new JsonObject("{\"audio\":{\"input\":{\"turn_detection\":"
        + "{\"type\":\"semantic_vad\",\"eagerness\":\"high\"}}}}"), null, name -> name, language -> { }, () -> true)
        .config();
    assertThat(c.serverVad()).isTrue();
    assertThatThrownBy(() -> START.update(new JsonObject("{\"audio\":{\"input\":{\"turn_detection\":"
        + "{\"type\":\"semantic_vad\",\"eagerness\":\"eager\"}}}}"), null, name -> name, language -> { }, () -> true)
        .config())
        .isInstanceOfSatisfying(RealtimeProtocolException.class,
            e -> assertThat(e.param()).isEqualTo("session.audio.input.turn_detection.eagerness"));
  }

  @Test
  void honouredFieldsShowInTheSessionObject() throws Exception {
    RealtimeSessionConfig c = update("{\"type\":\"realtime\",\"model\":\"gpt-realtime\",\"tracing\":\"auto\","
        + "\"parallel_tool_calls\":false,\"reasoning\":null,\"prompt\":null,"
        + "\"truncation\":\"auto\",\"max_output_tokens\":\"inf\",\"output_modalities\":[\"text\"],"
        + "\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcmu\"},\"noise_reduction\":{\"type\":\"far_field\"},"
        + "\"transcription\":{\"model\":\"gpt-4o-transcribe\",\"language\":\"en\",\"prompt\":\"Nutrition terms\"},"
        + "\"turn_detection\":{\"type\":\"server_vad\",\"idle_timeout_ms\":6000}},"
        + "\"output\":{\"format\":{\"type\":\"audio/pcma\"}}}}");
    assertThat(c.maxTokens()).isEqualTo(RealtimeSessionConfig.MAX_OUTPUT_TOKENS);
    assertThat(c.audioOut()).isFalse();
    assertThat(c.idleTimeoutMs()).isEqualTo(6_000);
    assertThat(c.wire().input()).isEqualTo(new AudioFormat("audio/pcmu", 8_000));
    assertThat(c.wire().output()).isEqualTo(new AudioFormat("audio/pcma", 8_000));
    assertThat(c.inputRate()).as("the pipeline keeps its rate; the connection transcodes").isEqualTo(24_000);
    JsonObject session = shown(c);
    JsonObject input = session.getJsonObject("audio").getJsonObject("input");
    assertThat(input.getJsonObject("format")).isEqualTo(new JsonObject().put("type", "audio/pcmu"));
    assertThat(input.getJsonObject("noise_reduction").getString("type")).isEqualTo("far_field");
    assertThat(input.getJsonObject("transcription").getString("model")).isEqualTo("gpt-4o-transcribe");
    assertThat(input.getJsonObject("transcription").getString("prompt")).isEqualTo("Nutrition terms");
    assertThat(input.getJsonObject("turn_detection").getLong("idle_timeout_ms")).isEqualTo(6_000L);
    assertThat(session.getJsonObject("audio").getJsonObject("output").getJsonObject("format"))
        .isEqualTo(new JsonObject().put("type", "audio/pcma"));
    assertThat(session.getString("truncation")).isEqualTo("auto");
    // A resumed session keeps all of it.
    RealtimeSessionConfig back = RealtimeSessionConfig.resumed(NODE, new JsonObject(c.kept().encode()), "assistant",
        24_000, name -> name);
    assertThat(back.wire()).isEqualTo(c.wire());
  }

  @Test
  void aTranscriptionSessionOnlyTranscribes() throws Exception {
    RealtimeSessionConfig t = update("{\"type\":\"transcription\",\"audio\":{\"input\":{\"transcription\":"
        + "{\"model\":\"gpt-4o-transcribe\",\"language\":\"en\"}}}}");
    assertThat(t.transcription()).isTrue();
    assertThat(t.settings(NODE).createResponse()).as("no answers at the end of a turn").isFalse();
    JsonObject session = shown(t);
    assertThat(session.getString("type")).isEqualTo("transcription");
    assertThat(session.fieldNames()).doesNotContain("output_modalities", "instructions", "tools");
    assertThat(session.getJsonObject("audio").fieldNames()).containsExactly("input");
    assertThat(START.transcriptionOnly().transcription()).as("?intent=transcription").isTrue();
    assertThat(RealtimeSessionConfig.resumed(NODE, t.kept(), "assistant", 24_000, name -> name).transcription())
        .isTrue();
    assertThat(t.update(new JsonObject().put("type", "realtime"), null, name -> name, language -> { }).config()
        .settings(NODE).createResponse()).isTrue();
  }
}
