package io.parley.inference.voice;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatModel;
import io.parley.inference.llm.ChatRequest;
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
 * A {@link VoiceSession} on fake engines, for tests of its behaviour. Audio goes in at 16 kHz (no
 * resampling) and each 32 ms frame's speech probability is its first sample: {@link #speech} and
 * {@link #silence} write frames the scripted VAD model scores 0.9 and 0; a negative frame makes the
 * model fail. The chat model answers with {@link #answer}'s pieces, the TTS makes
 * {@link #TTS_SAMPLES_PER_CHAR} samples per character at 16 kHz, speech to text returns
 * {@link #transcript}. Everything the session tells its client lands in {@link #events}.
 */
final class VoiceFixture implements AutoCloseable {

  static final int RATE = VoiceActivityModel.SAMPLE_RATE;
  static final int FRAME = VoiceActivityModel.FRAME_SAMPLES;
  /** 10 ms of audio per character: a 40-character sentence speaks for 400 ms. */
  static final int TTS_SAMPLES_PER_CHAR = RATE / 100;

  /** One event as the client would see it: its kind and its main value. */
  record Event(String type, String value) {}

  final Vertx vertx = Vertx.vertx();
  final Context context = vertx.getOrCreateContext();
  final WorkerExecutor vadWorker = vertx.createSharedWorkerExecutor("fixture-vad", 1);
  final WorkerExecutor workers = vertx.createSharedWorkerExecutor("fixture-workers", 2);
  final ExecutorService sttExecutor = Executors.newFixedThreadPool(1,
      Thread.ofPlatform().name("fixture-stt").daemon(true).factory());
  final ExecutorService llmExecutor = Executors.newFixedThreadPool(1,
      Thread.ofPlatform().name("fixture-llm").daemon(true).factory());
  final List<Event> events = Collections.synchronizedList(new ArrayList<>());
  final List<ConversationLog.Message> stored = Collections.synchronizedList(new ArrayList<>());
  final ScriptedVad vadModel = new ScriptedVad();
  final VadScheduler vad = new VadScheduler(vadModel, vadWorker);
  final AtomicInteger llmActive = new AtomicInteger();
  final AtomicInteger ttsActive = new AtomicInteger();
  volatile boolean failWrites;
  volatile String transcript = "hello there";
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
      stored.add(message);
      return Future.succeededFuture(UUID.randomUUID());
    }
  };

  final SpeechToText stt = new SpeechToText() {
    @Override
    public Transcript transcribe(float[] samples, Optional<String> language) {
      return new Transcript(transcript, "en", Duration.ofMillis(1));
    }

    @Override
    public String model() {
      return "fake-stt";
    }

    @Override
    public void close() {}
  };

  final ChatModel chat = new ChatModel() {
    @Override
    public Completion stream(ChatRequest request, Sink sink) {
      AtomicBoolean cancelled = new AtomicBoolean();
      Promise<String> finished = Promise.promise();
      List<String> pieces = answer;
      llmActive.incrementAndGet();
      llmExecutor.execute(() -> {
        try {
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
    public void synthesize(String text, AudioSink sink, BooleanSupplier cancelled) {
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
    public void close() {}
  };

  /** Recording adapter of the session's callbacks. */
  final VoiceSession.Events recorder = new VoiceSession.Events() {
    @Override
    public void speechStarted(String itemId, long audioStartMs) {
      events.add(new Event("speech_started", Long.toString(audioStartMs)));
    }

    @Override
    public void speechStopped(String itemId, long audioEndMs) {
      events.add(new Event("speech_stopped", Long.toString(audioEndMs)));
    }

    @Override
    public void committed(String itemId, String previousItemId) {}

    @Override
    public void userItemCreated(String itemId, String previousItemId, String text) {}

    @Override
    public void transcriptionDelta(String itemId, String delta) {}

    @Override
    public void transcriptionCompleted(String itemId, String text) {
      events.add(new Event("transcript", text));
    }

    @Override
    public void transcriptionFailed(String itemId, String message) {
      events.add(new Event("transcription_failed", message));
    }

    @Override
    public void responseCreated(String responseId, String itemId) {
      events.add(new Event("response_started", responseId));
    }

    @Override
    public void textDelta(String responseId, String itemId, String delta) {}

    @Override
    public void audioDelta(String responseId, String itemId, short[] pcm) {
      events.add(new Event("audio", Integer.toString(pcm.length)));
    }

    @Override
    public void responseDone(String responseId, String itemId, String status, String reason, String text,
                             TurnTimings timings) {
      events.add(new Event("response_done", status + (reason == null ? "" : ":" + reason)));
    }

    @Override
    public void error(String code, String message) {
      events.add(new Event("error", code));
    }
  };

  /** Opens the session with server VAD and automatic responses. */
  VoiceFixture open() {
    return open(true);
  }

  VoiceFixture open(boolean createResponse) {
    var engines = new VoiceSession.Engines(Optional.of(vad), null, Optional.of(stt), null, Optional.of(chat), null,
        Optional.of(tts), null, workers, sttExecutor, workers, Duration.ofSeconds(10), segmenting.preRoll(),
        segmenting.minSpeech());
    VadSegmenter segmenter = new VadSegmenter(segmenting);
    on(() -> {
      session = new VoiceSession(vertx, context, settings(createResponse), engines, recorder, log, UUID.randomUUID(),
          List.of(), pcm -> pcm, pcm -> pcm, new VoiceSession.Segmenter() {
            @Override
            public List<io.parley.inference.vad.VadEvent> accept(float[] frame, float probability) {
              return segmenter.accept(frame, probability);
            }

            @Override
            public void update(VadSegmenter.Settings settings) {
              segmenter.update(settings);
            }
          }, SpokenPieces::new);
      session.outputRate(RATE);
      return null;
    });
    return this;
  }

  VoiceSession.Settings settings(boolean createResponse) {
    return new VoiceSession.Settings(true, createResponse, true, bargeIn, "be brief", Optional.of("en"), true, 64,
        0.7, 20);
  }

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

  /** {@code ms} of frames whose speech probability is {@code p} (negative: the VAD model fails). */
  void frames(float p, long ms) {
    int frames = (int) (ms * RATE / 1000 / FRAME);
    short[] pcm = new short[frames * FRAME];
    java.util.Arrays.fill(pcm, (short) Math.round(p * 32767));
    on(() -> {
      session.appendAudio(pcm);
      return null;
    });
  }

  void speech(long ms) {
    frames(0.9f, ms);
  }

  void silence(long ms) {
    frames(0f, ms);
  }

  /** Waits (polling, at most 10 s) until every frame handed to the VAD has been scored and delivered. */
  void vadDrained() {
    await("the VAD caught up", () -> vad.scored() == vad.submitted()
        && on(() -> true)); // one more hop: deliveries queued on the context have run
  }

  List<Event> events(String type) {
    synchronized (events) {
      return events.stream().filter(e -> e.type().equals(type)).toList();
    }
  }

  List<String> types() {
    synchronized (events) {
      return events.stream().map(Event::type).filter(t -> !t.equals("audio")).toList();
    }
  }

  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as(what + " within 10 s").isTrue();
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    if (session != null) {
      on(() -> {
        session.close();
        return null;
      });
    }
    sttExecutor.shutdownNow();
    llmExecutor.shutdownNow();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("closing Vert.x", e);
    }
  }
}
