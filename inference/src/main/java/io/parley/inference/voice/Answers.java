package io.parley.inference.voice;

import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.ChatRequest;
import io.parley.inference.llm.ToolCall;
import io.parley.inference.tts.SpeechStyle;
import io.parley.inference.tts.TextToSpeech;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A session's answers, one at a time: each one's rounds over the conversation (in the answer's
 * language, with the personal context looked up for it), its voice, its {@link Responder}, its
 * {@code response.done} once the answer is stored, and its cancellation (kept as far as it was
 * heard, through {@link Truncation}). On the session's context, like {@link VoiceSession}.
 */
final class Answers {

  private final VoiceClock clock;
  private final Context context;
  private final VoiceEngines engines;
  private final Consumer<VoiceEvent> events;
  private final ConversationMemory memory;
  private final ItemIds items;
  private final VoiceSession.OutputConverters fromTts;
  private final Supplier<VoiceSession.Chunker> chunkers;
  private final Truncation truncation;
  private PromptContext promptContext = PromptContext.NONE;
  private int outputRate = 24_000;
  /** The server's tools for this session's user. */
  private ToolRunner serverTools = ToolRunner.NONE;
  /** The answer in progress. */
  private Responder active;
  /** Whether it is out of band: answered, never added to the conversation. */
  private boolean activeApart;
  /** Starts the answer asked for while {@link #active} plays (at most one waits), or null. */
  private Runnable queued;
  private boolean closed;

  Answers(VoiceClock clock, Context context, VoiceEngines engines, Consumer<VoiceEvent> events,
          ConversationMemory memory, ItemIds items, VoiceSession.OutputConverters fromTts,
          Supplier<VoiceSession.Chunker> chunkers, Truncation truncation) {
    this.clock = clock;
    this.context = context;
    this.engines = engines;
    this.events = events;
    this.memory = memory;
    this.items = items;
    this.fromTts = fromTts;
    this.chunkers = chunkers;
    this.truncation = truncation;
  }

  void promptContext(PromptContext c) {
    this.promptContext = Objects.requireNonNull(c, "promptContext");
  }

  void outputRate(int rate) {
    this.outputRate = rate;
  }

  void serverTools(ToolRunner runner) {
    this.serverTools = runner;
  }

  boolean responding() {
    return active != null;
  }

  /**
   * A new answer in {@code language} made with {@code settings} (read at each of its rounds: the
   * session's, or a response.create's own), unless one is in progress or no chat model is set up.
   * An answer {@code apart} (out of band) reads the conversation but is never added to it: not
   * stored, not in later prompts, not an item others follow, and neither are its tool rounds. With
   * {@code input}, it reads that context instead of the conversation.
   */
  void create(TurnTimings timings, Supplier<VoiceSettings> settings, Optional<String> language, boolean apart,
              Optional<List<ContextItem>> input) {
    if (closed) {
      return;
    }
    if (active != null) {
      events.accept(new VoiceEvent.Error(VoiceEvent.Code.RESPONSE_IN_PROGRESS,
          "a response is in progress; cancel it first"));
      return;
    }
    if (engines.chat().isEmpty()) {
      events.accept(new VoiceEvent.Error(VoiceEvent.Code.MODEL_NOT_CONFIGURED, engines.chatMissing()));
      return;
    }
    VoiceSettings s = settings.get();
    String itemId = items.newItem();
    ResponseRounds rounds = new ResponseRounds(s.tools(), serverTools, dialogue(settings, language, itemId, apart,
        input.map(memory::context)),
        items::newItem);
    Optional<TextToSpeech> voice = engines.voice(language);
    VoiceSession.Converter toOutput = voice.map(v -> fromTts.from(v.sampleRate())).orElse(pcm -> pcm);
    Responder r = new Responder(items.newResponse(), itemId,
        timings == null ? new TurnTimings(clock.nanoTime()) : timings, clock, context, engines, engines.chat().get(),
        rounds, voice, toOutput, chunkers.get(), outputRate, s.audioOut(), speech(s.speech(), voice, language),
        events, (responder, status, reason) -> {
          if (active == responder) {
            // Stored before response.done: a client that reconnects on response.done reads it.
            String text = responder.lastRoundText();
            if (!apart) {
              // How it was spoken, for a later truncate: when this last round is all it said.
              memory.assistant(responder.itemId, text, false,
                  text.equals(responder.transcript()) ? responder.spoken() : null);
            }
            memory.stored().onComplete(ar -> context.runOnContext(v -> {
              if (active == responder) {
                done(responder, status, reason);
              }
            }));
          }
        });
    active = r;
    activeApart = apart;
    events.accept(new VoiceEvent.ResponseStarted(r.id, r.itemId));
    // Cancelled while the context is looked up: never started.
    rounds.prepare(promptContext, context, () -> active == r && !closed, r::start);
  }

  /**
   * Runs {@code start} (which creates an answer) now when no answer is in progress, else once the one
   * in progress has ended: a user turn that ended while an answer played (and did not cut it) is
   * answered after it. At most one waits: a later one takes its place, and since an answer reads
   * the whole conversation when it starts, that one answer answers every turn that waited.
   */
  void next(Runnable start) {
    if (active == null) {
      start.run();
    } else {
      queued = start;
    }
  }

  /** response.cancel, or a barge-in. The answer is stored as far as it was heard. */
  void cancel(VoiceEvent.Reason reason) {
    Responder r = active;
    if (r == null || r.ended()) {
      return; // none, or one that has ended and waits for its store to say response.done
    }
    r.interrupt();
    long playedMs = r.playedMs();
    boolean apart = activeApart;
    done(r, VoiceEvent.Status.CANCELLED, reason);
    if (!apart) {
      truncation.cut(r.itemId, playedMs, r.spoken());
    }
  }

  /** The session ended: an answer in progress stops and is stored as far as it was heard. */
  void close() {
    closed = true;
    queued = null;
    Responder r = active;
    active = null;
    if (r != null && !r.ended()) {
      r.interrupt();
      if (!activeApart) {
        // Stored as far as it was heard (the server's playout clock), as a barge-in stores it: the
        // conversation, and a session that resumes it, know what the user heard of the answer.
        memory.assistant(r.itemId, r.heardText(r.playedMs()), true, r.spoken());
      }
    }
  }

  private void done(Responder r, VoiceEvent.Status status, VoiceEvent.Reason reason) {
    active = null;
    r.timings.done(clock.nanoTime());
    r.ensureOutput();
    events.accept(new VoiceEvent.ResponseDone(r.id, r.itemId, status, reason, r.transcript(), r.timings,
        r.messageIndex(), r.functionCalls()));
    if (!activeApart) {
      items.answered(r.itemId);
    }
    Runnable start = queued;
    queued = null;
    if (start != null) {
      context.runOnContext(v -> start.run()); // after this answer's events
    }
  }

  /**
   * The conversation as the rounds of answer {@code itemId} see it: the history ({@code given}: a
   * context of its own) under the answer's instructions and language. Its tool rounds follow the
   * context in its own list where the prompt does not read them from the conversation (an answer
   * {@code apart}, or with a context of its own), and join the conversation unless it is apart.
   */
  private ResponseRounds.Dialogue dialogue(Supplier<VoiceSettings> settings, Optional<String> language,
                                           String itemId, boolean apart, Optional<List<ChatMessage>> given) {
    List<ChatMessage> ownRounds = new ArrayList<>();
    boolean keepOwn = apart || given.isPresent();
    return new ResponseRounds.Dialogue() {
      @Override
      public ChatRequest request(String personal) {
        VoiceSettings s = settings.get();
        List<ChatMessage> messages = new ArrayList<>(given.isPresent()
            ? ConversationMemory.prompt(s.instructions(), personal, language, given.get())
            : memory.prompt(s.instructions(), personal, language, s.contextMessages()));
        messages.addAll(ownRounds);
        return new ChatRequest(messages, s.maxTokens(), s.temperature());
      }

      @Override
      public String lastUserText() {
        return given.map(ConversationMemory::lastUserText).orElseGet(memory::lastUserText);
      }

      @Override
      public void called(String text, List<ToolCall> calls) {
        if (keepOwn) {
          ownRounds.add(ChatMessage.assistant(text, calls));
        }
        if (!apart) {
          memory.assistantCalls(itemId, text, calls);
        }
      }

      @Override
      public void result(String callId, String output) {
        if (keepOwn) {
          ownRounds.add(ChatMessage.tool(callId, output));
        }
        if (!apart) {
          memory.toolResult(null, callId, output); // a server tool's: no item of its own
        }
      }
    };
  }

  /**
   * How an answer in {@code language} is spoken by {@code voice}: the session's voice when the client
   * chose one, else the engine's voice for that language (eSpeak NG's Spanish for Spanish), at the
   * session's speed.
   */
  private static SpeechStyle speech(SpeechStyle chosen, Optional<TextToSpeech> voice, Optional<String> language) {
    if (chosen.voice() != null || voice.isEmpty() || language.isEmpty()) {
      return chosen;
    }
    return voice.get().voiceFor(language.get()).map(v -> chosen.withVoice(v.name())).orElse(chosen);
  }
}
