package io.parley.api.engines;

import io.parley.core.ParleyException;
import io.parley.core.ParleyException.Reason;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.Tool;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.llm.ToolChoice;
import io.parley.inference.stt.Transcript;
import io.parley.inference.tts.TtsVoice;
import io.parley.inference.vision.Detection;
import io.parley.inference.vision.Detections;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The frames between a node and its engine worker processes, over a Unix domain socket. A frame:
 * {@code int length} (of what follows), {@code byte type}, {@code long call} (the call it belongs
 * to; 0 for the worker's hello), {@code int headerLength}, a JSON header (UTF-8), then the bulk
 * payload (audio samples, pixels) as raw little-endian bytes, so audio and photos are never turned
 * into text.
 *
 * <p>A call is one request from the node ({@link Type#TRANSCRIBE}, {@link Type#CHAT},
 * {@link Type#SPEAK}, {@link Type#DETECT}), answered by the worker with any number of progress frames
 * and exactly one last frame ({@link Type#TRANSCRIPT}, {@link Type#DONE}, {@link Type#DETECTIONS} or
 * {@link Type#FAILED}). {@link Type#CANCEL} from the node asks the worker to stop a call early.
 * {@link Type#ECHO} is answered with itself: the round trip of a frame, nothing computed (benchmarks).
 */
final class EngineWire {

  /**
   * Frames larger than this are refused: 4 hours of 16 kHz float samples (PARLEY_TRANSCRIBE_MAX_SECONDS
   * at its most) fit, with room for the header.
   */
  static final int MAX_FRAME = 1 << 30;

  enum Type {
    /** Worker to node, once connected: which engines it serves, with their names and voices. */
    HELLO,
    /** Node to worker: 16 kHz float samples to transcribe; header {@code language}, {@code prompt}, {@code timed}. */
    TRANSCRIBE,
    /** The transcript: header {@code text}, {@code language}, {@code computeNanos}, {@code segments}. */
    TRANSCRIPT,
    /** Node to worker: a chat completion; header: the request. */
    CHAT,
    /** A piece of an answer's text: header {@code text}. */
    PIECE,
    /** A tool call begins: header {@code index}, {@code id}, {@code name}. */
    TOOL_STARTED,
    /** A piece of a tool call's arguments: header {@code index}, {@code delta}. */
    TOOL_ARGUMENTS,
    /** A tool call is complete: header {@code index}, {@code id}, {@code name}, {@code arguments}. */
    TOOL_DONE,
    /** A chat completion or a synthesis ended: header {@code finish} (chat). */
    DONE,
    /** Node to worker: text to speak; header {@code text}, {@code voice}, {@code speed}. */
    SPEAK,
    /** Speech: PCM16 samples at the engine's rate. */
    AUDIO,
    /** Node to worker: an RGB photo; header {@code width}, {@code height}; payload the pixels. */
    DETECT,
    /** The detections: header as {@link #detections}. */
    DETECTIONS,
    /** Node to worker: stop the call. */
    CANCEL,
    /** The call failed: header {@code reason}, {@code code}, {@code message}. */
    FAILED,
    /** Node to worker and back unchanged, header and payload: one frame's round trip. */
    ECHO
  }

  record Frame(Type type, long call, JsonObject header, byte[] payload) {
    Frame(Type type, long call, JsonObject header) {
      this(type, call, header, EMPTY);
    }
  }

  private static final byte[] EMPTY = new byte[0];

  private EngineWire() {}

  /**
   * A buffered reader of {@code channel} (blocking) that reads while another thread writes: the
   * streams of {@link java.nio.channels.Channels} take the channel's one blocking lock for both.
   */
  static DataInputStream input(SocketChannel channel) {
    return new DataInputStream(new BufferedInputStream(new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
      }
    }, 1 << 16));
  }

  /** A buffered writer of {@code channel} (blocking), see {@link #input}. */
  static DataOutputStream output(SocketChannel channel) {
    return new DataOutputStream(new BufferedOutputStream(new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
          channel.write(buf);
        }
      }
    }, 1 << 16));
  }

  /** Writes {@code f}; the caller holds the stream's lock and flushes. */
  static void write(DataOutputStream out, Frame f) throws IOException {
    byte[] header = f.header().encode().getBytes(StandardCharsets.UTF_8);
    out.writeInt(1 + 8 + 4 + header.length + f.payload().length);
    out.writeByte(f.type().ordinal());
    out.writeLong(f.call());
    out.writeInt(header.length);
    out.write(header);
    out.write(f.payload());
  }

  /** The next frame, or empty at the end of the stream; fails on a frame that cannot be one. */
  static Optional<Frame> read(DataInputStream in) throws IOException {
    int length;
    try {
      length = in.readInt();
    } catch (EOFException end) {
      return Optional.empty();
    }
    if (length < 13 || length > MAX_FRAME) {
      throw new IOException("an engine frame of " + length + " bytes");
    }
    int type = in.readUnsignedByte();
    if (type >= Type.values().length) {
      throw new IOException("an engine frame of unknown type " + type);
    }
    long call = in.readLong();
    int headerLength = in.readInt();
    if (headerLength < 0 || headerLength > length - 13) {
      throw new IOException("an engine frame header of " + headerLength + " bytes in a frame of " + length);
    }
    byte[] header = new byte[headerLength];
    in.readFully(header);
    byte[] payload = new byte[length - 13 - headerLength];
    in.readFully(payload);
    return Optional.of(new Frame(Type.values()[type], call,
        new JsonObject(new String(header, StandardCharsets.UTF_8)), payload));
  }

  static byte[] floats(float[] samples) {
    ByteBuffer b = ByteBuffer.allocate(samples.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(samples);
    return b.array();
  }

  static float[] floats(byte[] bytes) {
    float[] out = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  static byte[] shorts(short[] samples) {
    ByteBuffer b = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.asShortBuffer().put(samples);
    return b.array();
  }

  static short[] shorts(byte[] bytes) {
    short[] out = new short[bytes.length / 2];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
    return out;
  }

  static JsonObject failure(Throwable error) {
    ParleyException pe = error instanceof ParleyException p ? p : null;
    return new JsonObject()
        .put("reason", pe == null ? Reason.INTERNAL.name() : pe.reason().name())
        .put("code", pe == null ? null : pe.code().orElse(null))
        .put("message", pe == null ? String.valueOf(error) : pe.getMessage());
  }

  static ParleyException failure(JsonObject h) {
    Reason reason = Reason.valueOf(h.getString("reason", Reason.INTERNAL.name()));
    String code = h.getString("code");
    String message = h.getString("message", "the engine failed");
    return code == null ? new ParleyException(reason, message) : new ParleyException(reason, code, message);
  }

  static JsonObject transcript(Transcript t) {
    JsonArray segments = new JsonArray();
    for (Transcript.Segment s : t.segments()) {
      segments.add(new JsonArray().add(s.start()).add(s.end()).add(s.text()));
    }
    return new JsonObject().put("text", t.text()).put("language", t.language())
        .put("computeNanos", t.compute().toNanos()).put("segments", segments);
  }

  static Transcript transcript(JsonObject h) {
    List<Transcript.Segment> segments = new ArrayList<>();
    for (Object o : h.getJsonArray("segments", new JsonArray())) {
      JsonArray s = (JsonArray) o;
      segments.add(new Transcript.Segment(s.getDouble(0), s.getDouble(1), s.getString(2)));
    }
    return new Transcript(h.getString("text"), h.getString("language"),
        Duration.ofNanos(h.getLong("computeNanos", 0L)), segments);
  }

  static JsonObject chatRequest(ChatRequest r) {
    JsonArray messages = new JsonArray();
    for (ChatMessage m : r.messages()) {
      JsonArray calls = new JsonArray();
      m.toolCalls().forEach(c -> calls.add(toolCall(c)));
      messages.add(new JsonObject().put("role", m.role()).put("content", m.content()).put("toolCalls", calls)
          .put("toolCallId", m.toolCallId().orElse(null)));
    }
    JsonArray tools = new JsonArray();
    r.tools().forEach(t -> tools.add(new JsonObject().put("name", t.name()).put("description", t.description())
        .put("parameters", t.parameters())));
    return new JsonObject().put("messages", messages).put("maxTokens", r.maxTokens())
        .put("temperature", r.temperature()).put("tools", tools)
        .put("toolChoice", r.toolChoice().mode().name()).put("toolChoiceFunction", r.toolChoice().function().orElse(null));
  }

  static ChatRequest chatRequest(JsonObject h) {
    List<ChatMessage> messages = new ArrayList<>();
    for (Object o : h.getJsonArray("messages")) {
      JsonObject m = (JsonObject) o;
      List<ToolCall> calls = new ArrayList<>();
      for (Object c : m.getJsonArray("toolCalls", new JsonArray())) {
        calls.add(toolCall((JsonObject) c));
      }
      messages.add(new ChatMessage(m.getString("role"), m.getString("content"), calls,
          Optional.ofNullable(m.getString("toolCallId"))));
    }
    List<Tool> tools = new ArrayList<>();
    for (Object o : h.getJsonArray("tools", new JsonArray())) {
      JsonObject t = (JsonObject) o;
      tools.add(new Tool(t.getString("name"), t.getString("description"), t.getJsonObject("parameters")));
    }
    ToolChoice.Mode mode = ToolChoice.Mode.valueOf(h.getString("toolChoice", "AUTO"));
    ToolChoice choice = mode == ToolChoice.Mode.FUNCTION ? ToolChoice.function(h.getString("toolChoiceFunction"))
        : new ToolChoice(mode, Optional.empty());
    return new ChatRequest(messages, h.getInteger("maxTokens"), h.getDouble("temperature"), tools, choice);
  }

  static JsonObject toolCall(ToolCall c) {
    return new JsonObject().put("id", c.id()).put("name", c.name()).put("arguments", c.arguments());
  }

  static ToolCall toolCall(JsonObject c) {
    return new ToolCall(c.getString("id"), c.getString("name"), c.getString("arguments"));
  }

  static JsonObject detections(Detections d) {
    JsonArray objects = new JsonArray();
    for (Detection o : d.objects()) {
      objects.add(new JsonArray().add(o.label()).add(o.confidence()).add(o.x1()).add(o.y1()).add(o.x2()).add(o.y2()));
    }
    Detections.Timings t = d.timings();
    return new JsonObject().put("objects", objects).put("width", d.width()).put("height", d.height())
        .put("model", d.model()).put("modelVersion", d.modelVersion())
        .put("timings", new JsonArray().add(t.queuedMicros()).add(t.preprocessMicros()).add(t.inferenceMicros())
            .add(t.postprocessMicros()).add(t.batchSize()));
  }

  static Detections detections(JsonObject h) {
    List<Detection> objects = new ArrayList<>();
    for (Object o : h.getJsonArray("objects")) {
      JsonArray a = (JsonArray) o;
      objects.add(new Detection(a.getString(0), a.getFloat(1), a.getFloat(2), a.getFloat(3), a.getFloat(4),
          a.getFloat(5)));
    }
    JsonArray t = h.getJsonArray("timings");
    return new Detections(objects, h.getInteger("width"), h.getInteger("height"), h.getString("model"),
        h.getString("modelVersion"), new Detections.Timings(t.getLong(0), t.getLong(1), t.getLong(2), t.getLong(3),
            t.getInteger(4)));
  }

  static JsonArray voices(List<TtsVoice> voices) {
    JsonArray out = new JsonArray();
    voices.forEach(v -> out.add(new JsonObject().put("name", v.name()).put("languages", new JsonArray(v.languages()))
        .put("description", v.description())));
    return out;
  }

  static List<TtsVoice> voices(JsonArray a) {
    List<TtsVoice> out = new ArrayList<>();
    for (Object o : a) {
      JsonObject v = (JsonObject) o;
      List<String> languages = new ArrayList<>();
      v.getJsonArray("languages").forEach(l -> languages.add((String) l));
      out.add(new TtsVoice(v.getString("name"), languages, v.getString("description")));
    }
    return out;
  }
}
