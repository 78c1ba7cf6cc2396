package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.stt.SpeechToText;
import io.parley.inference.stt.Transcript;
import io.parley.inference.tts.TextToSpeech;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A {@link VoiceSession} on fake engines and a virtual clock, for scripted timelines. Audio goes in
 * at 16 kHz (no resampling), one 32 ms frame per 32 ms of virtual time, as a client streaming in real
 * time; each frame's speech probability is its first sample: {@link #speech} and {@link #silence}
 * write frames the scripted VAD model scores 0.9 and 0; a negative frame makes the model fail.
 * Before time moves on, the fixture waits until the engines (real threads) have finished what they
 * were given, so the timeline is exact. The chat model answers with {@link #answer}'s pieces, the
 * TTS makes {@link #TTS_SAMPLES_PER_CHAR} samples per character at 16 kHz, speech to text returns
 * {@link #transcript}. Everything the session tells its client lands in {@link #events}, stamped
 * with the virtual time.
 */
final class VoiceFixture implements AutoCloseable {

  static final int RATE = VoiceActivityModel.SAMPLE_RATE;
  static final int FRAME = VoiceActivityModel.FRAME_SAMPLES;
  /** 10 ms of audio per character: a 40-character sentence speaks for 400 ms. */
  static final int TTS_SAMPLES_PER_CHAR = RATE / 100;

  /** One event as the client would see it: its kind, its main value, and when (virtual ms). */
  record Event(String type, String value, long atMs) {}

  final Vertx vertx = Vertx.vertx();
  final Context context = vertx.getOrCreateContext();
  final WorkerExecutor vadWorker = vertx.createSharedWorkerExecutor("fixture-vad", 1);
  final ManualClock clock = new ManualClock();
  /** Jobs handed to the STT and TTS workers whose completion has not been handled yet. */
  final AtomicInteger workInFlight = new AtomicInteger();
  private final WorkerExecutor pool = vertx.createSharedWorkerExecutor("fixture-workers", 2);
  final WorkerExecutor workers = new WorkerExecutor() {
    @Override
    public <T> Future<T> executeBlocking(java.util.concurrent.Callable<T> job, boolean ordered) {
      workInFlight.incrementAndGet();
      Future<T> f = pool.executeBlocking(job, ordered);
      // Registered first, so it runs before the session's own handler: hop once more, to count the
      // job done only after that handler has run.
      f.onComplete(ar -> context.runOnContext(v -> workInFlight.decrementAndGet()));
      return f;
    }

    @Override
    public Future<Void> close() {
      return pool.close();
    }
  };
  final List<Integer> sttCalls = Collections.synchronizedList(new ArrayList<>());
  /** The language each speech-to-text call was asked for (empty: detect). */
  final List<Optional<String>> sttLanguages = Collections.synchronizedList(new ArrayList<>());
  /** The language of each final transcript the session reported. */
  final List<String> transcriptLanguages = Collections.synchronizedList(new ArrayList<>());
  /** The rate of each answer's voice, as the session asked for a converter to the output rate. */
  final List<Integer> voiceRates = Collections.synchronizedList(new ArrayList<>());
  Duration interimEvery = Duration.ZERO;
  final ExecutorService llmExecutor = Executors.newFixedThreadPool(1,
      Thread.ofPlatform().name("fixture-llm").daemon(true).factory());
  final List<Event> events = Collections.synchronizedList(new ArrayList<>());
  final List<ConversationLog.Message> stored = Collections.synchronizedList(new ArrayList<>());
  /** The stored messages by their ids (for deletes and truncates). */
  private final java.util.Map<UUID, ConversationLog.Message> storedIds = new java.util.concurrent.ConcurrentHashMap<>();
  final ScriptedVad vadModel = new ScriptedVad();
  final VadScheduler vad = new VadScheduler(vadModel, vadWorker);
  final AtomicInteger llmActive = new AtomicInteger();
  final AtomicInteger ttsActive = new AtomicInteger();
  volatile boolean failWrites;
  /** While true, writes wait in {@link #heldWrites} until the test completes them. */
  volatile boolean holdWrites;
  final List<io.vertx.core.Promise<UUID>> heldWrites = Collections.synchronizedList(new ArrayList<>());
  volatile String transcript = "hello there";
  /** Whether the speech-to-text model knows languages other than English. */
  volatile boolean multilingual = true;
  /** The language speech to text says it heard (when asked to detect it). */
  volatile String heard = "en";
  volatile List<String> answer = List.of("First sentence is here. ", "Second one follows it.");
  VadSegmenter.Settings segmenting = VadSegmenter.Settings.DEFAULTS;
  Duration bargeIn = Duration.ofMillis(250);
  VoiceSession session;

  /** Scores a frame as its first sample; throws on a negative one. */
  static final class ScriptedVad implements VoiceActivityModel {
    @Override
    public State newState() {
      return () -> {};
    }

    @Override
    public float[] probabilities(List<State> states, List<float[]> frames) {
      float[] out = new float[frames.size()];
      for (int i = 0; i < out.length; i++) {
        float p = frames.get(i)[0];
        if (p < 0) {
          throw new IllegalStateException("scripted VAD failure");
        }
        out[i] = p;
      }
      return out;
    }

    @Override
    public void close() {}
  }

  final ConversationLog log = new ConversationLog() {
    @Override
    public Future<UUID> start(UUID userId, String personality) {
      return Future.succeededFuture(UUID.randomUUID());
    }

    @Override
    public Future<List<Message>> recent(UUID conversationId, int n) {
      return Future.succeededFuture(List.of());
    }

    @Override
    public Future<UUID> append(UUID conversationId, Message message) {
      if (failWrites) {
        return Future.failedFuture(new IllegalStateException("the database is down"));
      }
      UUID id = UUID.randomUUID();
      if (holdWrites) {
        io.vertx.core.Promise<UUID> held = io.vertx.core.Promise.promise();
        heldWrites.add(held);
        return held.future().onSuccess(ignored -> keep(id, message)).map(id);
      }
      keep(id, message);
      return Future.succeededFuture(id);
    }

    @Override
    public Future<Void> deleteMessage(UUID conversationId, UUID messageId) {
      stored.remove(storedIds.remove(messageId));
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> truncateMessage(UUID conversationId, UUID messageId, String content) {
      ConversationLog.Message was = storedIds.get(messageId);
      ConversationLog.Message cut = new ConversationLog.Message(was.role(), content, true, was.toolCalls(),
          was.toolCallId());
      stored.set(stored.indexOf(was), cut);
      storedIds.put(messageId, cut);
      return Future.succeededFuture();
    }

    private void keep(UUID id, ConversationLog.Message message) {
      stored.add(message);
      storedIds.put(id, message);
    }
  };

  final SpeechToText stt = new SpeechToText() {
    @Override
    public Transcript transcribe(float[] samples, Optional<String> language) {
      sttCalls.add(samples.length);
      sttLanguages.add(language);
      return new Transcript(transcript, language.orElse(heard), Duration.ofMillis(1));
    }

    @Override
    public String model() {
      return "fake-stt";
    }

    @Override
    public boolean multilingual() {
      return multilingual;
    }

    @Override
    public void close() {}
  };

  /** What the chat model was asked, in order. */
  final List<ChatRequest> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The tool calls the model makes for a request (after its answer's pieces); none by default. */
  volatile java.util.function.Function<ChatRequest, List<ToolCall>> calls = r -> List.of();

  final ChatModel chat = new ChatModel() {
    @Override
    public Completion stream(ChatRequest request, Sink sink) {
      AtomicBoolean cancelled = new AtomicBoolean();
      Promise<String> finished = Promise.promise();
      requests.add(request);
      List<ToolCall> toolCalls = calls.apply(request);
      List<String> pieces = toolCalls.isEmpty() ? answer : List.of();
      llmActive.incrementAndGet();
      llmExecutor.execute(() -> {
        try {
          if (!toolCalls.isEmpty()) {
            for (int i = 0; i < toolCalls.size(); i++) {
              ToolCall c = toolCalls.get(i);
              sink.toolCallStarted(i, c.id(), c.name());
              sink.toolCallArguments(i, c.arguments());
              sink.toolCallDone(i, c);
            }
            sink.done("tool_calls");
            finished.complete("tool_calls");
            return;
          }
          for (String p : pieces) {
            if (cancelled.get()) {
              sink.done("cancelled");
              finished.complete("cancelled");
              return;
            }
            sink.piece(p);
          }
          sink.done("stop");
          finished.complete("stop");
        } finally {
          llmActive.decrementAndGet();
        }
      });
      return new Completion() {
        @Override
        public void cancel() {
          cancelled.set(true);
        }

        @Override
        public Future<String> finished() {
          return finished.future();
        }
      };
    }

    @Override
    public String model() {
      return "fake-chat";
    }

    @Override
    public void close() {}
  };

  final TextToSpeech tts = new TextToSpeech() {
    @Override
    public int sampleRate() {
      return RATE;
    }

    @Override
    public void synthesize(String text, io.parley.inference.tts.SpeechStyle style, AudioSink sink,
                           BooleanSupplier cancelled) {
      spokenVoices.add(String.valueOf(style.voice()));
      ttsActive.incrementAndGet();
      try {
        if (!cancelled.getAsBoolean()) {
          sink.audio(new short[text.length() * TTS_SAMPLES_PER_CHAR]);
        }
      } finally {
        ttsActive.decrementAndGet();
      }
    }

    @Override
    public String voice() {
      return "fake-tts";
    }

    @Override
    public java.util.List<io.parley.inference.tts.TtsVoice> voices() {
      return java.util.List.of(new io.parley.inference.tts.TtsVoice("fake-tts", java.util.List.of("en"), "fake"),
          new io.parley.inference.tts.TtsVoice("fake-es", java.util.List.of("es"), "fake"));
    }

    @Override
    public void close() {}
  };

  /** The voice of each sentence {@link #tts} spoke ("null": the engine's default). */
  final java.util.List<String> spokenVoices = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
  /** The session's voice and speed (set before {@link #open} or an update). */
  io.parley.inference.tts.SpeechStyle speech = io.parley.inference.tts.SpeechStyle.DEFAULT;

  /** Records what the session tells its client. */
  final java.util.function.Consumer<VoiceEvent> recorder = e -> {
    switch (e) {
      case VoiceEvent.SpeechStarted s -> add("speech_started", Long.toString(s.audioStartMs()));
      case VoiceEvent.SpeechStopped s -> add("speech_stopped", Long.toString(s.audioEndMs()));
      case VoiceEvent.TranscriptFinal t -> {
        transcriptLanguages.add(t.language());
        add("transcript", t.text());
      }
      case VoiceEvent.TranscriptFailed t -> add("transcription_failed", t.message());
      case VoiceEvent.ResponseStarted r -> add("response_started", r.itemId());
      case VoiceEvent.AudioChunk a -> add("audio", Integer.toString(a.pcm().length));
      case VoiceEvent.ResponseDone d -> add("response_done", d.status().name().toLowerCase(java.util.Locale.ROOT)
          + (d.reason() == null ? "" : ":" + d.reason().name().toLowerCase(java.util.Locale.ROOT)));
      case VoiceEvent.Error err -> add("error", err.code().name());
      case VoiceEvent.TurnCommitted c -> { }
      case VoiceEvent.TranscriptDelta d -> { }
      case VoiceEvent.TextDelta d -> { }
      case VoiceEvent.InputBacklog b -> { }
      case VoiceEvent.MessageStarted m -> { }
      case VoiceEvent.FunctionCallStarted f -> add("function_call", f.name());
      case VoiceEvent.FunctionCallArguments f -> { }
      case VoiceEvent.FunctionCallDone f -> add("function_call_done", f.call().arguments());
    }
  };

  private void add(String type, String value) {
    events.add(new Event(type, value, clock.millis()));
  }

  /** Opens the session with server VAD and automatic responses. */
  VoiceFixture open() {
    return open(true);
  }

  VoiceFixture open(boolean createResponse) {
    var engines = new VoiceEngines(Optional.of(vad), null, Optional.of(stt), null, Optional.of(chat), null,
        Optional.of(tts), null, workers, workers, interimEvery, voices)
        .withEndOfTurn(endOfTurn.map(model -> new EndOfTurnScheduler(model, workers)));
    VadSegmenter segmenter = new VadSegmenter(VadSegmenter.Settings.DEFAULTS);
    on(() -> {
      session = new VoiceSession(clock, context, settings(createResponse), engines, recorder, log, UUID.randomUUID(),
          List.of(), pcm -> pcm, rate -> {
            voiceRates.add(rate);
            return pcm -> pcm;
          }, segmenter, SpokenPieces::new);
      session.outputRate(RATE);
      return null;
    });
    return this;
  }

  VoiceSettings settings(boolean createResponse) {
    return new VoiceSettings(true, createResponse, true, bargeIn, "be brief", language, true, 64,
        0.7, 20, segmenting, tools, speech);
  }

  /** The voices by language (set before {@link #open}); {@link #tts} speaks the others. */
  io.parley.inference.tts.VoiceLookup voices = io.parley.inference.tts.VoiceLookup.NONE;

  /** The session's language (set before {@link #open}): empty, the node default, detects it. */
  Optional<String> language = Optional.empty();

  /** The end-of-turn model (set before {@link #open}; run on the counted workers, so settle waits for it). */
  Optional<EndOfTurnScheduler.Model> endOfTurn = Optional.empty();

  /** What the session's answers may call (set before {@link #open}). */
  ToolSettings tools = ToolSettings.NONE;

  /** Runs {@code action} on the session's context and returns its result. */
  <T> T on(Supplier<T> action) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        done.complete(action.get());
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("on the session's context", e);
    }
  }

  void run(Runnable action) {
    on(() -> {
      action.run();
      return null;
    });
  }

  /**
   * Streams {@code ms} of frames whose speech probability is {@code p} (negative: the VAD model
   * fails) in real time: each 32 ms frame arrives once its 32 ms have passed.
   */
  void frames(float p, long ms) {
    short[] frame = new short[FRAME];
    java.util.Arrays.fill(frame, (short) Math.round(p * 32767));
    for (long at = 0; at + FRAME * 1000L / RATE <= ms; at += FRAME * 1000L / RATE) {
      clock.advance(FRAME * 1000L / RATE, this::run);
      run(() -> session.appendAudio(frame.clone()));
      settle();
    }
  }

  void speech(long ms) {
    frames(0.9f, ms);
  }

  void silence(long ms) {
    frames(0f, ms);
  }

  /** Lets {@code ms} of virtual time pass with no input (a client that sends nothing meanwhile). */
  void idle(long ms) {
    settle();
    clock.advance(ms, this::run);
    settle();
  }

  /**
   * Waits (at most 10 s) until the engines have done what they were given and the session has
   * handled their results: the VAD has scored every frame, no STT, TTS or LLM job is in flight, and
   * nothing they queued on the session's context is left.
   */
  void settle() {
    await("the engines idle", () -> on(() -> vad.scored() == vad.submitted() && workInFlight.get() == 0
        && llmActive.get() == 0) && on(() -> vad.scored() == vad.submitted() && workInFlight.get() == 0
        && llmActive.get() == 0));
  }

  List<Event> events(String type) {
    synchronized (events) {
      return events.stream().filter(e -> e.type().equals(type)).toList();
    }
  }

  List<String> types() {
    synchronized (events) {
      return events.stream().filter(e -> !e.type().equals("audio")).map(e -> e.type() + "@" + e.atMs()).toList();
    }
  }

  /** Audio samples sent to the client so far. */
  long audioSent() {
    synchronized (events) {
      return events.stream().filter(e -> e.type().equals("audio")).mapToLong(e -> Long.parseLong(e.value())).sum();
    }
  }

  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as(what + " within 10 s").isTrue();
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    if (session != null) {
      run(session::close);
    }
    llmExecutor.shutdownNow();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("closing Vert.x", e);
    }
  }
}
