package io.parley.api.engines;

import io.parley.api.assistant.VoiceOptions;
import io.parley.api.assistant.VoiceServices.Slot;
import io.parley.api.engines.EngineWire.Frame;
import io.parley.api.engines.EngineWire.Type;
import io.parley.api.meals.VisionOptions;
import io.parley.core.config.ParleyConfig;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.stt.Transcript;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.vision.ObjectDetector;
import io.parley.inference.vision.RgbImage;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine worker process: {@code EngineWorker GROUP SOCKET}. Reads the node's settings from its
 * environment (the node passes its own), opens the engines of its {@link EngineGroup} in this JVM,
 * connects to the node's Unix socket, says {@link Type#HELLO} with what it serves, and then answers
 * calls until the node closes the socket, when it exits. A native crash here ends this process and
 * the calls in it; the node starts another.
 */
public final class EngineWorker {

  private static final Logger LOG = LoggerFactory.getLogger(EngineWorker.class);

  private final Slot<SpeechToText> stt;
  private final Slot<TextToSpeech> tts;
  private final Slot<ChatModel> chat;
  private final Slot<ObjectDetector> detector;
  private final ExecutorService sttPool;
  private final ExecutorService ttsPool;
  private final Map<Long, Runnable> cancels = new ConcurrentHashMap<>();
  private DataOutputStream out;

  private EngineWorker(EngineGroup group, VoiceOptions voice, VisionOptions vision, Path models) {
    LocalEngines engines = new LocalEngines(voice, vision, models);
    String none = "not served by the " + group.label() + " worker";
    stt = group == EngineGroup.SPEECH ? engines.speechToText() : Slot.missing(none);
    tts = group == EngineGroup.SPEECH ? engines.textToSpeech() : Slot.missing(none);
    chat = group == EngineGroup.CHAT ? engines.llama() : Slot.missing(none);
    detector = group == EngineGroup.VISION ? engines.detector() : Slot.missing(none);
    sttPool = Executors.newFixedThreadPool(voice.stt().workers(), Thread.ofPlatform().name("parley-stt-", 0).factory());
    ttsPool = Executors.newFixedThreadPool(voice.tts().workers(), Thread.ofPlatform().name("parley-tts-", 0).factory());
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: EngineWorker speech|chat|vision SOCKET");
      System.exit(2);
    }
    EngineGroup group = EngineGroup.valueOf(args[0].toUpperCase(java.util.Locale.ROOT));
    io.parley.api.LogSetup.configureForWorker();
    ParleyConfig config = ParleyConfig.fromEnvironment();
    EngineWorker worker = new EngineWorker(group, VoiceOptions.from(config.source()),
        VisionOptions.from(config.source()), config.models());
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(Path.of(args[1])));
      worker.serve(EngineWire.input(channel), EngineWire.output(channel));
    }
    // The node closed the socket (it stops, or gave up on this worker): nothing is left to serve.
    Runtime.getRuntime().halt(0);
  }

  private void serve(DataInputStream in, DataOutputStream out) throws IOException {
    this.out = out;
    send(new Frame(Type.HELLO, 0, hello()));
    Optional<Frame> next;
    while ((next = EngineWire.read(in)).isPresent()) {
      Frame f = next.get();
      try {
        dispatch(f);
      } catch (RuntimeException e) {
        fail(f.call(), e);
      }
    }
  }

  private JsonObject hello() {
    JsonObject h = new JsonObject().put("pid", ProcessHandle.current().pid());
    h.put("stt", stt.engine().map(s -> new JsonObject().put("model", s.model()).put("multilingual", s.multilingual()))
        .orElse(missing(stt)));
    h.put("tts", tts.engine().map(t -> new JsonObject().put("sampleRate", t.sampleRate()).put("voice", t.voice())
        .put("voices", EngineWire.voices(t.voices()))).orElse(missing(tts)));
    h.put("chat", chat.engine().map(c -> new JsonObject().put("model", c.model())).orElse(missing(chat)));
    h.put("vision", detector.engine().map(d -> new JsonObject().put("model", d.model())
        .put("modelVersion", d.modelVersion())).orElse(missing(detector)));
    return h;
  }

  private static JsonObject missing(Slot<?> slot) {
    return new JsonObject().put("missing", slot.missing());
  }

  private void dispatch(Frame f) {
    JsonObject h = f.header();
    long call = f.call();
    switch (f.type()) {
      case TRANSCRIBE -> {
        SpeechToText engine = stt.engine().orElseThrow();
        float[] samples = EngineWire.floats(f.payload());
        Optional<String> language = Optional.ofNullable(h.getString("language"));
        String prompt = h.getString("prompt");
        boolean timed = h.getBoolean("timed", false);
        sttPool.execute(() -> {
          try {
            Transcript t = timed ? engine.transcribeTimed(samples, language) : engine.transcribe(samples, language, prompt);
            send(new Frame(Type.TRANSCRIPT, call, EngineWire.transcript(t)));
          } catch (RuntimeException | Error e) { // every call is answered, also when an engine breaks
            fail(call, e);
          }
        });
      }
      case CHAT -> {
        ChatModel.Completion c = chat.engine().orElseThrow().stream(EngineWire.chatRequest(h), chatSink(call));
        cancels.put(call, c::cancel);
        c.finished().onComplete(ar -> cancels.remove(call));
      }
      case SPEAK -> {
        TextToSpeech engine = tts.engine().orElseThrow();
        AtomicBoolean cancelled = new AtomicBoolean();
        cancels.put(call, () -> cancelled.set(true));
        SpeechStyle style = new SpeechStyle(h.getString("voice"), h.getDouble("speed", 1.0));
        ttsPool.execute(() -> {
          try {
            engine.synthesize(h.getString("text"), style,
                samples -> send(new Frame(Type.AUDIO, call, new JsonObject(), EngineWire.shorts(samples))), cancelled::get);
            send(new Frame(Type.DONE, call, new JsonObject()));
          } catch (RuntimeException | Error e) { // every call is answered, also when an engine breaks
            fail(call, e);
          } finally {
            cancels.remove(call);
          }
        });
      }
      case DETECT -> detector.engine().orElseThrow()
          .detect(new RgbImage(h.getInteger("width"), h.getInteger("height"), f.payload()))
          .onComplete(ar -> {
            if (ar.succeeded()) {
              send(new Frame(Type.DETECTIONS, call, EngineWire.detections(ar.result())));
            } else {
              fail(call, ar.cause());
            }
          });
      case CANCEL -> Optional.ofNullable(cancels.get(call)).ifPresent(Runnable::run);
      case ECHO -> send(f);
      default -> throw new IllegalArgumentException("a worker takes no " + f.type() + " frame");
    }
  }

  private ChatModel.Sink chatSink(long call) {
    return new ChatModel.Sink() {
      @Override
      public void piece(String text) {
        send(new Frame(Type.PIECE, call, new JsonObject().put("text", text)));
      }

      @Override
      public void toolCallStarted(int index, String id, String name) {
        send(new Frame(Type.TOOL_STARTED, call, new JsonObject().put("index", index).put("id", id).put("name", name)));
      }

      @Override
      public void toolCallArguments(int index, String delta) {
        send(new Frame(Type.TOOL_ARGUMENTS, call, new JsonObject().put("index", index).put("delta", delta)));
      }

      @Override
      public void toolCallDone(int index, ToolCall c) {
        send(new Frame(Type.TOOL_DONE, call, EngineWire.toolCall(c).put("index", index)));
      }

      @Override
      public void done(String finishReason) {
        send(new Frame(Type.DONE, call, new JsonObject().put("finish", finishReason)));
      }

      @Override
      public void failed(Throwable error) {
        fail(call, error);
      }
    };
  }

  private void fail(long call, Throwable error) {
    if (!(error instanceof io.parley.core.ParleyException)) {
      LOG.warn("engine worker: call {} failed", call, error);
    }
    send(new Frame(Type.FAILED, call, EngineWire.failure(error)));
  }

  /** Sends {@code f}; a node that went away ends this process (there is no one left to answer). */
  private void send(Frame f) {
    try {
      synchronized (out) {
        EngineWire.write(out, f);
        out.flush();
      }
    } catch (IOException e) {
      Runtime.getRuntime().halt(0);
    }
  }
}
