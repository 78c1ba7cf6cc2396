package io.parley.api.assistant;

import io.parley.api.assistant.context.PersonalPrompts;
import io.parley.api.assistant.realtime.AudioFormat;
import io.parley.api.assistant.realtime.ClientEvent;
import io.parley.api.assistant.realtime.ClientEventDecoder;
import io.parley.api.assistant.realtime.RealtimeItems;
import io.parley.api.assistant.realtime.RealtimeProtocolException;
import io.parley.api.assistant.realtime.ServerEventEncoder;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.voice.ResponseRequest;
import io.parley.inference.voice.ToolRunner;
import io.parley.inference.voice.VoiceEvent;
import io.parley.inference.voice.VoiceSession;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One {@code /v1/realtime} client and its {@link VoiceSession}, on the socket's context: client
 * events decoded and applied, voice events encoded and sent (with flow control and metrics on the
 * way), the idle timeout, and what the session leaves for a resume when the socket drops.
 */
final class RealtimeConnection implements Consumer<VoiceEvent> {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RealtimeConnection.class);

  /** What every connection of an endpoint shares. */
  record Shared(Vertx vertx, VoiceOptions config, RealtimeEndpoint.SessionFactory sessions, PersonalPrompts prompts,
                ConversationStore conversations, ResumeRegistry resumable, VoiceMetrics metrics, SecureRandom random,
                AtomicLong eventIds, SessionTools serverTools, UnaryOperator<String> voices,
                BooleanSupplier semanticVadAvailable) {}

  /** The server tools of a session: run for its user in its conversation, audited with its client's address. */
  interface SessionTools {
    ToolRunner forSession(UUID user, UUID conversation, String clientIp);
  }

  private final ServerWebSocket ws;
  private final UUID user;
  /** The client's address at the handshake (ClientIp), for the audit of its tools' writes. */
  private final String clientIp;
  private final Context context;
  private final Vertx vertx;
  private final VoiceOptions config;
  private final Shared shared;
  private VoiceSession session;
  private final RealtimeItems items = new RealtimeItems();
  /** Its {@code conversation.item.*} events, on the session. */
  private RealtimeItemEvents itemEvents;
  private RealtimeSessionConfig settings;
  private String resumeToken;
  private boolean resumed;
  private long idleTimer = -1;
  private boolean closed;
  /** Closed for a reason that ends the conversation here: not kept for a resume. */
  private boolean ended;
  /** The client's audio to the pipeline's input rate, the pipeline's answers to the client's format. */
  private AudioFormat.Transcoder in;
  private AudioFormat.Transcoder out;
  /** Input audio received (ms at the pipeline's rate): the clock of {@code idle_timeout_ms}. */
  private long heardMs;
  /** Where the silence that idle_timeout_ms measures began (end of speech or of the last answer). */
  private long quietSinceMs;
  private boolean speaking;
  /** How an answer's events are shown: its output modality, and its response.create's metadata (or null). */
  private record Shown(boolean audioOut, JsonObject metadata) {}
  /** A response.create's, while its answer starts (its response.created comes before create returns). */
  private Shown asked;
  /** The answer in progress's, from its response.created to its response.done. */
  private Shown answering;

  RealtimeConnection(ServerWebSocket ws, UUID user, String clientIp, Context context, Shared shared) {
    this.ws = ws;
    this.user = user;
    this.clientIp = clientIp;
    this.context = context;
    this.shared = shared;
    this.vertx = shared.vertx();
    this.config = shared.config();
  }

  UUID user() {
    return user;
  }

  Context context() {
    return context;
  }

  /** Closes the socket (the session, if any, ends with it). */
  void close(short code, String reason) {
    ws.close(code, reason);
  }

  void start(UUID conversationId, List<ChatMessage> history, RealtimeSessionConfig initial, boolean resumed) {
    if (closed) {
      return; // the client left while its conversation was being looked up: no session to leak
    }
    this.settings = initial;
    this.resumed = resumed;
    byte[] raw = new byte[24];
    shared.random().nextBytes(raw);
    resumeToken = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    session = shared.sessions().create(context, settings.settings(config), this, conversationId, history,
        settings.inputRate(), settings.outputRate());
    itemEvents = new RealtimeItemEvents(session, items, this::send);
    transcoders();
    session.transcriptionPrompt(settings.wire().transcriptionPrompt());
    session.serverTools(shared.serverTools().forSession(user, session.conversationId(), clientIp));
    session.promptContext(shared.prompts().forSession(user));
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(this::onBinary);
    touch();
    send(new JsonObject().put("type", "session.created").put("session", sessionJson()));
    ws.resume(); // what the client sent meanwhile arrives now, after session.created
  }

  /** Transcoders for the session's formats, kept while the formats stay (they carry stream state). */
  private void transcoders() {
    if (in == null || !in.wire().equals(settings.wire().input())) {
      in = AudioFormat.Transcoder.input(settings.wire().input(), settings.inputRate());
    }
    if (out == null || !out.wire().equals(settings.wire().output())) {
      out = AudioFormat.Transcoder.output(settings.outputRate(), settings.wire().output());
    }
  }

  JsonObject sessionJson() {
    return settings.toJson(config, session.conversationId(), resumeToken, resumed, shared.voices().apply(null));
  }

  void touch() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
    }
    idleTimer = vertx.setTimer(config.idleTimeout().toMillis(), id -> {
      if (!closed) {
        ended = true;
        error("idle_timeout", "no audio or event for " + config.idleTimeout().toSeconds() + " s", null, null);
        ws.close((short) 1000, "idle");
      }
    });
  }

  void accountDeleted() {
    if (closed) {
      return;
    }
    ended = true;
    error("account_deleted", "the account was deleted", null, null);
    ws.close(io.parley.api.accounts.DeletedAccounts.CLOSE_CODE, "account deleted");
  }

  void close() {
    closed = true;
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
    }
    if (session != null) {
      session.close();
      if (!ended) {
        shared.resumable().keep(resumeToken, user, session.conversationId(), settings.kept());
      }
    }
  }

  boolean responding() {
    VoiceSession s = session;
    return s != null && !closed && s.responding();
  }

  void send(JsonObject event) {
    if (closed) {
      return;
    }
    if (ws.writeQueueFull()) {
      // Audio leaves at playback speed, so a full queue means the client stopped reading: end the
      // session rather than hold its output (bounded memory per session).
      closed = true;
      ws.close((short) 1008, "not reading");
      return;
    }
    event.put("event_id", "event_" + Long.toString(shared.eventIds().incrementAndGet(), 36));
    items.shown(event);
    ws.writeTextMessage(event.encode());
  }

  void error(String code, String message, String param, String clientEventId) {
    send(ServerEventEncoder.error(code, message, param, clientEventId));
  }

  // --- client events ---------------------------------------------------------------------

  void onBinary(Buffer b) {
    touch();
    try {
      append(in.decode(ClientEventDecoder.decodeBinary(b.getBytes()).audio(), null, null));
    } catch (RealtimeProtocolException e) {
      error(e.code(), e.getMessage(), e.param(), e.eventId());
    }
  }

  /** Input audio to the pipeline; then {@code idle_timeout_ms}, counted in the audio the client sends. */
  private void append(short[] pcm) {
    session.appendAudio(pcm);
    heardMs += pcm.length * 1000L / settings.inputRate();
    if (speaking || session.responding()) {
      quietSinceMs = heardMs;
      return;
    }
    if (settings.serverVad() && settings.idleTimeoutMs() > 0 && heardMs - quietSinceMs >= settings.idleTimeoutMs()) {
      send(ServerEventEncoder.timeoutTriggered(quietSinceMs, heardMs, "item_" + UUID.randomUUID()));
      quietSinceMs = heardMs;
      if (settings.createResponse() && !settings.transcription()) {
        session.createResponse(null); // the model prompts the user to go on
      }
    }
  }

  /** A transcription session's refusal of an event that would answer or add to the conversation. */
  private void transcriptionOnly(String type, String eventId) throws RealtimeProtocolException {
    if (settings.transcription()) {
      throw new RealtimeProtocolException("transcription_session", type + " is not available in a transcription "
          + "session (session.type \"transcription\" only transcribes)", "type", eventId);
    }
  }

  void onText(String text) {
    touch();
    try {
      switch (ClientEventDecoder.decode(text)) {
        case ClientEvent.SessionUpdate u -> {
          RealtimeSessionConfig before = settings;
          RealtimeSessionConfig.Applied applied = settings.update(u.session(), u.eventId(), shared.voices(),
              session::checkLanguage, shared.semanticVadAvailable());
          settings = applied.config();
          for (RealtimeProtocolException refused : applied.refused()) {
            error(refused.code(), refused.getMessage(), refused.param(), refused.eventId());
          }
          transcoders();
          session.transcriptionPrompt(settings.wire().transcriptionPrompt());
          keepHowItIsHeld(before);
          session.update(settings.settings(config));
          send(new JsonObject().put("type", "session.updated").put("session", sessionJson()));
        }
        case ClientEvent.AudioAppend a -> append(in.decode(a.audio(), "audio", a.eventId()));
        case ClientEvent.AudioCommit c -> session.commit();
        case ClientEvent.AudioClear c -> {
          session.clear();
          send(new JsonObject().put("type", "input_audio_buffer.cleared"));
        }
        case ClientEvent.ItemCreate c -> {
          transcriptionOnly("conversation.item.create", c.eventId());
          itemEvents.create(c);
        }
        case ClientEvent.FunctionCallOutput o -> {
          transcriptionOnly("conversation.item.create", o.eventId());
          itemEvents.output(o);
        }
        case ClientEvent.ResponseCreate c -> {
          transcriptionOnly("response.create", c.eventId());
          if (session.responding()) { // refused here so that the error names the client's event
            throw new RealtimeProtocolException(ServerEventEncoder.code(VoiceEvent.Code.RESPONSE_IN_PROGRESS),
                "a response is in progress; cancel it first", null, c.eventId());
          }
          RealtimeResponseCreate.Requested r = RealtimeResponseCreate.read(settings, c.response(), c.eventId(),
              shared.voices(), id -> items.item(id) != null);
          for (RealtimeProtocolException refused : r.refused()) {
            error(refused.code(), refused.getMessage(), refused.param(), refused.eventId());
          }
          asked = new Shown(r.config().audioOut(), r.metadata());
          try {
            session.createResponse(null, new ResponseRequest(r.config().settings(config), r.outOfBand(), r.input()));
          } finally {
            asked = null;
          }
        }
        case ClientEvent.ResponseCancel c -> {
          if (!session.responding()) {
            throw new RealtimeProtocolException("response_cancel_not_active",
                "Cancellation failed: no active response found.", null, c.eventId());
          }
          session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED);
        }
        case ClientEvent.OutputAudioClear c -> {
          String response = items.responseInProgress();
          if (response == null || !session.responding()) {
            throw new RealtimeProtocolException("response_cancel_not_active",
                "no answer is playing: there is no output audio to clear", null, c.eventId());
          }
          session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED);
          send(new JsonObject().put("type", "output_audio_buffer.cleared").put("response_id", response));
        }
        case ClientEvent.ItemRetrieve r -> itemEvents.retrieve(r);
        case ClientEvent.ItemDelete d -> itemEvents.delete(d);
        case ClientEvent.ItemTruncate t -> itemEvents.truncate(t);
      }
    } catch (RealtimeProtocolException e) {
      error(e.code(), e.getMessage(), e.param(), e.eventId());
    }
  }

  /**
   * A new personality or new instructions are stored with the conversation, so that continuing it
   * later ({@code ?conversation=}) holds it the same way.
   */
  private void keepHowItIsHeld(RealtimeSessionConfig before) {
    if (before.personality().equals(settings.personality())
        && java.util.Objects.equals(before.instructions(), settings.instructions())) {
      return;
    }
    UUID conversation = session.conversationId();
    shared.conversations().settings(conversation, settings.personality(), settings.instructions())
        .onFailure(e -> LOG.warn("voice: conversation {}: personality and instructions not stored: {}", conversation,
            e.toString()));
  }

  /** What the session says, on the wire; flow control and metrics on the way. */
  @Override
  public void accept(VoiceEvent e) {
    switch (e) {
      case VoiceEvent.InputBacklog b -> {
        if (!closed && b.backlogged()) {
          shared.metrics().paused();
          ws.pause();
        } else if (!closed) {
          ws.resume();
        }
      }
      case VoiceEvent.Error err when err.code() == VoiceEvent.Code.NOT_STORED -> shared.metrics().notStored();
      case VoiceEvent.ResponseDone d -> {
        shared.metrics().responseDone(d.status(), d.timings());
        quietSinceMs = heardMs;
      }
      case VoiceEvent.ResponseStarted r -> answering = asked != null ? asked : new Shown(settings.audioOut(), null);
      case VoiceEvent.SpeechStarted s -> speaking = true;
      case VoiceEvent.SpeechStopped s -> {
        speaking = false;
        quietSinceMs = heardMs;
      }
      case VoiceEvent.AudioChunk a -> {
        send(ServerEventEncoder.audioDelta(a, out.encode(a.pcm())));
        return;
      }
      default -> { }
    }
    Shown shown = answering != null ? answering : new Shown(settings.audioOut(), null);
    if (e instanceof VoiceEvent.ResponseDone) {
      answering = null;
    }
    for (JsonObject wire : ServerEventEncoder.encode(e, shown.audioOut())) {
      if (shown.metadata() != null && wire.getValue("response") instanceof JsonObject response) {
        response.put("metadata", shown.metadata()); // response.created and response.done, as GA shows it
      }
      send(wire);
    }
  }
}
