package io.parley.api.assistant;

import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.ClientEventDecoder;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.api.assistant.realtime.RealtimeTools;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.tts.SpeechStyle;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A client's {@code response.create} read over the session's configuration: what its
 * {@code response} object sets for that one answer ({@code instructions}, appended under the
 * session's; {@code output_modalities}; {@code max_output_tokens}; {@code audio.output.voice};
 * {@code tools} and {@code tool_choice}; {@code conversation: "none"}, out of band), and its
 * {@code metadata}, echoed in the response's events. A malformed field or one the GA schema does
 * not have refuses the response; a GA field Parley cannot honour ({@code input}, {@code prompt},
 * a conversation other than the session's, another {@code audio.output.format} than the
 * session's) is refused alone, as {@code session.update}
 * refuses one ({@link RealtimeSessionUpdate}), and the answer is made without it: none is silently
 * ignored.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime-client-events/response/create">response.create</a>
 */
final class RealtimeResponseCreate {

  /** The {@code response} fields of the GA schema. */
  static final Set<String> FIELDS = Set.of("audio", "conversation", "input", "instructions", "max_output_tokens",
      "metadata", "output_modalities", "prompt", "tool_choice", "tools");
  /** The most metadata pairs, and the longest key and value, as the GA schema bounds them. */
  static final int MAX_METADATA_PAIRS = 16;
  static final int MAX_METADATA_KEY = 64;
  static final int MAX_METADATA_VALUE = 512;

  /**
   * A response asked for: the configuration its answer is made with, its {@code metadata} (null
   * when none), and the fields refused one by one ({@code unsupported_value}, each sent as an
   * {@code error}).
   */
  record Requested(RealtimeSessionConfig config, boolean outOfBand, JsonObject metadata,
                   List<RealtimeProtocolException> refused) {}

  private RealtimeResponseCreate() {}

  /**
   * The answer {@code response} (a response.create's object, or null: the session's settings) asks
   * for over {@code session}; {@code voices} resolves a voice name as for the session.
   *
   * @throws RealtimeProtocolException for a malformed or unknown field: no response is created
   */
  static Requested read(RealtimeSessionConfig session, JsonObject response, String eventId,
                        UnaryOperator<String> voices) throws RealtimeProtocolException {
    if (response == null) {
      return new Requested(session, false, null, List.of());
    }
    List<RealtimeProtocolException> refused = new ArrayList<>();
    for (String key : response.fieldNames()) {
      if (!FIELDS.contains(key)) {
        throw new RealtimeProtocolException("unknown_parameter", "response." + key + " is not a response field",
            "response." + key, eventId);
      }
    }
    Object conversation = response.getValue("conversation");
    if (conversation != null && !"auto".equals(conversation) && !"none".equals(conversation)) {
      refused.add(new RealtimeProtocolException("unsupported_value", "a session has one conversation: "
          + "response.conversation is \"auto\" or \"none\" (out of band), got " + conversation
          + "; this one answers in the conversation", "response.conversation", eventId));
    }
    if (response.getValue("input") != null) {
      refused.add(new RealtimeProtocolException("unsupported_value", "a response's own input items (response.input) "
          + "are not supported: this one answers from the conversation", "response.input", eventId));
    }
    if (response.getValue("prompt") != null) {
      refused.add(new RealtimeProtocolException("unsupported_value", "stored prompts (response.prompt) live on "
          + "OpenAI's platform; send the instructions instead", "response.prompt", eventId));
    }
    String instructions = null;
    if (response.getValue("instructions") != null) {
      if (!(response.getValue("instructions") instanceof String i)) {
        throw new RealtimeProtocolException("invalid_value", "instructions must be a string",
            "response.instructions", eventId);
      }
      instructions = ClientEventDecoder.bounded(i, "response.instructions", eventId);
    }
    boolean audioOut = response.getValue("output_modalities") == null ? session.audioOut()
        : RealtimeSessionFields.audioOut(response.getValue("output_modalities"), "response.output_modalities",
            eventId);
    int maxTokens = response.getValue("max_output_tokens") == null ? session.maxTokens()
        : RealtimeSessionFields.maxTokens(response.getValue("max_output_tokens"), "response.max_output_tokens",
            eventId);
    SpeechStyle speech = speech(session, response.getValue("audio"), eventId, voices, refused);
    List<Tool> tools = response.containsKey("tools")
        ? RealtimeTools.tools(response.getValue("tools"), "response.tools", eventId) : session.tools();
    ToolChoice choice = response.containsKey("tool_choice")
        ? RealtimeTools.choice(response.getValue("tool_choice"), tools, "response.tool_choice", eventId)
        : RealtimeSessionFields.toolChoice(session.toolChoice(), tools);
    return new Requested(session.forResponse(instructions, audioOut, maxTokens, speech, tools, choice),
        "none".equals(conversation), metadata(response.getValue("metadata"), eventId), List.copyOf(refused));
  }

  /**
   * {@code audio.output}: its {@code voice} for this answer; its {@code format} only when it is the
   * session's (one socket carries one output format), another refused into {@code refused}.
   */
  private static SpeechStyle speech(RealtimeSessionConfig session, Object audio, String eventId,
                                    UnaryOperator<String> voices, List<RealtimeProtocolException> refused)
      throws RealtimeProtocolException {
    if (audio == null) {
      return session.speech();
    }
    if (!(audio instanceof JsonObject a) || !a.fieldNames().stream().allMatch("output"::equals)
        || a.getValue("output") != null && !(a.getValue("output") instanceof JsonObject)) {
      throw new RealtimeProtocolException("invalid_value", "response.audio may only hold output (voice, format)",
          "response.audio", eventId);
    }
    JsonObject output = a.getJsonObject("output");
    if (output == null) {
      return session.speech();
    }
    if (!Set.of("voice", "format").containsAll(output.fieldNames())) {
      throw new RealtimeProtocolException("invalid_value", "response.audio.output may only hold voice and format",
          "response.audio.output", eventId);
    }
    AudioFormat format = AudioFormat.parse(output.getValue("format"), session.wire().output(),
        "response.audio.output.format", eventId);
    if (!format.equals(session.wire().output())) {
      refused.add(new RealtimeProtocolException("unsupported_value", "a response's own output format is not "
          + "supported: this one is sent in the session's, " + session.wire().output().type(),
          "response.audio.output.format", eventId));
    }
    JsonObject voice = output.copy();
    voice.remove("format");
    return RealtimeSessionFields.speech(session.speech(), voice, "response.audio.output", eventId, voices);
  }

  /**
   * {@code metadata}: null, or at most {@value #MAX_METADATA_PAIRS} string values, keys of at most
   * {@value #MAX_METADATA_KEY} characters and values of at most {@value #MAX_METADATA_VALUE}.
   */
  static JsonObject metadata(Object value, String eventId) throws RealtimeProtocolException {
    if (value == null) {
      return null;
    }
    if (value instanceof JsonObject m && m.size() <= MAX_METADATA_PAIRS && m.stream().allMatch(e ->
        e.getKey().length() <= MAX_METADATA_KEY && e.getValue() instanceof String v && v.length() <= MAX_METADATA_VALUE)) {
      return m.copy();
    }
    throw new RealtimeProtocolException("invalid_value", "metadata must be null or at most " + MAX_METADATA_PAIRS
        + " string values (keys up to " + MAX_METADATA_KEY + " characters, values up to " + MAX_METADATA_VALUE + ")",
        "response.metadata", eventId);
  }
}
