package io.parley.api.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.assistant.realtime.ServerEventEncoder;
import io.parley.api.support.Api;
import io.parley.api.support.NodeScript;
import io.parley.api.support.Speech;
import io.parley.api.support.StandInLlm;
import io.parley.api.support.TestNode;
import io.parley.api.support.TestTls;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.stt.TinyWhisperModel;
import io.parley.inference.voice.VoiceEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Field-exactness of the Realtime protocol: one session with the {@code openai} npm package's
 * client walks every GA client event (a typed turn, a tool call, a spoken turn spoken over and
 * truncated and retrieved, manual commit, output audio cleared, an item deleted, system and
 * assistant items and a text answer with metadata, G.711 formats; then a transcription session;
 * see realtime-conformance.mjs), and every server event it received is written into a TypeScript file
 * as a value of that package's {@code RealtimeServerEvent} type and compiled with {@code tsc
 * --noEmit}: an extra, missing or mistyped field fails the build. Parley's documented differences
 * are declared in the file's header (see {@link #HEADER}), nowhere else.
 */
class RealtimeConformanceTest {

  /**
   * The type the events are checked against: the package's {@code RealtimeServerEvent}, but for
   * what docs/VOICE.md lists as Parley's on purpose — content parts named {@code output_audio} /
   * {@code output_text} as the GA service sends them (the package still types content part events
   * as {@code audio} / {@code text}), {@code response.parley_timings}, and the session's {@code id}
   * and {@code object} ({@code realtime.session}, or {@code realtime.transcription_session} for a
   * transcription session, as the GA service sends them; the package types the session as the request)
   * and Parley's {@code parley} object, and a user's audio content with {@code transcript: null}
   * until its transcript is final (as the GA service sends it and the Agents SDK's item schema
   * requires; the package types the field as an optional string).
   */
  static final String HEADER = """
      import type * as RT from "openai/resources/realtime/realtime";

      type Part = Omit<RT.ResponseContentPartAddedEvent.Part, "type"> & { type?: "output_audio" | "output_text" };
      type PartAdded = Omit<RT.ResponseContentPartAddedEvent, "part"> & { part: Part };
      type PartDone = Omit<RT.ResponseContentPartDoneEvent, "part"> & { part: Part };
      type Timings = { [stage: string]: number | null };
      type Done = Omit<RT.ResponseDoneEvent, "response"> & { response: RT.RealtimeResponse & { parley_timings?: Timings } };
      type Extras = { id?: string; parley?: { [field: string]: unknown } };
      type Session = (RT.RealtimeSessionCreateRequest & Extras & { object?: "realtime.session" })
        | (RT.RealtimeTranscriptionSessionCreateRequest & Extras & { object?: "realtime.transcription_session" });
      type Created = Omit<RT.SessionCreatedEvent, "session"> & { session: Session };
      type Updated = Omit<RT.SessionUpdatedEvent, "session"> & { session: Session };
      type UserContent = Omit<RT.RealtimeConversationItemUserMessage.Content, "transcript"> & { transcript?: string | null };
      type UserMessage = Omit<RT.RealtimeConversationItemUserMessage, "content"> & { content: UserContent[] };
      type Item = Exclude<RT.ConversationItem, RT.RealtimeConversationItemUserMessage> | UserMessage;
      type WithItem<E> = Omit<E, "item"> & { item: Item };
      type Checked = Exclude<RT.RealtimeServerEvent, RT.ResponseContentPartAddedEvent
          | RT.ResponseContentPartDoneEvent | RT.ResponseDoneEvent | RT.SessionCreatedEvent | RT.SessionUpdatedEvent
          | RT.ConversationItemAdded | RT.ConversationItemDone | RT.RealtimeServerEvent.ConversationItemRetrieved>
        | PartAdded | PartDone | Done | Created | Updated | WithItem<RT.ConversationItemAdded>
        | WithItem<RT.ConversationItemDone> | WithItem<RT.RealtimeServerEvent.ConversationItemRetrieved>;

      """;

  /**
   * Every server event a voice session emits in the walk (timeout_triggered and transcription
   * deltas are made by the encoder below: idle_timeout_ms and streaming transcripts are not walked).
   */
  static final List<String> EXPECTED = List.of("session.created", "session.updated", "conversation.item.added",
      "conversation.item.done", "conversation.item.retrieved", "conversation.item.truncated",
      "conversation.item.deleted", "conversation.item.input_audio_transcription.completed",
      "input_audio_buffer.committed", "input_audio_buffer.cleared", "input_audio_buffer.speech_started",
      "input_audio_buffer.speech_stopped", "response.created", "response.done", "response.output_item.added",
      "response.output_item.done", "response.content_part.added", "response.content_part.done",
      "response.output_audio.delta", "response.output_audio.done", "response.output_audio_transcript.delta",
      "response.output_audio_transcript.done", "response.output_text.delta", "response.output_text.done",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done", "output_audio_buffer.cleared", "rate_limits.updated", "error");

  private static Path dir;
  private static TestTls tls;
  private static StandInLlm llm;
  private static TestNode node;
  private static Api api;
  private static Path speech;
  private static Path speechAgain;

  @BeforeAll
  static void start() throws Exception {
    NodeScript.requirePackages("openai", "ws", "typescript");
    dir = Files.createTempDirectory("parley-realtime-conformance-");
    tls = TestTls.create(dir);
    llm = StandInLlm.start();
    llm.always(RealtimeConformanceTest::answer);
    Path whisper = TinyWhisperModel.builder().write(dir.resolve("tiny-whisper.bin"));
    speech = Speech.wav("Hello there. How many calories are in a banana?", 24_000, dir, "question");
    speechAgain = Speech.wav("Wait, stop. Tell me about apples instead, please.", 24_000, dir, "interrupt");
    node = TestNode.start(Map.of("PARLEY_TLS_CERT", tls.cert().toString(), "PARLEY_TLS_KEY", tls.key().toString(),
        "PARLEY_WHISPER_MODEL", whisper.toString(), "PARLEY_LLM_BASE_URL", llm.baseUrl(),
        "PARLEY_LLM_MODEL", "stand-in", "PARLEY_VOICE_BARGE_IN_MS", "250"));
    api = new Api("https://127.0.0.1:" + node.server().httpPort(), tls.client());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (llm != null) {
      llm.close();
    }
    if (dir != null) {
      TestNode.deleteTree(dir);
    }
  }

  /** The stand-in model: calls get_weather when asked about the weather, else short or long answers. */
  private static StandInLlm.Answer answer(JsonObject body) {
    JsonArray messages = body.getJsonArray("messages");
    JsonObject last = messages.getJsonObject(messages.size() - 1);
    String said = last.getValue("content") instanceof String s ? s : "";
    if ("user".equals(last.getString("role")) && said.contains("weather")) {
      return new StandInLlm.Answer("", List.of(new ToolCall("call_weather_1", "get_weather", "{\"city\":\"Paris\"}")));
    }
    if ("tool".equals(last.getString("role")) || said.contains("calories")) {
      return new StandInLlm.Answer("It is sunny.", List.of());
    }
    return new StandInLlm.Answer("Bananas grow in warm places, and people have eaten them for thousands of years;"
        + " they are sweet, soft and easy to carry, which is why so many people take one along every day.", List.of());
  }

  @Test
  void everyServerEventOfASessionIsARealtimeServerEventFieldForField() throws Exception {
    String token = api.newUser().getString("access_token");
    Path eventsFile = dir.resolve("events.json");
    JsonObject result;
    try (NodeScript script = NodeScript.start(NodeScript.repositoryRoot().resolve(
        "api/src/test/js/realtime-conformance.mjs"), List.of("--base", "https://127.0.0.1:" + node.server().httpPort()
        + "/v1", "--token", token, "--wav", speech.toString(), "--barge-in-wav", speechAgain.toString(),
        "--events-out", eventsFile.toString()), Map.of("NODE_EXTRA_CA_CERTS", tls.cert().toString()))) {
      int code = script.await(Duration.ofSeconds(180));
      assertThat(script.lastLine()).as("result line; stderr:\n" + script.stderr()).isNotNull();
      result = new JsonObject(script.lastLine());
      assertThat(code).as(result.encodePrettily() + "\nstderr:\n" + script.stderr()).isZero();
    }
    assertThat(result.getJsonArray("steps")).containsExactly("typed", "cancel-not-active", "tool", "spoken-barge-in",
        "manual-commit", "clear-and-delete", "items-and-text", "pcmu", "transcription-session");
    assertThat(result.getJsonArray("errors")).containsExactlyInAnyOrder("conversation_already_has_active_response",
        "response_cancel_not_active", "item_not_found");

    JsonArray events = new JsonArray(Files.readString(eventsFile));
    TreeSet<String> seen = new TreeSet<>();
    StringBuilder ts = new StringBuilder(HEADER).append("export const events: Checked[] = [\n");
    for (Object o : events) {
      seen.add(((JsonObject) o).getString("type"));
      ts.append(((JsonObject) o).encode()).append(",\n");
    }
    // What a live session rarely shows, made by the encoder: a failed transcript, a transcript's
    // delta, the idle timeout, every error code.
    List<VoiceEvent> rare = new ArrayList<>(List.of(new VoiceEvent.TranscriptFailed("item_1", "the model failed"),
        new VoiceEvent.TranscriptDelta("item_1", "Hello")));
    ts.append(ServerEventEncoder.timeoutTriggered(1_000, 6_000, "item_2").put("event_id", "event_rare").encode())
        .append(",\n");
    for (VoiceEvent.Code code : VoiceEvent.Code.values()) {
      rare.add(new VoiceEvent.Error(code, "message"));
    }
    for (VoiceEvent e : rare) {
      for (JsonObject wire : ServerEventEncoder.encode(e, true)) {
        ts.append(wire.put("event_id", "event_rare").encode()).append(",\n");
      }
    }
    ts.append("];\n");
    assertThat(seen).as("the walk shows every server event a voice session emits").containsAll(EXPECTED);
    assertThat(events.stream().map(o -> ((JsonObject) o).getJsonObject("session")).filter(java.util.Objects::nonNull))
        .as("sessions checked: a transcription one, and one with G.711 in and out")
        .anySatisfy(session -> assertThat(session.getString("type")).isEqualTo("transcription"))
        .anySatisfy(session -> assertThat(session.getJsonObject("audio").getJsonObject("output")
            .getJsonObject("format").getString("type")).isEqualTo("audio/pcmu"));
    assertThat(events.stream().map(o -> (JsonObject) o).filter(e -> e.getString("type").equals("response.done"))
        .map(e -> e.getJsonObject("response").getJsonObject("metadata")).filter(java.util.Objects::nonNull))
        .as("a response with metadata checked").isNotEmpty();
    assertThat(events.stream().map(o -> (JsonObject) o).filter(e -> e.getString("type").equals("conversation.item.added"))
        .map(e -> e.getJsonObject("item").getString("role"))).as("created items of each role checked")
        .contains("system", "user", "assistant");

    // Kept in target/ for reading tsc's line numbers after a failure.
    Path check = Files.createDirectories(Path.of("target", "realtime-conformance").toAbsolutePath());
    Files.deleteIfExists(check.resolve("node_modules"));
    Files.createSymbolicLink(check.resolve("node_modules"), NodeScript.nodeModules());
    Path file = Files.writeString(check.resolve("events.ts"), ts);
    try (NodeScript tsc = NodeScript.start(NodeScript.nodeModules().resolve("typescript/bin/tsc"), List.of("--noEmit",
        "--strict", "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022",
        file.toString()), Map.of())) {
      int code = tsc.await(Duration.ofSeconds(120));
      assertThat(code).as("tsc (typescript " + NodeScript.version("typescript") + ", openai "
          + NodeScript.version("openai") + ") on the events:\n" + tsc.output() + tsc.stderr()).isZero();
    }
  }
}
