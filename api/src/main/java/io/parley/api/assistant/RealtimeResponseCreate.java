package io.parley.api.assistant;

import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.ClientEventDecoder;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.api.assistant.realtime.RealtimeTools;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.voice.ContextItem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A client's {@code response.create} read over the session's configuration: what its
 * {@code response} object sets for that one answer ({@code instructions}, appended under the
 * session's; {@code output_modalities}; {@code max_output_tokens}; {@code audio.output.voice};
 * {@code tools} and {@code tool_choice}; {@code conversation: "none"}, out of band; {@code input},
 * the context it reads instead of the conversation), and its {@code metadata}, echoed in the
 * response's events. A malformed field or one the GA schema does not have refuses the response; a
 * GA field Parley cannot honour ({@code prompt}, a conversation other than the session's, another
 * {@code audio.output.format} than the session's, an input item that is not a message or a
 * reference) is refused alone, as {@code session.update}
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
  /** The most items a response's {@code input} may hold. */
  static final int MAX_INPUT_ITEMS = 256;

  /**
   * A response asked for: the configuration its answer is made with, whether it is out of band,
   * the context it reads instead of the conversation ({@code input}), its {@code metadata} (null
   * when none), and the fields refused one by one ({@code unsupported_value}, each sent as an
   * {@code error}).
   */
  record Requested(RealtimeSessionConfig config, boolean outOfBand, Optional<List<ContextItem>> input,
                   JsonObject metadata, List<RealtimeProtocolException> refused) {}

  private RealtimeResponseCreate() {}

  /**
   * The answer {@code response} (a response.create's object, or null: the session's settings) asks
   * for over {@code session}; {@code voices} resolves a voice name as for the session.
   *
   * @throws RealtimeProtocolException for a malformed or unknown field: no response is created
   */
  static Requested read(RealtimeSessionConfig session, JsonObject response, String eventId,
                        UnaryOperator<String> voices, Predicate<String> knownItems) throws RealtimeProtocolException {
    if (response == null) {
      return new Requested(session, false, Optional.empty(), null, List.of());
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
    Optional<List<ContextItem>> input = input(response.getValue("input"), eventId, knownItems, refused);
    return new Requested(session.forResponse(instructions, audioOut, maxTokens, speech, tools, choice),
        "none".equals(conversation), input, metadata(response.getValue("metadata"), eventId), List.copyOf(refused));
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
   * {@code input}: the context the answer reads instead of the conversation (null: the
   * conversation), at most {@value #MAX_INPUT_ITEMS} items: messages (as a created one, at most
   * {@link ClientEventDecoder#MAX_TEXT_CHARS} characters of text in all) and {@code item_reference}s
   * to items this socket knows. An item Parley cannot take (a function call or its output, audio)
   * refuses the input into {@code refused}, naming the item: the answer reads the conversation.
   */
  private static Optional<List<ContextItem>> input(Object value, String eventId, Predicate<String> knownItems,
                                                   List<RealtimeProtocolException> refused)
      throws RealtimeProtocolException {
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof JsonArray items) || items.size() > MAX_INPUT_ITEMS) {
      throw new RealtimeProtocolException("invalid_value", "input must be an array of at most " + MAX_INPUT_ITEMS
          + " items", "response.input", eventId);
    }
    List<ContextItem> context = new ArrayList<>();
    int chars = 0;
    for (int i = 0; i < items.size(); i++) {
      String param = "response.input[" + i + "]";
      JsonObject item = items.getValue(i) instanceof JsonObject o ? o : null;
      Object type = item == null ? null : item.getValue("type", "message");
      if ("item_reference".equals(type)) {
        if (!(item.getValue("id") instanceof String id) || !knownItems.test(id)) {
          throw new RealtimeProtocolException("invalid_value", "an item_reference names an item of this "
              + "conversation by its id", param + ".id", eventId);
        }
        context.add(new ContextItem.Reference(id));
      } else if ("message".equals(type)) {
        ClientEventDecoder.Message m;
        try {
          m = ClientEventDecoder.message(item, param, eventId);
        } catch (RealtimeProtocolException e) {
          if (!e.code().equals("unsupported_value")) {
            throw e;
          }
          refused.add(e);
          return Optional.empty();
        }
        chars += m.text().length();
        if (chars > ClientEventDecoder.MAX_TEXT_CHARS) {
          throw new RealtimeProtocolException("invalid_value", "response.input holds more than "
              + ClientEventDecoder.MAX_TEXT_CHARS + " characters of text", "response.input", eventId);
        }
        context.add(new ContextItem.Message(switch (m.role()) {
          case SYSTEM -> ChatMessage.system(m.text());
          case USER -> ChatMessage.user(m.text());
          case ASSISTANT -> ChatMessage.assistant(m.text());
        }));
      } else if ("function_call".equals(type) || "function_call_output".equals(type)) {
        refused.add(new RealtimeProtocolException("unsupported_value", "a response's input takes messages and "
            + "item references; a " + type + " is not supported there (its call and result stay in the "
            + "conversation): this one reads the conversation", param + ".type", eventId));
        return Optional.empty();
      } else {
        throw new RealtimeProtocolException("invalid_value", "an input item is a message or an item_reference, got "
            + type, param + ".type", eventId);
      }
    }
    return Optional.of(context);
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
