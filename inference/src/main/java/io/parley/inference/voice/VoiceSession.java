package io.parley.inference.voice;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.stt.Languages;
import io.parley.inference.vad.VadSegmenter;
import io.parley.inference.vad.VoiceActivityModel;
import io.vertx.core.Context;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One assistant session: audio in, {@link VoiceEvent}s out. Confined to one Vert.x context (its
 * WebSocket's): every field is touched only there; engine work runs on the named workers and comes
 * back with {@code runOnContext}. Time comes from a {@link VoiceClock}.
 *
 * <p>The stages: what is heard ({@link Hearing}: the input in {@link InputStage}, framing, the VAD
 * and the segmenter, or the manual buffer without server VAD; turn detection and the barge-in
 * policy in {@link TurnDetector}; transcription in {@link TranscriptionStage}); one answer at a time
 * ({@link Responder}: LLM, sentences, TTS, audio paced to the playout clock by its
 * {@link AudioPacer}; its requests and tool calls in {@link ResponseRounds}); what is kept of a
 * cancelled answer ({@link Truncation}); and the conversation
 * ({@link ConversationMemory}, its items' ids and order in {@link ItemIds}). Interruption travels
 * outside the data path: an interrupted responder drops whatever of it arrives later. This class
 * wires them together; {@link Answers} keeps the one answer in progress.
 */
public final class VoiceSession {

  /** Longest audio kept for a manual commit (Whisper's window). */
  public static final int MAX_COMMIT_SAMPLES = 30 * VoiceActivityModel.SAMPLE_RATE;

  /** Cuts one answer's streaming text into speakable pieces (see {@link SpokenPieces}). */
  public interface Chunker {
    List<String> add(String text);

    List<String> flush();
  }

  /** A streaming converter of PCM16 between two rates. */
  public interface Converter {
    short[] process(short[] in);
  }

  /** Makes a converter from a voice's rate to the session's output rate (one per answer). */
  public interface OutputConverters {
    Converter from(int rate);
  }

  private final VoiceEngines engines;
  private final ConversationMemory memory;
  private final Hearing hearing;
  private final Truncation truncation;
  private final Answers answers;
  private final ItemIds items = new ItemIds();
  private VoiceSettings settings;
  /** The language the user last spoke in (detected by Whisper), if known. */
  private Optional<String> heardLanguage = Optional.empty();
  private boolean closed;

  public VoiceSession(VoiceClock clock, Context context, VoiceSettings settings, VoiceEngines engines,
                      Consumer<VoiceEvent> events, ConversationLog log,
                      UUID conversationId, List<ChatMessage> history, Converter toVad, OutputConverters fromTts,
                      VadSegmenter segmenter, Supplier<Chunker> chunkers) {
    this.settings = settings;
    this.engines = engines;
    this.memory = new ConversationMemory(conversationId, log, history, context, events);
    this.hearing = new Hearing(clock, context, engines, events, items, this::settings, toVad, segmenter,
        conversationId, new Hearing.Listener() {
          @Override
          public boolean answering() {
            return answers.responding();
          }

          @Override
          public void bargeIn() {
            cancelResponse(VoiceEvent.Reason.TURN_DETECTED);
          }

          @Override
          public void spoken(String item, String text, String language, TurnTimings timings) {
            VoiceSession.this.spoken(item, text, language, timings);
          }
        });
    this.truncation = new Truncation(clock, (item, heard, spoken) -> memory.assistant(item, heard, true, spoken));
    this.answers = new Answers(clock, context, engines, events, memory, items, fromTts, chunkers, truncation);
  }

  public VoiceSettings settings() {
    return settings;
  }

  /**
   * New settings; new turn detection applies from the next frame on, a new language from the next
   * transcription on.
   */
  public void update(VoiceSettings s) {
    hearing.update(settings, s);
    this.settings = s;
  }

  /**
   * Refuses a language this session's speech to text cannot take (another than English for an
   * English-only model), before a client's update is applied.
   *
   * @throws io.parley.core.ParleyException INVALID naming the model and the fix
   */
  public void checkLanguage(Optional<String> language) {
    engines.stt().ifPresent(stt -> Languages.requireSupported(language, stt.multilingual(), stt.model()));
  }

  /**
   * The language answers are in: the session's, when set; else the one the user last spoke in, as
   * Whisper detected it; empty before anything was heard.
   */
  public Optional<String> answerLanguage() {
    return settings.language().or(() -> heardLanguage);
  }

  public UUID conversationId() {
    return memory.conversationId();
  }

  /** What each answer's system prompt carries under the instructions (looked up for each answer). */
  public void promptContext(PromptContext c) {
    answers.promptContext(c);
  }

  /**
   * Words that guide the transcription from the next one on (a client's
   * {@code audio.input.transcription.prompt}: Whisper's initial prompt), or null for none.
   */
  public void transcriptionPrompt(String prompt) {
    hearing.transcriptionPrompt(prompt);
  }

  /** The rate of the audio this session sends (PCM16 samples per second). */
  public void outputRate(int rate) {
    answers.outputRate(rate);
  }

  public boolean responding() {
    return answers.responding();
  }

  // --- input ---------------------------------------------------------------------------------

  /** Audio from the client at the input rate. */
  public void appendAudio(short[] pcm) {
    if (!closed) {
      hearing.append(pcm);
    }
  }

  /** input_audio_buffer.commit (without server VAD): the buffered audio becomes a user turn. */
  public void commit() {
    hearing.commit();
  }

  /** input_audio_buffer.clear: the manual buffer and a partly filled frame are dropped. */
  public void clear() {
    hearing.clear();
  }

  /** User message {@code itemId} (transcribed, or sent as text): stored, and answered when so configured. */
  public void userText(String itemId, String text, TurnTimings timings) {
    addUserText(itemId, text);
    if (settings.createResponse()) {
      createResponse(timings);
    }
  }

  /**
   * A transcribed user turn in {@code language}: answers follow the language the user speaks. With
   * {@code create_response}, it is answered: at once, or when the answer in progress ends if the
   * turn did not cut it ({@code interrupt_response} off; at most one answer waits, {@link Answers#next}).
   */
  private void spoken(String itemId, String text, String language, TurnTimings timings) {
    if (Languages.known(language)) {
      heardLanguage = Optional.of(language);
    }
    memory.user(itemId, text); // placed among the items when it was committed
    VoiceSettings now = settings();
    if (!now.createResponse()) {
      return;
    }
    if (now.interruptResponse()) {
      // The turn ended during an answer its speech did not cut (it began before the answer did, or
      // stayed under the barge-in wait): the user's new turn supersedes the answer, as a barge-in.
      cancelResponse(VoiceEvent.Reason.TURN_DETECTED);
    }
    answers.next(() -> createResponse(timings));
  }

  /**
   * The conversation's last item as a client sees it (a committed turn, an answer that ended, an
   * item the client created), or null before the first: what a created item's
   * {@code previous_item_id} names when it is appended.
   */
  public String lastItemId() {
    return items.last();
  }

  /** User message {@code itemId} added to the conversation without answering it (the client asks when). */
  public void addUserText(String itemId, String text) {
    items.created(itemId);
    memory.user(itemId, text);
  }

  /**
   * The client's system message {@code itemId}: the next answers see it in its place in the
   * conversation, under the session's ground rules and instructions (never replacing them).
   */
  public void addSystemText(String itemId, String text) {
    items.created(itemId);
    memory.system(itemId, text);
  }

  /** The client's assistant message {@code itemId} (history it seeds): an assistant turn of the conversation. */
  public void addAssistantText(String itemId, String text) {
    items.created(itemId);
    memory.assistant(itemId, text, false, null);
  }

  /** The client's output of its function call {@code callId} (its item {@code itemId}), for the next answer. */
  public void addToolResult(String itemId, String callId, String output) {
    items.created(itemId);
    memory.toolResult(itemId, callId, output);
  }

  /**
   * conversation.item.delete: item {@code itemId} leaves what the model sees from the next answer on,
   * and the stored conversation.
   *
   * @return false when the conversation has no message of that item (an answer that said nothing)
   */
  public boolean delete(String itemId) {
    items.deleted(itemId);
    return memory.delete(itemId);
  }

  /** The server tools this session offers (when its settings enable them) and runs. */
  public void serverTools(ToolRunner runner) {
    answers.serverTools(runner);
  }

  // --- output --------------------------------------------------------------------------------

  /** response.create, or the automatic one after a user turn: the session's settings as they stand. */
  public void createResponse(TurnTimings timings) {
    answers.create(timings, this::settings, answerLanguage(), false, Optional.empty());
  }

  /** response.create with what it asks of its one answer ({@link ResponseRequest}). */
  public void createResponse(TurnTimings timings, ResponseRequest request) {
    answers.create(timings, request::settings, answerLanguage(), request.outOfBand(), request.input());
  }

  /** response.cancel, or a barge-in. The answer is stored as far as it was heard. */
  public void cancelResponse(VoiceEvent.Reason reason) {
    answers.cancel(reason);
  }

  /**
   * conversation.item.truncate: the client says how much of answer {@code itemId} it played; the
   * answer is kept (for the model and in the stored conversation) as far as it was heard, whether
   * it was cut or had played out ({@link SpokenText#heardBy}).
   *
   * @return the answer's text as heard, or empty when no spoken answer has that id
   */
  public Optional<String> truncate(String itemId, long audioEndMs) {
    return truncation.truncate(itemId, audioEndMs).or(() -> memory.truncate(itemId, audioEndMs));
  }

  /** The socket closed: stop everything this session started. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    hearing.close();
    answers.close();
  }
}
