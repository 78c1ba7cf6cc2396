package io.parley.api.assistant.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.inference.voice.TurnTimings;
import io.parley.inference.voice.VoiceEvent;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Realtime codec without a socket: client events decode to their records or to the error a
 * client gets (code, param, its event_id), and voice events encode to the wire events the openai
 * clients expect, in order, with Parley's codes mapped to their Realtime names.
 */
class RealtimeProtocolTest {

  @Test
  void clientEventsDecode() throws Exception {
    assertThat(ClientEventDecoder.decode("{\"type\":\"response.create\",\"event_id\":\"e1\"}"))
        .isEqualTo(new ClientEvent.ResponseCreate("e1", null));
    assertThat(ClientEventDecoder.decode("{\"type\":\"conversation.item.create\",\"item\":{\"type\":"
        + "\"function_call_output\",\"id\":\"o\",\"call_id\":\"call_1\",\"output\":\"{\\\"ok\\\":true}\"}}"))
        .isEqualTo(new ClientEvent.FunctionCallOutput(null, "o", "call_1", "{\"ok\":true}", ClientEvent.After.END));
    assertThat(ClientEventDecoder.decode("{\"type\":\"input_audio_buffer.append\",\"audio\":\"AQD/fw==\"}"))
        .isInstanceOfSatisfying(ClientEvent.AudioAppend.class,
            a -> assertThat(a.audio()).containsExactly(1, 0, 0xFF, 0x7F));
    assertThat(ClientEventDecoder.decode("{\"type\":\"conversation.item.truncate\",\"item_id\":\"i\","
        + "\"content_index\":0,\"audio_end_ms\":1500}")).isEqualTo(new ClientEvent.ItemTruncate(null, "i", 0, 1500));
    assertThat(ClientEventDecoder.decode("{\"type\":\"conversation.item.retrieve\",\"item_id\":\"i1\",\"event_id\":\"e\"}"))
        .isEqualTo(new ClientEvent.ItemRetrieve("e", "i1"));
    assertThat(ClientEventDecoder.decode("{\"type\":\"conversation.item.delete\",\"item_id\":\"i2\"}"))
        .isEqualTo(new ClientEvent.ItemDelete(null, "i2"));
    assertThat(ClientEventDecoder.decode("{\"type\":\"output_audio_buffer.clear\"}"))
        .isEqualTo(new ClientEvent.OutputAudioClear(null));
    assertThat(ClientEventDecoder.decode("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\","
        + "\"role\":\"user\",\"id\":\"x\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi \"},"
        + "{\"type\":\"input_text\",\"text\":\"there\"}]}}"))
        .isInstanceOfSatisfying(ClientEvent.ItemCreate.class, c -> {
          assertThat(c.itemId()).isEqualTo("x");
          assertThat(c.text()).isEqualTo("hi there");
          assertThat(c.role()).isEqualTo(ClientEvent.Role.USER);
          assertThat(c.after()).isEqualTo(ClientEvent.After.END);
        });
  }

  @Test
  void systemAndAssistantMessagesDecodeWithTheirPlace() throws Exception {
    assertThat(ClientEventDecoder.decode("{\"type\":\"conversation.item.create\",\"previous_item_id\":\"p\","
        + "\"item\":{\"type\":\"message\",\"role\":\"system\",\"id\":\"s\",\"content\":[{\"type\":"
        + "\"input_text\",\"text\":\"Be brief.\"}]}}"))
        .isInstanceOfSatisfying(ClientEvent.ItemCreate.class, c -> {
          assertThat(c.role()).isEqualTo(ClientEvent.Role.SYSTEM);
          assertThat(c.text()).isEqualTo("Be brief.");
          assertThat(c.after()).isEqualTo(new ClientEvent.After("p", "previous_item_id"));
        });
    // The beta's "text" part is read as GA's output_text, and shown as one.
    assertThat(ClientEventDecoder.decode("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\","
        + "\"role\":\"assistant\",\"previous_item_id\":\"q\",\"content\":[{\"type\":\"text\",\"text\":\"Hi \"},"
        + "{\"type\":\"output_text\",\"text\":\"again.\"}]}}"))
        .isInstanceOfSatisfying(ClientEvent.ItemCreate.class, c -> {
          assertThat(c.role()).isEqualTo(ClientEvent.Role.ASSISTANT);
          assertThat(c.text()).isEqualTo("Hi again.");
          assertThat(c.itemId()).startsWith("item_");
          assertThat(c.content().stream().map(o -> ((JsonObject) o).getString("type")))
              .containsExactly("output_text", "output_text");
          assertThat(c.after()).isEqualTo(new ClientEvent.After("q", "item.previous_item_id"));
        });
  }

  @Test
  void badClientEventsNameTheirError() {
    String[][] cases = {
        // event, code, param
        {"not json", "invalid_json", null},
        {"[1,2]", "invalid_json", null},
        {"{\"event_id\":\"e\"}", "missing_type", "type"},
        {"{\"type\":\"teleport\"}", "unknown_event", "type"},
        {"{\"type\":\"session.update\",\"session\":3}", "invalid_value", "session"},
        {"{\"type\":\"input_audio_buffer.append\",\"audio\":5}", "invalid_value", "audio"},
        {"{\"type\":\"input_audio_buffer.append\",\"audio\":\"!!\"}", "invalid_base64", "audio"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"assistant\"}}", "invalid_value",
            "item.content"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"critic\"}}", "invalid_value", "item.role"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call\"}}", "invalid_value", "item"},
        // Audio Parley cannot take is refused by the part's name; a part of another role's type is invalid.
        {"{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"user\",\"content\":[{\"type\":"
            + "\"input_text\",\"text\":\"hi\"},{\"type\":\"input_audio\",\"audio\":\"AAAA\"}]}}",
            "unsupported_value", "item.content[1].type"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"assistant\",\"content\":[{\"type\":"
            + "\"output_audio\",\"transcript\":\"hi\"}]}}", "unsupported_value", "item.content[0].type"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"system\",\"content\":[{\"type\":"
            + "\"output_text\",\"text\":\"hi\"}]}}", "invalid_value", "item.content[0].type"},
        {"{\"type\":\"conversation.item.create\",\"previous_item_id\":5,\"item\":{\"role\":\"user\"}}",
            "invalid_value", "previous_item_id"},
        {"{\"type\":\"conversation.item.create\",\"item\":\"x\"}", "invalid_value", "item"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"user\",\"content\":[]}}", "invalid_value",
            "item.content"},
        {"{\"type\":\"conversation.item.truncate\",\"item_id\":\"x\",\"audio_end_ms\":-5}", "invalid_value",
            "audio_end_ms"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\",\"output\":\"x\"}}",
            "invalid_value", "item.call_id"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\",\"call_id\":\"c\"}}",
            "invalid_value", "item.output"},
        {"{\"type\":\"conversation.item.truncate\",\"item_id\":\"x\",\"audio_end_ms\":5,\"content_index\":\"x\"}",
            "invalid_value", "content_index"},
        {"{\"type\":\"conversation.item.truncate\",\"item_id\":\"x\",\"audio_end_ms\":5,\"content_index\":-1}",
            "invalid_value", "content_index"},
        {"{\"type\":\"conversation.item.retrieve\"}", "invalid_value", "item_id"},
        {"{\"type\":\"conversation.item.delete\",\"item_id\":\"\"}", "invalid_value", "item_id"},
        // NUL cannot be stored: refused wherever it is, named by its path.
        {"{\"type\":\"session.update\",\"session\":{\"instructions\":\"a\\u0000\"}}", "invalid_value",
            "session.instructions"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\",\"call_id\":\"c\","
            + "\"output\":\"\\u0000\"}}", "invalid_value", "item.output"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{"
            + "\"type\":\"input_text\",\"text\":\"" + "x".repeat(ClientEventDecoder.MAX_TEXT_CHARS + 1) + "\"}]}}",
            "invalid_value", "item.content"},
        {"{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\",\"call_id\":\"c\","
            + "\"output\":\"" + "x".repeat(ClientEventDecoder.MAX_TEXT_CHARS + 1) + "\"}}", "invalid_value", "item.output"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> ClientEventDecoder.decode(c[0])).as(c[0])
          .isInstanceOfSatisfying(RealtimeProtocolException.class, e -> {
            assertThat(e.code()).isEqualTo(c[1]);
            assertThat(e.param()).isEqualTo(c[2]);
          });
    }
    assertThatThrownBy(() -> ClientEventDecoder.decode("{\"type\":\"teleport\",\"event_id\":\"mine\"}"))
        .isInstanceOfSatisfying(RealtimeProtocolException.class, e -> assertThat(e.eventId()).isEqualTo("mine"));
  }

  private static List<String> types(List<JsonObject> events) {
    return events.stream().map(e -> e.getString("type")).toList();
  }

  @Test
  void voiceEventsEncodeToTheirWireEvents() {
    assertThat(types(ServerEventEncoder.encode(new VoiceEvent.TurnCommitted("i2", "i1"), true))).containsExactly(
        "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done");
    assertThat(types(ServerEventEncoder.encode(new VoiceEvent.ResponseStarted("r", "i"), true)))
        .containsExactly("response.created");
    assertThat(types(ServerEventEncoder.encode(new VoiceEvent.MessageStarted("r", "i", 0), true)))
        .containsExactly("response.output_item.added", "response.content_part.added");
    assertThat(types(ServerEventEncoder.encode(new VoiceEvent.TextDelta("r", "i", 0, "x"), false)))
        .containsExactly("response.output_text.delta");
    List<JsonObject> done = ServerEventEncoder.encode(new VoiceEvent.ResponseDone("r", "i", VoiceEvent.Status.CANCELLED,
        VoiceEvent.Reason.TURN_DETECTED, "Hello", new TurnTimings(1), 0, List.of()), true);
    assertThat(types(done)).containsExactly("response.output_audio.done", "response.output_audio_transcript.done",
        "response.content_part.done", "response.output_item.done", "response.done", "rate_limits.updated");
    JsonObject response = done.get(4).getJsonObject("response");
    assertThat(response.getString("status")).isEqualTo("cancelled");
    assertThat(response.getJsonObject("status_details").getString("reason")).isEqualTo("turn_detected");
    assertThat(done.get(3).getJsonObject("item").getString("status")).isEqualTo("incomplete");
    JsonObject audio = ServerEventEncoder.encode(new VoiceEvent.AudioChunk("r", "i", 0, new short[] {1, -1}), true)
        .get(0);
    assertThat(audio.getString("delta")).isEqualTo("AQD//w==");
    assertThat(ServerEventEncoder.encode(new VoiceEvent.InputBacklog(true), true)).isEmpty();
    for (VoiceEvent.Code code : VoiceEvent.Code.values()) {
      JsonObject error = ServerEventEncoder.encode(new VoiceEvent.Error(code, "m"), true).get(0);
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getJsonObject("error").getString("code")).isEqualTo(ServerEventEncoder.code(code))
          .matches("[a-z_]+");
    }
    assertThat(ServerEventEncoder.code(VoiceEvent.Code.RESPONSE_IN_PROGRESS))
        .isEqualTo("conversation_already_has_active_response");
  }

  /**
   * A final transcript says its language where the GA schema has it, {@code languages: [{code}]};
   * one Whisper could not tell is an empty list, as the schema has it for "not reliably detected".
   */
  @Test
  void aFinalTranscriptCarriesItsLanguageAsTheGaSchemaHasIt() {
    JsonObject spanish = ServerEventEncoder.encode(new VoiceEvent.TranscriptFinal("i1", "hola", "es"), true).get(0);
    assertThat(spanish.fieldNames()).containsExactlyInAnyOrder("type", "item_id", "content_index", "transcript",
        "usage", "languages");
    assertThat(spanish.getString("type")).isEqualTo("conversation.item.input_audio_transcription.completed");
    assertThat(spanish.getJsonArray("languages")).isEqualTo(new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("code", "es")));
    JsonObject unknown = ServerEventEncoder.encode(new VoiceEvent.TranscriptFinal("i2", "", "und"), true).get(0);
    assertThat(unknown.getJsonArray("languages")).isEmpty();
  }

  /** A function call streams as OpenAI's: its item added, argument deltas, done, the item done, in response.done. */
  @Test
  void functionCallsEncodeAsRealtimeFunctionCallItems() {
    JsonObject added = ServerEventEncoder.encode(new VoiceEvent.FunctionCallStarted("r", "fc", 0, "call_1", "lookup"),
        true).get(0);
    assertThat(added.getString("type")).isEqualTo("response.output_item.added");
    assertThat(added.getJsonObject("item").getMap()).containsEntry("type", "function_call")
        .containsEntry("call_id", "call_1").containsEntry("name", "lookup").containsEntry("arguments", "")
        .containsEntry("status", "in_progress");
    JsonObject delta = ServerEventEncoder.encode(new VoiceEvent.FunctionCallArguments("r", "fc", 0, "call_1", "{\"a\""),
        true).get(0);
    assertThat(delta.getMap()).containsEntry("type", "response.function_call_arguments.delta")
        .containsEntry("item_id", "fc").containsEntry("call_id", "call_1").containsEntry("delta", "{\"a\"");
    VoiceEvent.FunctionCall call = new VoiceEvent.FunctionCall("fc", 0, "call_1", "lookup", "{\"a\":1}");
    List<JsonObject> done = ServerEventEncoder.encode(new VoiceEvent.FunctionCallDone("r", call), true);
    assertThat(types(done)).containsExactly("response.function_call_arguments.done", "response.output_item.done");
    assertThat(done.get(0).getMap()).containsEntry("arguments", "{\"a\":1}").containsEntry("name", "lookup")
        .containsEntry("output_index", 0);
    List<JsonObject> response = ServerEventEncoder.encode(new VoiceEvent.ResponseDone("r", "i",
        VoiceEvent.Status.COMPLETED, null, "", new TurnTimings(1), -1, List.of(call)), true);
    assertThat(types(response)).containsExactly("response.done", "rate_limits.updated");
    JsonObject item = response.get(0).getJsonObject("response").getJsonArray("output").getJsonObject(0);
    assertThat(item.getMap()).containsEntry("type", "function_call").containsEntry("status", "completed")
        .containsEntry("arguments", "{\"a\":1}");
  }

  /** The answer's content part is GA's output_audio (or output_text) in its events and in its item. */
  @Test
  void theAnswersContentPartIsNamedAsGaNamesIt() {
    JsonObject added = ServerEventEncoder.encode(new VoiceEvent.MessageStarted("r", "i", 0), true).get(1);
    assertThat(added.getJsonObject("part").getMap()).containsEntry("type", "output_audio").containsEntry("transcript", "");
    List<JsonObject> text = ServerEventEncoder.encode(new VoiceEvent.ResponseDone("r", "i", VoiceEvent.Status.COMPLETED,
        null, "Hi", new TurnTimings(1), 0, List.of()), false);
    assertThat(types(text)).containsExactly("response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.done", "rate_limits.updated");
    assertThat(text.get(1).getJsonObject("part").getMap()).containsEntry("type", "output_text").containsEntry("text", "Hi");
    JsonObject item = text.get(2).getJsonObject("item");
    assertThat(item.getMap()).containsEntry("object", "realtime.item").containsEntry("status", "completed");
    assertThat(item.getJsonArray("content").getJsonObject(0).getString("type")).isEqualTo("output_text");
  }

  /** What retrieve answers: the item as last shown, its transcript once final, forgotten once deleted. */
  @Test
  void theItemsShownAreKeptForRetrieveAndDelete() {
    RealtimeItems items = new RealtimeItems();
    for (JsonObject e : ServerEventEncoder.encode(new VoiceEvent.TurnCommitted("u1", null), true)) {
      items.shown(e);
    }
    // Pending, the transcript is null, not absent: the Agents SDK's item schema requires the field.
    JsonObject pending = items.item("u1").getJsonArray("content").getJsonObject(0);
    assertThat(pending.containsKey("transcript")).isTrue();
    assertThat(pending.getString("transcript")).isNull();
    items.shown(ServerEventEncoder.encode(new VoiceEvent.TranscriptFinal("u1", "hello", "en"), true).get(0));
    JsonObject user = items.item("u1");
    assertThat(user.getString("role")).isEqualTo("user");
    assertThat(user.getJsonArray("content").getJsonObject(0).getMap()).containsEntry("type", "input_audio")
        .containsEntry("transcript", "hello");
    items.shown(ServerEventEncoder.encode(new VoiceEvent.ResponseStarted("r1", "a1"), true).get(0));
    assertThat(items.responseInProgress()).isEqualTo("r1");
    assertThat(items.item("a1")).as("not shown before its output_item.added").isNull();
    ServerEventEncoder.encode(new VoiceEvent.MessageStarted("r1", "a1", 0), true).forEach(items::shown);
    assertThat(items.item("a1").getString("status")).as("an answer in progress is retrieved")
        .isEqualTo("in_progress");
    ServerEventEncoder.encode(new VoiceEvent.ResponseDone("r1", "a1", VoiceEvent.Status.COMPLETED, null, "Hi",
        new TurnTimings(1), 0, List.of()), true).forEach(items::shown);
    assertThat(items.responseInProgress()).isNull();
    assertThat(items.item("a1").getJsonArray("content").getJsonObject(0).getString("transcript")).isEqualTo("Hi");
    assertThat(items.delete("u1")).isTrue();
    assertThat(items.item("u1")).isNull();
    assertThat(items.delete("u1")).isFalse();
  }
}
