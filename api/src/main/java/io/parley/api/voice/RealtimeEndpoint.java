package io.parley.api.voice;

import io.parley.core.voice.ConversationLog;
import io.parley.inference.llm.ChatMessage;
import io.parley.inference.llm.Personality;
import io.parley.api.voice.realtime.ClientEvent;
import io.parley.api.voice.realtime.ClientEventDecoder;
import io.parley.api.voice.realtime.RealtimeProtocolException;
import io.parley.api.voice.realtime.ServerEventEncoder;
import io.parley.inference.voice.TurnTimings;
import io.parley.inference.voice.VoiceEvent;
import io.parley.inference.voice.VoiceSession;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.JsonArray;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/realtime}: the OpenAI Realtime API (GA event names, as typed by the {@code openai}
 * package 7.x) over a WebSocket, backed by a {@link VoiceSession}. Audio is PCM16 little-endian mono
 * at the session's rate (24 kHz by default), base64 in {@code input_audio_buffer.append}, or raw in
 * binary frames (a Parley extension). Authentication: {@code Authorization: Bearer <access token>}
 * (what the openai clients send), or for browsers the WebSocket subprotocol
 * {@code openai-insecure-api-key.<access token>}.
 *
 * @see <a href="https://platform.openai.com/docs/api-reference/realtime">Realtime API reference</a>
 */
public final class RealtimeEndpoint {

  private static final Logger LOG = LoggerFactory.getLogger(RealtimeEndpoint.class);
  public static final String PATH = "/v1/realtime";
  /** Input and output rate unless the session says otherwise (OpenAI's audio/pcm rate). */
  public static final int DEFAULT_RATE = 24_000;
  /** Largest base64 audio in one append (about 20 s at 24 kHz). */
  public static final int MAX_APPEND_CHARS = ClientEventDecoder.MAX_APPEND_CHARS;
  private static final String SUBPROTOCOL_KEY = "openai-insecure-api-key.";

  /** Builds sessions; implemented where the engines are assembled. */
  public interface SessionFactory {
    VoiceSession create(Context context, VoiceSession.Settings settings, java.util.function.Consumer<VoiceEvent> events,
                        UUID conversationId,
                        List<ChatMessage> history, int inputRate, int outputRate);
  }

  private final Vertx vertx;
  private final JWTAuth jwt;
  private final ConversationLog log;
  private final SessionFactory sessions;
  private final io.parley.core.config.ParleyConfig.Voice config;
  private final Map<UUID, AtomicInteger> perUser = new ConcurrentHashMap<>();
  /** Sessions whose socket dropped, by resume token, until their grace period ends. */
  private final Map<String, Resumable> resumable = new ConcurrentHashMap<>();
  private final java.security.SecureRandom random = new java.security.SecureRandom();

  /** What a dropped session leaves behind for a reconnect: its conversation and settings. */
  private record Resumable(UUID user, UUID conversationId, String personality, String instructions, boolean audioOut,
                           long expiresAtNanos) {
    JsonObject toJson() {
      return new JsonObject().put("user", user.toString()).put("conversation_id", conversationId.toString())
          .put("personality", personality).put("instructions", instructions).put("audio_out", audioOut);
    }

    static Resumable fromJson(JsonObject j, long expiresAtNanos) {
      return new Resumable(UUID.fromString(j.getString("user")), UUID.fromString(j.getString("conversation_id")),
          j.getString("personality"), j.getString("instructions"), j.getBoolean("audio_out", true), expiresAtNanos);
    }
  }
  private final AtomicLong eventIds = new AtomicLong();

  private final io.micrometer.core.instrument.MeterRegistry metrics;
  private final AtomicInteger open = new AtomicInteger();
  /** Times a session stopped reading its socket because the VAD was behind its audio. */
  private final io.micrometer.core.instrument.Counter pauses;
  /** Conversation messages the log failed to store. */
  private final io.micrometer.core.instrument.Counter notStored;
  /** The cluster's view (per-user cap, resume on any node), or null for this node alone. */
  private final VoiceSessions cluster;
  /** Open connections, for the responses gauge (read on the scrape's thread). */
  private final java.util.Set<Connection> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public RealtimeEndpoint(Vertx vertx, JWTAuth jwt, ConversationLog log, SessionFactory sessions,
                          io.parley.core.config.ParleyConfig.Voice config,
                          io.micrometer.core.instrument.MeterRegistry metrics,
                          io.vertx.redis.client.RedisAPI redis) {
    this.metrics = metrics;
    this.cluster = redis == null ? null : new VoiceSessions(vertx, redis, config.maxSessionsPerUser());
    io.micrometer.core.instrument.Gauge.builder("parley.voice.sessions", open, AtomicInteger::get)
        .description("Open realtime sessions on this node").register(metrics);
    pauses = io.micrometer.core.instrument.Counter.builder("parley.voice.input.paused")
        .description("Times a session stopped reading its client until the VAD caught up (backpressure)")
        .register(metrics);
    notStored = io.micrometer.core.instrument.Counter.builder("parley.voice.conversation.writes.failed")
        .description("Conversation messages of realtime sessions the conversation log failed to store")
        .register(metrics);
    io.micrometer.core.instrument.Gauge.builder("parley.voice.responses.active", connections,
            all -> all.stream().filter(Connection::responding).count())
        .description("Assistant responses in progress on this node (generating or playing out)").register(metrics);
    this.vertx = vertx;
    this.jwt = jwt;
    this.log = log;
    this.sessions = sessions;
    this.config = config;
  }

  public void handshake(ServerWebSocketHandshake h) {
    String token = null;
    String header = h.headers().get("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = header.substring(7).trim();
    }
    String protocols = h.headers().get("Sec-WebSocket-Protocol");
    if (token == null && protocols != null) {
      for (String p : protocols.split(",")) {
        if (p.trim().startsWith(SUBPROTOCOL_KEY)) {
          token = p.trim().substring(SUBPROTOCOL_KEY.length());
        }
      }
    }
    if (token == null) {
      h.reject(401);
      return;
    }
    jwt.authenticate(new TokenCredentials(token)).onComplete(ar -> {
      if (ar.failed()) {
        h.reject(401);
        return;
      }
      UUID user;
      try {
        user = UUID.fromString(ar.result().principal().getString("sub"));
      } catch (RuntimeException e) {
        h.reject(401);
        return;
      }
      AtomicInteger count = perUser.computeIfAbsent(user, k -> new AtomicInteger());
      if (count.incrementAndGet() > config.maxSessionsPerUser()) {
        count.decrementAndGet();
        h.reject(429);
        return;
      }
      String resume = resumeToken(h.query());
      String sessionId = UUID.randomUUID().toString();
      Future<java.util.Optional<Boolean>> lease = cluster == null ? Future.succeededFuture(java.util.Optional.empty())
          : cluster.acquire(user, sessionId);
      lease.onComplete(l -> {
        if (l.succeeded() && l.result().isPresent() && !l.result().get()) {
          count.decrementAndGet();
          h.reject(429); // the user's maximum is open on the cluster's nodes together
          return;
        }
        h.accept().onComplete(ws -> {
          if (ws.failed()) {
            count.decrementAndGet();
            release(user, sessionId);
            return;
          }
          open(ws.result(), user, count, resume, sessionId);
        });
      });
    });
  }

  private void release(UUID user, String sessionId) {
    if (cluster != null) {
      cluster.release(user, sessionId);
    }
  }

  /** Close code of a session whose account was deleted (as the signalling socket's). */
  static final short ACCOUNT_DELETED = 4003;

  /**
   * An account was deleted, on this node or another (CallService announces it cluster-wide): its
   * open sessions are told and closed, and none of them can be resumed.
   */
  public void userDeleted(UUID user) {
    resumable.values().removeIf(r -> r.user().equals(user));
    for (Connection c : connections) {
      if (c.user.equals(user)) {
        c.context.runOnContext(v -> c.accountDeleted());
      }
    }
  }

  /** Stops renewing this node's session leases and gives them back (shutdown). */
  public void close() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The {@code resume} query parameter: a session's resume token (never an access token). */
  static String resumeToken(String query) {
    if (query == null) {
      return null;
    }
    for (String kv : query.split("&")) {
      if (kv.startsWith("resume=")) {
        return java.net.URLDecoder.decode(kv.substring(7), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** Bytes queued for a client before it counts as not reading (several seconds of paced audio). */
  static final int MAX_QUEUED_BYTES = 2 * 1024 * 1024;

  private void open(ServerWebSocket ws, UUID user, AtomicInteger count, String resumeToken, String sessionId) {
    // Clients send their first events the moment the socket opens (the SDKs' session.update), before
    // the conversation is looked up or stored: held unread until Connection.start sets the handlers.
    ws.pause();
    ws.setWriteQueueMaxSize(MAX_QUEUED_BYTES);
    Context context = vertx.getOrCreateContext();
    Connection c = new Connection(ws, user, context);
    open.incrementAndGet();
    connections.add(c);
    ws.closeHandler(v -> {
      open.decrementAndGet();
      connections.remove(c);
      count.decrementAndGet();
      release(user, sessionId);
      c.close();
    });
    long now = System.nanoTime();
    resumable.values().removeIf(r -> r.expiresAtNanos - now <= 0);
    Resumable here = resumeToken == null ? null : resumable.remove(resumeToken);
    if (resumeToken == null || cluster == null) {
      start(c, context, user, resumeToken, here);
      return;
    }
    // Kept in Redis by whichever node had the session; this node's memory is the fallback.
    cluster.take(resumeToken).onComplete(ar -> {
      // Redis is the authority when it answers: a token another node already took is gone here too.
      Resumable found = ar.succeeded() ? null : here;
      if (ar.succeeded() && ar.result().isPresent()) {
        // Redis kept it no longer than the grace period: it is current.
        found = Resumable.fromJson(ar.result().get(), System.nanoTime() + config.sessionGrace().toNanos());
      }
      start(c, context, user, resumeToken, found);
    });
  }

  private void start(Connection c, Context context, UUID user, String resumeToken, Resumable previous) {
    ServerWebSocket ws = c.ws;
    long now = System.nanoTime();
    if (previous != null && previous.user().equals(user) && previous.expiresAtNanos() - now > 0) {
      c.personality = previous.personality();
      c.audioOut = previous.audioOut();
      log.recent(previous.conversationId(), config.contextMessages()).onComplete(ar -> {
        List<ChatMessage> history = ar.succeeded() ? ar.result().stream()
            .map(m -> new ChatMessage(m.role(), m.content())).toList() : List.of();
        c.resumed = true;
        c.start(context, previous.conversationId(), history, previous.instructions());
      });
      return;
    }
    if (resumeToken != null) {
      c.error("resume_failed", "the session to resume has expired or is unknown; a new one was started", "resume", null);
    }
    log.start(user, "assistant").onComplete(ar -> {
      if (ar.failed()) {
        c.error("server_error", "conversations cannot be stored right now: " + ar.cause().getMessage(), null, null);
        ws.close((short) 1011, "storage unavailable");
        return;
      }
      c.start(context, ar.result(), List.of(), null);
    });
  }

  private String eventId() {
    return "event_" + Long.toString(eventIds.incrementAndGet(), 36);
  }

  /** One client connection and its session. */
  private final class Connection implements java.util.function.Consumer<VoiceEvent> {
    final ServerWebSocket ws;
    final UUID user;
    VoiceSession session;
    String personality = "assistant";
    String instructions;
    boolean audioOut = true;
    int inputRate = DEFAULT_RATE;
    int outputRate = DEFAULT_RATE;
    long idleTimer = -1;
    boolean closed;

    final Context context;

    Connection(ServerWebSocket ws, UUID user, Context context) {
      this.context = context;
      this.ws = ws;
      this.user = user;
    }

    boolean resumed;
    String resumeToken;

    void start(Context context, UUID conversationId, List<ChatMessage> history, String keptInstructions) {
      if (closed) {
        return; // the client left while its conversation was being looked up: no session to leak
      }
      instructions = keptInstructions != null ? keptInstructions : Personality.of(personality).systemPrompt();
      byte[] raw = new byte[24];
      random.nextBytes(raw);
      resumeToken = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      session = sessions.create(context, settings(), this, conversationId, history, inputRate, outputRate);
      ws.textMessageHandler(this::onText);
      ws.binaryMessageHandler(this::onBinary);
      touch();
      send(new JsonObject().put("type", "session.created").put("session", sessionJson()));
      ws.resume(); // what the client sent meanwhile arrives now, after session.created
    }

    VoiceSession.Settings settings() {
      return new VoiceSession.Settings(serverVad, createResponse, interruptResponse, config.bargeIn(), instructions,
          config.sttLanguage(), audioOut, maxTokens, 0.7, config.contextMessages(), segmenting);
    }

    boolean serverVad = true;
    /** This session's segmenting settings: the server's (PARLEY_VAD_*) until the client sets its own. */
    io.parley.inference.vad.VadSegmenter.Settings segmenting = io.parley.inference.vad.VadSegmenter.Settings.from(config);
    boolean createResponse = true;
    boolean interruptResponse = true;
    int maxTokens;

    {
      maxTokens = config.maxTokens();
    }

    JsonObject sessionJson() {
      JsonObject vad = serverVad ? new JsonObject().put("type", "server_vad")
          .put("threshold", segmenting.startThreshold())
          .put("prefix_padding_ms", segmenting.preRoll().toMillis())
          .put("silence_duration_ms", segmenting.minSilence().toMillis())
          .put("end_threshold", segmenting.endThreshold())
          .put("min_speech_ms", segmenting.minSpeech().toMillis())
          .put("create_response", createResponse).put("interrupt_response", interruptResponse) : null;
      return new JsonObject()
          .put("type", "realtime")
          .put("object", "realtime.session")
          .put("id", "sess_" + session.conversationId())
          .put("model", "parley")
          .put("output_modalities", new JsonArray().add(audioOut ? "audio" : "text"))
          .put("instructions", instructions)
          .put("max_output_tokens", maxTokens)
          .put("audio", new JsonObject()
              .put("input", new JsonObject()
                  .put("format", new JsonObject().put("type", "audio/pcm").put("rate", inputRate))
                  .put("turn_detection", vad)
                  .put("transcription", new JsonObject().put("model", "whisper")
                      .put("language", config.sttLanguage().orElse(null))))
              .put("output", new JsonObject()
                  .put("format", new JsonObject().put("type", "audio/pcm").put("rate", outputRate))
                  .put("voice", config.ttsVoice())))
          .put("parley", new JsonObject().put("personality", personality)
              .put("conversation_id", session.conversationId().toString())
              .put("resume_token", resumeToken)
              .put("resumed", resumed));
    }

    void touch() {
      if (idleTimer >= 0) {
        vertx.cancelTimer(idleTimer);
      }
      idleTimer = vertx.setTimer(config.idleTimeout().toMillis(), id -> {
        if (!closed) {
          idleClosed = true;
          error("idle_timeout", "no audio or event for " + config.idleTimeout().toSeconds() + " s", null, null);
          ws.close((short) 1000, "idle");
        }
      });
    }

    void close() {
      closed = true;
      if (idleTimer >= 0) {
        vertx.cancelTimer(idleTimer);
      }
      if (session != null) {
        session.close();
        if (!config.sessionGrace().isZero() && !idleClosed && !accountDeleted) {
          Resumable kept = new Resumable(user, session.conversationId(), personality, instructions, audioOut,
              System.nanoTime() + config.sessionGrace().toNanos());
          resumable.put(resumeToken, kept);
          if (cluster != null) {
            cluster.keep(resumeToken, kept.toJson(), config.sessionGrace())
                .onFailure(e -> LOG.warn("voice: resume state not shared ({}); it resumes on this node only",
                    e.toString()));
          }
        }
      }
    }

    boolean idleClosed;
    boolean accountDeleted;

    void accountDeleted() {
      if (closed) {
        return;
      }
      accountDeleted = true;
      error("account_deleted", "the account was deleted", null, null);
      ws.close(ACCOUNT_DELETED, "account deleted");
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
      event.put("event_id", eventId());
      ws.writeTextMessage(event.encode());
    }

    void inputBacklog(boolean backlogged) {
      if (closed) {
        return;
      }
      if (backlogged) {
        pauses.increment();
        ws.pause();
      } else {
        ws.resume();
      }
    }

    void error(String code, String message, String param, String clientEventId) {
      send(ServerEventEncoder.error(code, message, param, clientEventId));
    }

    // --- client events ---------------------------------------------------------------------

    void onBinary(Buffer b) {
      touch();
      try {
        session.appendAudio(ClientEventDecoder.decodeBinary(b.getBytes()).pcm());
      } catch (RealtimeProtocolException e) {
        error(e.code(), e.getMessage(), e.param(), e.eventId());
      }
    }

    void onText(String text) {
      touch();
      ClientEvent event;
      try {
        event = ClientEventDecoder.decode(text);
      } catch (RealtimeProtocolException e) {
        error(e.code(), e.getMessage(), e.param(), e.eventId());
        return;
      }
      switch (event) {
        case ClientEvent.SessionUpdate u -> sessionUpdate(u.session(), u.eventId());
        case ClientEvent.AudioAppend a -> session.appendAudio(a.pcm());
        case ClientEvent.AudioCommit c -> session.commit();
        case ClientEvent.AudioClear c -> {
          session.clear();
          send(new JsonObject().put("type", "input_audio_buffer.cleared"));
        }
        case ClientEvent.ItemCreate c -> itemCreate(c);
        case ClientEvent.ResponseCreate c -> session.createResponse(null);
        case ClientEvent.ResponseCancel c -> session.cancelResponse(VoiceEvent.Reason.CLIENT_CANCELLED);
        case ClientEvent.ItemTruncate t -> {
          session.truncate(t.itemId(), t.audioEndMs());
          send(new JsonObject().put("type", "conversation.item.truncated").put("item_id", t.itemId())
              .put("content_index", t.contentIndex()).put("audio_end_ms", t.audioEndMs()));
        }
      }
    }

    void sessionUpdate(JsonObject s, String id) {
      if (s.getValue("instructions") instanceof String i) {
        instructions = i;
      }
      if (s.getValue("output_modalities") instanceof JsonArray m) {
        audioOut = m.contains("audio");
      }
      if (s.getValue("max_output_tokens") instanceof Number n) {
        maxTokens = Math.max(1, Math.min(n.intValue(), 4096));
      }
      JsonObject parley = s.getJsonObject("parley");
      if (parley != null && parley.getValue("personality") instanceof String p) {
        Personality chosen;
        try {
          chosen = Personality.of(p);
        } catch (io.parley.core.ParleyException ex) {
          error("invalid_value", ex.getMessage(), "session.parley.personality", id);
          return;
        }
        personality = chosen.name().toLowerCase(java.util.Locale.ROOT);
        if (!(s.getValue("instructions") instanceof String)) {
          instructions = chosen.systemPrompt();
        }
      }
      JsonObject audio = s.getJsonObject("audio");
      JsonObject input = audio == null ? null : audio.getJsonObject("input");
      if (input != null) {
        JsonObject format = input.getJsonObject("format");
        if (format != null) {
          Integer rate = rate(format, "session.audio.input.format", id);
          if (rate == null) {
            return;
          }
          if (rate != inputRate) {
            error("invalid_value", "the input rate is fixed when the session starts (" + inputRate + " Hz)",
                "session.audio.input.format.rate", id);
            return;
          }
        }
        if (input.containsKey("turn_detection")) {
          JsonObject td = input.getJsonObject("turn_detection");
          serverVad = td != null;
          if (td != null) {
            createResponse = td.getBoolean("create_response", true);
            interruptResponse = td.getBoolean("interrupt_response", true);
            var updated = vadSettings(td, id);
            if (updated == null) {
              return; // the error said why; nothing changed
            }
            segmenting = updated;
          }
        }
      }
      session.update(settings());
      send(new JsonObject().put("type", "session.updated").put("session", sessionJson()));
    }

    /**
     * The server_vad fields of {@code turn_detection} over this session's current settings:
     * {@code threshold} (speech starts at or above, 0..1), {@code silence_duration_ms} (end of turn,
     * 100..10000), {@code prefix_padding_ms} (pre-roll, 0..2000) and Parley's {@code end_threshold}
     * (speech goes on at or above; default: the threshold minus 0.15) and {@code min_speech_ms}
     * (0..2000). Null after an error event when a value is out of range.
     */
    io.parley.inference.vad.VadSegmenter.Settings vadSettings(JsonObject td, String id) {
      try {
        double start = number(td, "threshold", segmenting.startThreshold(), 0.01, 0.99);
        double end = number(td, "end_threshold",
            td.containsKey("threshold") ? Math.max(0.01, start - 0.15) : Math.min(segmenting.endThreshold(), start), 0.01, start);
        long silence = (long) number(td, "silence_duration_ms", segmenting.minSilence().toMillis(), 100, 10_000);
        long preRoll = (long) number(td, "prefix_padding_ms", segmenting.preRoll().toMillis(), 0, 2_000);
        long minSpeech = (long) number(td, "min_speech_ms", segmenting.minSpeech().toMillis(), 0, 2_000);
        return new io.parley.inference.vad.VadSegmenter.Settings(start, end, java.time.Duration.ofMillis(minSpeech),
            java.time.Duration.ofMillis(silence), java.time.Duration.ofMillis(preRoll), segmenting.maxSegment());
      } catch (IllegalArgumentException e) {
        error("invalid_value", e.getMessage(), "session.audio.input.turn_detection", id);
        return null;
      }
    }

    private static double number(JsonObject o, String key, double current, double min, double max) {
      Object v = o.getValue(key);
      if (v == null) {
        return current;
      }
      if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
        throw new IllegalArgumentException("turn_detection." + key + " must be a number in " + fmt(min) + ".."
            + fmt(max) + ", got " + v);
      }
      return n.doubleValue();
    }

    private static String fmt(double d) {
      return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    Integer rate(JsonObject format, String param, String id) {
      if (format.getValue("type") != null && !"audio/pcm".equals(format.getValue("type"))) {
        error("invalid_value", "only audio/pcm (PCM16) is supported", param + ".type", id);
        return null;
      }
      Object r = format.getValue("rate", inputRate);
      if (!(r instanceof Number n) || n.intValue() < 8_000 || n.intValue() > 48_000) {
        error("invalid_value", "rate must be 8000..48000 Hz", param + ".rate", id);
        return null;
      }
      return n.intValue();
    }

    /** A user message by text: shown as an item, added to the conversation, answered on response.create. */
    void itemCreate(ClientEvent.ItemCreate c) {
      JsonObject added = new JsonObject().put("id", c.itemId()).put("type", "message").put("role", "user")
          .put("status", "completed").put("content", c.content());
      send(new JsonObject().put("type", "conversation.item.added").put("item", added));
      send(new JsonObject().put("type", "conversation.item.done").put("item", added));
      session.addUserText(c.text());
    }

    /** What the session says, on the wire; flow control and metrics on the way. */
    @Override
    public void accept(VoiceEvent e) {
      switch (e) {
        case VoiceEvent.InputBacklog b -> inputBacklog(b.backlogged());
        case VoiceEvent.Error err when err.code() == VoiceEvent.Code.NOT_STORED -> notStored.increment();
        case VoiceEvent.ResponseDone d -> recordTimings(d.status(), d.timings());
        default -> { }
      }
      for (JsonObject wire : ServerEventEncoder.encode(e, audioOut)) {
        send(wire);
      }
    }

    private void recordTimings(VoiceEvent.Status status, TurnTimings timings) {
      record("transcript", timings.transcriptMs());
      record("first_token", timings.firstTokenMs());
      record("first_audio", timings.firstAudioMs());
      record("done", timings.doneMs());
      Double overhead = timings.overheadMs();
      if (overhead != null) {
        io.micrometer.core.instrument.Timer.builder("parley.voice.pipeline.overhead")
            .description("End of speech to first audio minus the engines' own compute (Whisper, LLM to its first"
                + " sentence, TTS to its first audio)")
            .publishPercentileHistogram().register(metrics)
            .record(java.time.Duration.ofNanos((long) (Math.max(0, overhead) * 1e6)));
      }
      io.micrometer.core.instrument.Counter.builder("parley.voice.responses")
          .tag("status", ServerEventEncoder.status(status))
          .description("Assistant responses by final status").register(metrics).increment();
    }

    private void record(String stage, Double ms) {
      if (ms == null) {
        return;
      }
      io.micrometer.core.instrument.Timer.builder("parley.voice.turn")
          .description("Time from the end of the user's speech to each stage of the answer")
          .tag("stage", stage).publishPercentileHistogram()
          .register(metrics).record(java.time.Duration.ofNanos((long) (ms * 1e6)));
    }
  }
}
